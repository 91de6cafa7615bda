"""The commitment ladder: ten rungs a buyer climbs, lowest first (DESIGN.md §2)."""

from __future__ import annotations

from enum import StrEnum


class Rung(StrEnum):
    TIME = "time"
    EXPLORE = "explore"
    CHANGE = "change"
    COLLABORATE = "collaborate"
    CONSENSUS = "consensus"
    INVEST = "invest"
    REVIEW = "review"
    RESOLVE = "resolve"
    DECIDE = "decide"
    EXECUTE = "execute"

    @property
    def level(self) -> int:
        """1 for `time` up to 10 for `execute`."""
        return _ORDER.index(self) + 1

    @classmethod
    def from_level(cls, level: int) -> Rung:
        return _ORDER[level - 1]

    @classmethod
    def parse(cls, text: str) -> Rung | None:
        try:
            return cls(text)
        except ValueError:
            return None


_ORDER: tuple[Rung, ...] = tuple(Rung)

RUNG_MEANING: dict[Rung, str] = {
    Rung.TIME: "gives time: accepts a dated meeting",
    Rung.EXPLORE: "agrees to explore change together",
    Rung.CHANGE: "commits to changing: a priority, a sponsor and a target date",
    Rung.COLLABORATE: "works on the solution with you",
    Rung.CONSENSUS: "gives access to the buying committee",
    Rung.INVEST: "commits time, people or money",
    Rung.REVIEW: "has all stakeholders review the proposed solution",
    Rung.RESOLVE: "surfaces and works through concerns",
    Rung.DECIDE: "decides to move forward",
    Rung.EXECUTE: "does what delivery needs from their side",
}
