"""Who may change whom: rules on users, as pure functions."""

from __future__ import annotations

import pytest

from dealgate.domain.access import (
    User,
    UserRole,
    Visibility,
    require_an_admin_left,
    require_may_transfer,
)
from dealgate.domain.errors import DealgateError

ADA = User("ada", UserRole.ADMIN)
ALICE = User("alice", UserRole.REP, "east")


@pytest.mark.parametrize(
    ("target", "role_after", "admins"),
    [
        (ALICE, None, 1),  # a rep removed
        (ALICE, UserRole.MANAGER, 1),  # a rep promoted
        (ADA, UserRole.ADMIN, 1),  # the only admin keeps the role (a team change)
        (ADA, None, 2),  # an admin removed while another is left
        (ADA, UserRole.REP, 2),  # an admin stepping down while another is left
    ],
)
def test_a_change_that_leaves_an_admin_is_allowed(
    target: User, role_after: UserRole | None, admins: int
) -> None:
    require_an_admin_left(target, role_after, admins)


@pytest.mark.parametrize("role_after", [None, UserRole.MANAGER, UserRole.REP])
def test_the_only_admin_can_be_neither_removed_nor_demoted(role_after: UserRole | None) -> None:
    with pytest.raises(DealgateError) as caught:
        require_an_admin_left(ADA, role_after, 1)
    assert caught.value.codes == ["last_admin"] and caught.value.status == 409


MARIA = User("maria", UserRole.MANAGER, "east")
EAST = Visibility(frozenset({"maria", "alice", "amir"}))
EVERYONE = Visibility(None)
TRANSFERS = {
    "an_admin_between_anyone": (ADA, EVERYONE, "Erik Olsen", "bruno", None),
    "a_manager_within_the_team": (MARIA, EAST, "alice", "amir", None),
    "a_manager_to_themselves": (MARIA, EAST, "alice", "maria", None),
    "a_manager_from_themselves": (MARIA, EAST, "maria", "alice", None),
    "a_manager_from_outside_the_team": (MARIA, EAST, "bruno", "alice", "from"),
    "a_manager_to_outside_the_team": (MARIA, EAST, "alice", "bruno", "to"),
    "a_rep_never": (ALICE, Visibility(frozenset({"alice"})), "alice", "alice", "user"),
}


@pytest.mark.parametrize(
    ("user", "seen", "from_owner", "to_user", "refused_on"),
    TRANSFERS.values(),
    ids=TRANSFERS.keys(),
)
def test_an_admin_gives_anyones_deals_and_a_manager_only_within_the_team(
    user: User, seen: Visibility, from_owner: str, to_user: str, refused_on: str | None
) -> None:
    if refused_on is None:
        require_may_transfer(user, seen, from_owner, to_user)
        return
    with pytest.raises(DealgateError) as caught:
        require_may_transfer(user, seen, from_owner, to_user)
    assert caught.value.codes == ["forbidden"] and caught.value.status == 403
    assert caught.value.details[0].field == refused_on


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(UserRole.ADMIN, True), (UserRole.MANAGER, False), (UserRole.REP, False)],
)
def test_only_an_admin_exports_the_whole_pipeline_which_holds_every_owners_deals(
    role: UserRole, allowed: bool
) -> None:
    user = User("someone", role, "east")
    assert user.may_export_everything is allowed
    if allowed:
        user.require_export_right()
    else:
        with pytest.raises(DealgateError) as refused:
            user.require_export_right()
        assert refused.value.codes == ["forbidden"] and refused.value.status == 403
