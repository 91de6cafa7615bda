"""Which dealgate user an export's deal owner most likely is: the suggestion a person checks."""

from __future__ import annotations

import pytest

from dealgate.domain.errors import DealgateError
from dealgate.io.readers import check_owner_mapping, check_owner_users, suggest_owners

USERS = ["alice", "bruno.diaz", "chen_li", "danakim", "Maria"]


@pytest.mark.parametrize(
    ("owner", "user"),
    [
        ("Alice Morgan", "alice"),  # the first name
        ("Bruno Diaz", "bruno.diaz"),  # first.last
        ("Chen Li", "chen_li"),  # first_last
        ("Dana Kim", "danakim"),  # firstlast
        ("maria", "Maria"),  # the same name in another case
        ("Erik Olsen", "Erik Olsen"),  # nobody fits: the deals keep their owner's name
    ],
)
def test_an_owner_is_suggested_to_the_user_whose_name_they_most_likely_have(
    owner: str, user: str
) -> None:
    assert suggest_owners({owner}, USERS) == {owner: user}


def test_a_full_name_user_wins_over_a_first_name_one() -> None:
    assert suggest_owners({"Alice Morgan"}, ["alice", "alice.morgan"]) == {
        "Alice Morgan": "alice.morgan"
    }


@pytest.mark.parametrize("ours", ["", "   ", "x" * 101, "a\x00b", 3, ["alice"]])
def test_an_owner_mapped_to_anything_but_a_name_is_refused_with_its_line(ours: object) -> None:
    with pytest.raises(DealgateError) as caught:
        check_owner_mapping({"Alice Morgan": ours}, "m.toml")
    assert caught.value.codes == ["invalid_mapping"]
    assert caught.value.details[0].field == "owners.Alice Morgan"


@pytest.mark.parametrize(
    ("owners", "users"),
    [
        ({"Alice Morgan": "alice"}, USERS),  # given to a user
        ({"Erik Olsen": "Erik Olsen"}, USERS),  # kept as the export has them
        ({"Erik Olsen": "Erik Olsen"}, []),  # kept, before any user exists
        ({}, []),  # no [owners] table
    ],
)
def test_an_owner_is_given_to_a_user_or_kept_as_their_own_name(
    owners: dict[str, str], users: list[str]
) -> None:
    check_owner_users(owners, users, "m.toml")  # nothing to say


@pytest.mark.parametrize(
    ("owners", "users"),
    [
        ({"Alice Morgan": "alcie"}, USERS),  # a typo: a new owner nobody sees
        ({"Alice Morgan": "ALICE"}, USERS),  # user names are exact
        ({"Alice Morgan": "alice"}, []),  # the user is not added yet
        ({"Maria": "maria", "Alice Morgan": "alice"}, ["alice"]),  # another name, no user
    ],
)
def test_an_owner_given_to_a_name_that_is_no_user_is_refused_with_how_to_fix_it(
    owners: dict[str, str], users: list[str]
) -> None:
    with pytest.raises(DealgateError) as caught:
        check_owner_users(owners, users, "m.toml")
    assert caught.value.codes == ["unknown_user"]
    wrong = next(theirs for theirs, ours in owners.items() if ours not in users)
    assert caught.value.details[0].field == f"owners.{wrong}"
    assert "dealgate user add" in caught.value.details[0].message
