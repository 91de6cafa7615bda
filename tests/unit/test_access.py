"""Who may change whom: rules on users, as pure functions."""

from __future__ import annotations

import pytest

from dealgate.domain.access import User, UserRole, require_an_admin_left
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
