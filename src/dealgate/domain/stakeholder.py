"""People on the buyer side of a deal: the buying committee."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dealgate.domain.errors import invalid


class Role(StrEnum):
    ECONOMIC_BUYER = "economic_buyer"
    CHAMPION = "champion"
    DECISION_MAKER = "decision_maker"
    TECHNICAL = "technical"
    USER = "user"
    PROCUREMENT = "procurement"
    LEGAL = "legal"
    OTHER = "other"


def parse_role(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise invalid(
            "invalid_role",
            f"Unknown role '{text}'. Use one of: {', '.join(r.value for r in Role)}.",
            "role",
        ) from None


@dataclass
class Stakeholder:
    number: int
    name: str
    role: Role
    title: str | None = None
    notes: str | None = None  # free notes on their preferences

    def is_named(self, name: str | None) -> bool:
        return name is not None and name.strip().casefold() == self.name.strip().casefold()


def on_committee(name: str | None, committee: Iterable[str]) -> bool:
    """Whether `name` is one of the committee's names, as the gate reads a person."""
    wanted = (name or "").strip().casefold()
    return bool(wanted) and any(wanted == member.strip().casefold() for member in committee)


def likely_member(name: str | None, committee: Iterable[str]) -> str:
    """The member a note's name means, as the committee spells it: the one so called, or the
    one member of that first name ("Raj" for Raj Patel, the only Raj); "" for none."""
    wanted = (name or "").strip().casefold()
    members = list(committee)
    exact = [m for m in members if m.strip().casefold() == wanted]
    if exact or not wanted or " " in wanted:
        return exact[0] if exact else ""
    found = [m for m in members if m.split() and m.split()[0].casefold() == wanted]
    return found[0] if len(found) == 1 else ""
