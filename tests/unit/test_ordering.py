"""Lists of names read as people read them."""

from __future__ import annotations

import pytest

from dealgate.domain.ordering import by_name

ORDERS = [
    (
        "numbers in names compare as numbers",
        ["Rep 10", "Rep 2", "Rep 1"],
        ["Rep 1", "Rep 2", "Rep 10"],
    ),
    ("case does not decide the order", ["bruno", "Ada", "carol"], ["Ada", "bruno", "carol"]),
    ("names differing only in case keep a stable order", ["ada", "Ada"], ["Ada", "ada"]),
    ("a name starting with a number comes first", ["Team B", "2nd shift"], ["2nd shift", "Team B"]),
    ("leading zeros compare by value", ["Rep 010", "Rep 9"], ["Rep 9", "Rep 010"]),
    (
        "a superscript or other script's digit is text",
        ["Rep ²", "Rep ٣", "Rep 2"],
        ["Rep 2", "Rep ²", "Rep ٣"],
    ),
]


@pytest.mark.parametrize(("rule", "names", "ordered"), ORDERS, ids=[o[0] for o in ORDERS])
def test_names_in_reading_order(rule: str, names: list[str], ordered: list[str]) -> None:
    assert by_name(names) == ordered, rule
