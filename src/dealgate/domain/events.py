"""Append-only events and the stage history derived from them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# A process loaded left out the deal's stage and moved it (not an advance: no buyer evidence).
RESTAGED = "deal.restaged"
# Event types that change the stage; their payloads carry `from` and `to`.
STAGE_EVENTS = frozenset(
    {"deal.opened", "deal.advanced", "deal.closed", "deal.imported_stage", RESTAGED}
)


@dataclass(frozen=True)
class Event:
    type: str
    at: datetime
    actor: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageMove:
    """One step of a deal's stage history, with what justified it."""

    at: datetime
    actor: str
    from_stage: str | None
    to_stage: str
    commitments: tuple[int, ...] = ()
    override_reason: str | None = None
    reason: str | None = None
    skipped: tuple[str, ...] = ()
    exits: tuple[tuple[str, int], ...] = ()  # each stage left and the commitment that exited it
    restaged: bool = False  # moved by a process that left its stage out, not by the deal

    @property
    def overridden(self) -> bool:
        return self.override_reason is not None

    @classmethod
    def from_event(cls, event: Event) -> StageMove:
        p = event.payload
        return cls(
            at=event.at,
            actor=event.actor,
            from_stage=p.get("from"),
            to_stage=str(p["to"]),
            commitments=tuple(int(n) for n in p.get("commitments", ())),
            override_reason=p.get("override_reason"),
            reason=p.get("reason"),
            skipped=tuple(p.get("skipped", ())),
            exits=tuple((str(stage), int(number)) for stage, number in p.get("exits", ())),
            restaged=event.type == RESTAGED,
        )


def stage_history(events: list[Event]) -> list[StageMove]:
    return [StageMove.from_event(e) for e in events if e.type in STAGE_EVENTS]
