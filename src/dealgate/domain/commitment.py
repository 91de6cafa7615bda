"""Commitments: who promised what, by when, and the status lifecycle (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dealgate.domain.errors import invalid


class Party(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"


class Status(StrEnum):
    INFERRED = "inferred"  # read from text, not yet confirmed by a person
    ASKED = "asked"
    OBTAINED = "obtained"
    DECLINED = "declined"
    KEPT = "kept"
    BROKEN = "broken"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"  # an inferred commitment a person said was not one


# Allowed moves of the lifecycle; anything else is refused with `invalid_transition`.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.INFERRED: frozenset({Status.ASKED, Status.OBTAINED, Status.KEPT, Status.REJECTED}),
    Status.ASKED: frozenset({Status.OBTAINED, Status.DECLINED}),
    Status.OBTAINED: frozenset({Status.KEPT, Status.BROKEN, Status.WITHDRAWN}),
    Status.DECLINED: frozenset(),
    Status.KEPT: frozenset(),
    Status.BROKEN: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.REJECTED: frozenset(),
}

# What a new commitment may start as.
INITIAL_STATUSES = frozenset({Status.INFERRED, Status.ASKED, Status.OBTAINED, Status.KEPT})

HELD = frozenset({Status.OBTAINED, Status.KEPT})
LOST_STATUSES = frozenset({Status.BROKEN, Status.WITHDRAWN})


def can_transition(current: Status, new: Status) -> bool:
    return new in TRANSITIONS[current]


def parse_status(text: str, field: str = "status") -> Status:
    try:
        return Status(text)
    except ValueError:
        raise invalid(
            "invalid_status",
            f"Unknown status '{text}'. Use one of: {', '.join(s.value for s in Status)}.",
            field,
        ) from None


def parse_party(text: str) -> Party:
    try:
        return Party(text)
    except ValueError:
        raise invalid(
            "invalid_party", f"Unknown party '{text}'. Use 'buyer' or 'seller'.", "party"
        ) from None


@dataclass
class Commitment:
    """One promise on one deal. Numbered within its deal."""

    number: int
    party: Party
    action: str
    status: Status
    created_at: datetime
    kind: str | None = None  # buyer side only: a key of the catalogue
    rung_level: int | None = None  # copied from the kind so storage can rank without the process
    person: str | None = None
    due: date | None = None
    obtained_at: datetime | None = None  # when it became obtained (or kept directly)
    kept_on: date | None = None
    lost_at: datetime | None = None  # when it was broken or withdrawn
    interaction: int | None = None  # number of the interaction that produced it
    source: str | None = None  # where an inferred commitment was read from

    @property
    def is_buyer(self) -> bool:
        return self.party is Party.BUYER

    @property
    def is_held(self) -> bool:
        """Obtained or kept: it counts as evidence."""
        return self.status in HELD

    @property
    def dated(self) -> bool:
        return self.due is not None or self.kept_on is not None

    @property
    def evidence_date(self) -> date | None:
        return self.kept_on or self.due

    @property
    def next_statuses(self) -> tuple[Status, ...]:
        """Where a person may move it next, in lifecycle order. An inferred one is settled by
        confirming or rejecting it instead."""
        if self.status is Status.INFERRED:
            return ()
        return tuple(s for s in Status if s in TRANSITIONS[self.status])

    def move_to(self, new: Status, now: datetime) -> None:
        if not can_transition(self.status, new):
            allowed = ", ".join(sorted(s.value for s in TRANSITIONS[self.status])) or "none"
            raise invalid(
                "invalid_transition",
                f"Commitment {self.number} is {self.status.value} and cannot become "
                f"{new.value}; allowed next: {allowed}.",
                "status",
            )
        self.status = new
        if new in HELD and self.obtained_at is None:
            self.obtained_at = now
        if new is Status.KEPT and self.kept_on is None:
            self.kept_on = now.date()
        if new in LOST_STATUSES:
            self.lost_at = now
