"""Pipeline review use case: flags for every open deal, the summary line and the forecast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine

from dealgate.domain.access import Visibility
from dealgate.domain.as_of import REWINDING, deal_as_of
from dealgate.domain.deal import Deal
from dealgate.domain.errors import invalid
from dealgate.domain.process import Process
from dealgate.domain.process_change import stage_now
from dealgate.domain.review import FLAG_CODES, DealReview, Forecast, forecast, review_deal
from dealgate.domain.review_changes import ReviewChange, flag_moves, review_changes
from dealgate.store.review_sql import (
    Scope,
    changed_deals,
    inferred_only,
    review_pipeline,
    stages_of,
)
from dealgate.store.unit_of_work import UnitOfWork

# Stall limits are subtracted from the review date: keep it where dates still exist.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class PipelineReview:
    as_of: datetime
    process: Process
    deals: list[DealReview]  # every open deal reviewed (before the --flag filter)
    flag: str | None
    # Deals whose only buyer evidence is inferred from text, waiting for a person to confirm.
    inferred_only: int = 0

    @property
    def shown(self) -> list[DealReview]:
        if self.flag is None:
            return [r for r in self.deals if r.flags]
        return [r for r in self.deals if self.flag in r.codes]

    @property
    def flag_counts(self) -> dict[str, int]:
        counts = Counter(code for r in self.deals for code in r.codes)
        return {code: counts.get(code, 0) for code in FLAG_CODES}

    @property
    def value_evidenced(self) -> Decimal:
        return sum((r.amount or Decimal(0) for r in self.deals if r.evidenced), Decimal(0))

    @property
    def value_claimed(self) -> Decimal:
        """Value of deals whose stage their buyer commitments do not justify."""
        return sum((r.amount or Decimal(0) for r in self.deals if not r.evidenced), Decimal(0))

    @property
    def forecast(self) -> Forecast:
        return forecast(self.process, self.deals)


def review(
    engine: Engine,
    as_of: datetime,
    *,
    owner: str | None = None,
    flag: str | None = None,
    owners: frozenset[str] | None = None,
    now: datetime | None = None,
) -> PipelineReview:
    """The review of the open deals at `as_of`. Given `now`, a moment before it reviews the
    deals as they were then: those changed since are rewound from their events (slower, so
    only when asked for a past moment)."""
    _require_reviewable(as_of, "as_of")
    if flag is not None and flag not in FLAG_CODES:
        raise invalid(
            "unknown_flag", f"Unknown flag '{flag}'. Use one of: {', '.join(FLAG_CODES)}.", "flag"
        )
    # One snapshot: the facts of a flag are read by a later statement than the flag itself.
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        return _review_in(uow, as_of, owner, flag, owners, now)


def _require_reviewable(moment: datetime, field: str) -> None:
    if not EARLIEST <= moment <= LATEST:
        raise invalid(
            "invalid_date",
            f"Review dates run from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}; pick one between.",
            field,
        )


def _review_in(
    uow: UnitOfWork,
    as_of: datetime,
    owner: str | None,
    flag: str | None,
    owners: frozenset[str] | None,
    now: datetime | None,
) -> PipelineReview:
    past = as_of if now is not None and as_of < now else None
    process = uow.processes.active()
    deals = review_pipeline(
        uow.connection, process, as_of, owner=owner, owners=owners, unchanged_since=past
    )
    pending = inferred_only(uow.connection, Scope(owner, None, owners, past))
    if past is not None:
        rewound = _rewound(uow, process, past, owner, owners)
        then = [d for d in rewound if _in_view(d, owner, owners)]
        deals = sorted(
            [*deals, *(review_deal(d, process, past) for d in then)], key=lambda r: r.deal_id
        )
        pending += sum(d.rests_only_on_inferred_evidence for d in then)
    return PipelineReview(as_of, process, deals, flag, pending)


def _rewound(
    uow: UnitOfWork,
    process: Process,
    moment: datetime,
    owner: str | None,
    owners: frozenset[str] | None,
) -> Iterator[Deal]:
    """The deals changed since `moment` that may have been in view then, as they were then
    (open or closed, whoever's)."""
    changed = changed_deals(uow.connection, moment, owner, owners)
    former: dict[str, str] | None = None
    for start in range(0, len(changed), 1000):
        ids = changed[start : start + 1000]
        events = uow.deals.events_of(ids, REWINDING)
        for deal_id in ids:
            # One by one through the deal's stored document: a third of the table reads' time.
            then = deal_as_of(uow.deals.get(deal_id), moment, events.get(deal_id, []))
            if then is None:
                continue
            if not process.has_stage(then.stage):  # one a process loaded since left out
                former = uow.processes.former_stages() if former is None else former
                then = replace(then, stage=stage_now(process, former, then.stage))
            yield then


def _in_view(deal: Deal, owner: str | None, owners: frozenset[str] | None) -> bool:
    """Open, and the asked owner's (or one the user may see) at that moment."""
    return (
        not deal.is_closed
        and (owner is None or deal.owner == owner)
        and Visibility(owners).sees(deal.owner)
    )


@dataclass(frozen=True)
class PipelineChanges:
    """How the review moved between an earlier day and now, for the deals in view."""

    since: datetime
    until: datetime
    changes: list[ReviewChange]
    stages: dict[int, str]  # the stage now of the deals the later review no longer holds

    @property
    def flag_moves(self) -> dict[str, tuple[int, int]]:
        return flag_moves(self.changes)


def review_since(
    engine: Engine,
    since: datetime,
    now: datetime,
    *,
    owner: str | None = None,
    owners: frozenset[str] | None = None,
) -> PipelineChanges:
    """The deals whose flags or stage changed between `since` (as they were then) and now."""
    if since >= now:
        raise invalid(
            "invalid_date",
            f"Compare with a moment before now ({now:%Y-%m-%d %H:%M}); pick an earlier day.",
            "since",
        )
    _require_reviewable(since, "since")
    # One snapshot: today's review and the stages of the deals it no longer holds agree.
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        then = _review_in(uow, since, owner, None, owners, now)
        today = _review_in(uow, now, owner, None, owners, None)
        changes = review_changes(then.deals, today.deals)
        stages = stages_of(uow.connection, [c.deal_id for c in changes if c.stage_now is None])
    return PipelineChanges(since, now, changes, stages)
