"""Which dealgate user an export's deal owner most likely is: the suggestion a person checks."""

from __future__ import annotations

import pytest

from dealgate.domain.errors import DealgateError
from dealgate.io.readers import check_owner_mapping, suggest_owners

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
