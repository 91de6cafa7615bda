"""A deal as it stood at an earlier moment, rewound from its records now and its events.

A review "as of" a past day must judge each deal by what was recorded by then, not by
today's statuses (DESIGN.md §4: "as of" views are derived from events). Rows carry when they
were made: commitments and interactions their `created_at`, stage moves and notes their time.
What changed in place since (a commitment's status and who made it, the deal's name, owner,
amount or close date, a stakeholder added or corrected) is undone with the events recorded
after the moment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dealgate.domain.commitment import Commitment, Status
from dealgate.domain.deal import Deal
from dealgate.domain.events import Event, StageMove
from dealgate.domain.process import CLOSED_STAGES
from dealgate.domain.stakeholder import Role, Stakeholder

# The deal's own fields an event may set, and how its payload writes each.
FIELDS: dict[str, Any] = {
    "name": str,
    "account": str,
    "owner": str,
    "amount": lambda v: None if v is None else Decimal(v),
    "close_date": lambda v: None if v is None else date.fromisoformat(v),
}


# The events that say what changed in place; stage moves are in the deal's `history`.
REWINDING = (
    "commitment.status_changed",
    "commitment.person_named",
    "stakeholder.added",
    "stakeholder.changed",
    "deal.opened",
    "deal.updated",
)


def deal_as_of(deal: Deal, moment: datetime, events: Sequence[Event]) -> Deal | None:
    """The deal as it was at `moment`, or None if it was opened later. `events`: the deal's
    events, oldest first, those of the `REWINDING` types at least."""
    if deal.created_at > moment:
        return None
    later = [e for e in events if e.at > moment]
    history = [m for m in deal.history if m.at <= moment]
    stage, entered = deal.stage, deal.stage_entered_at
    if history:
        stage, entered = history[-1].to_stage, _entered(history)
    was: dict[int, Status] = {}  # the status each commitment changed from first after it
    kept: dict[int, date] = {}  # the day each became kept after it
    added_later: set[int] = set()
    person_was: dict[int, dict[str, Any]] = {}  # a stakeholder's fields before corrections
    named_was: dict[int, str | None] = {}  # who a commitment named before it was named anew
    for event in reversed(later):  # newest first: the last one seen is the first change
        if event.type == "commitment.status_changed":
            number = int(event.payload["number"])
            was[number] = Status(event.payload["from"])
            if event.payload["to"] == Status.KEPT:
                kept[number] = event.at.date()
            if "person_was" in event.payload:  # confirmed naming who made it
                named_was[number] = event.payload["person_was"]
        elif event.type == "commitment.person_named":
            named_was[int(event.payload["number"])] = event.payload["from"]
        elif event.type == "stakeholder.added":
            added_later.add(int(event.payload["number"]))
        elif event.type == "stakeholder.changed":
            person_was.setdefault(int(event.payload["number"]), {}).update(event.payload["from"])
            for number, named in event.payload["commitments"]:
                named_was[int(number)] = named
    commitments = [
        _commitment_as_of(c, moment, was.get(c.number), kept.get(c.number))
        for c in deal.commitments
        if c.created_at <= moment
    ]
    commitments = [
        replace(c, person=named_was[c.number]) if c.number in named_was else c for c in commitments
    ]
    stakeholders = [
        _stakeholder_as_of(s, person_was.get(s.number))
        for s in deal.stakeholders
        if s.number not in added_later
    ]
    return replace(
        deal,
        stage=stage,
        stage_entered_at=entered,
        close_reason=deal.close_reason if stage in CLOSED_STAGES else None,
        stakeholders=stakeholders,
        commitments=commitments,
        interactions=[i for i in deal.interactions if i.created_at <= moment],
        dissatisfaction=[n for n in deal.dissatisfaction if n.at <= moment],
        history=history,
        new_events=[],
        **_fields_as_of(events, later, moment),
    )


def _entered(history: Sequence[StageMove]) -> datetime:
    """When the deal entered the stage it stood in after `history`: a process's move keeps the
    time it entered the stage that process left out (`Deal.restage`)."""
    moved = [m for m in history if not m.restaged]
    return moved[-1].at if moved else history[0].at


def _stakeholder_as_of(s: Stakeholder, was: dict[str, Any] | None) -> Stakeholder:
    """As they were listed before the corrections made since (a copy: nothing mutates)."""
    if not was:
        return s
    fields = {**was, "role": Role(was["role"])} if "role" in was else was
    return replace(s, **fields)


def _commitment_as_of(
    c: Commitment, moment: datetime, was: Status | None, kept_day: date | None
) -> Commitment:
    """Its status before the changes after `moment` (`was`), their moments forgotten. Most
    commitments did not change since: those are the same objects (nothing mutates them).
    Becoming kept on `kept_day` wrote that day as `kept_on` unless it had one (read from a
    text saying it was done): the day it holds tells which, short of a coincidence."""
    obtained = c.obtained_at if c.obtained_at and c.obtained_at <= moment else None
    lost = c.lost_at if c.lost_at and c.lost_at <= moment else None
    kept = c.kept_on if c.kept_on and c.kept_on <= moment.date() else None
    if was is not None and was is not Status.KEPT and kept == kept_day:
        kept = None
    if was is None and (obtained, lost, kept) == (c.obtained_at, c.lost_at, c.kept_on):
        return c
    return replace(c, status=was or c.status, obtained_at=obtained, lost_at=lost, kept_on=kept)


def _fields_as_of(
    events: Sequence[Event], later: Sequence[Event], moment: datetime
) -> dict[str, Any]:
    """The value at `moment` of each field changed after it: the last one set at or before
    it. A field no earlier event wrote (a deal imported before imports recorded the fields
    a deal opened with) keeps the value it has now."""
    changed = {key for e in later if e.type == "deal.updated" for key in e.payload}
    values: dict[str, Any] = {}
    for event in events:
        if event.at > moment or event.type not in ("deal.opened", "deal.updated"):
            continue
        for key in changed & FIELDS.keys() & event.payload.keys():
            values[key] = FIELDS[key](event.payload[key])
    return values
