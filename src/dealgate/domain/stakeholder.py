"""People on the buyer side of a deal: the buying committee."""

from __future__ import annotations

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
