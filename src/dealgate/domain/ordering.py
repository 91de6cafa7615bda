"""The order people read a list of names in: "Rep 2" before "Rep 10", case aside."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DIGITS = re.compile(r"([0-9]+)")  # ASCII: "²" is a digit to isdigit(), no number to int()


def name_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Runs of digits compare as numbers, the rest as case-folded text."""
    return tuple(
        (0, int(part)) if _DIGITS.fullmatch(part) else (1, part.casefold())
        for part in _DIGITS.split(name)
        if part
    )


def by_name(names: Iterable[str]) -> list[str]:
    return sorted(names, key=lambda n: (name_key(n), n))
