"""Set-based pipeline review: the same flags as `domain/review.py`, computed in the database.

Chosen by measurement (bench/review.py): computing every rule from the commitments table
took 30x the one-query baseline at 100,000 deals, so each deal keeps its review signals
(domain/review.py DealSignals) in its row, written with every change. The review is one pass
over the deals, plus one query per rule for the facts of the flagged deals only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
    union,
)

from dealgate.domain.commitment import HELD as HELD_STATUSES
from dealgate.domain.ladder import Rung
from dealgate.domain.process import CLOSED_STAGES, Process
from dealgate.domain.review import (
    BROKEN,
    CONTINUATION_STREAK,
    DEFAULT_STREAK,
    EASY_COMMITMENT,
    OVERDUE,
    OVERRIDDEN,
    RUNG_REGRESSION,
    SELLER_ONLY,
    STALLED,
    UNEVIDENCED_STAGE,
    DealReview,
    Flag,
)
from dealgate.store import tables as t
from dealgate.store.types import UTCDateTime, as_utc, from_driver

d, c, i = t.deals, t.commitments, t.interactions
HELD = tuple(sorted(status.value for status in HELD_STATUSES))  # as the domain holds them
LOST = ("broken", "withdrawn")


@dataclass(frozen=True)
class Scope:
    owner: str | None = None
    deal_ids: tuple[int, ...] | None = None
    owners: frozenset[str] | None = None  # what the asking user may see; None: everything
    # A past moment: only the deals opened by then with nothing recorded since, which are
    # as they were then (the others are rewound from their events: `domain/as_of.py`).
    unchanged_since: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = query.where(d.c.stage.not_in(CLOSED_STAGES))
        if self.unchanged_since is not None:
            moment = self.unchanged_since
            query = query.where(d.c.created_at <= moment, d.c.id.not_in(_changed_after(moment)))
        if self.owner is not None:
            query = query.where(d.c.owner == self.owner)
        if self.owners is not None:
            query = query.where(d.c.owner.in_(sorted(self.owners)))
        if self.deal_ids is not None:
            query = query.where(d.c.id.in_(self.deal_ids))
        return query


def changed_deals(
    conn: Connection,
    moment: datetime,
    owner: str | None = None,
    owners: frozenset[str] | None = None,
) -> list[int]:
    """The deals opened by `moment` with anything recorded after it, in id order; given
    `owner` or `owners`, those it may have had then: owned now, or edited since (its owner
    then is in its events)."""
    query = select(d.c.id).where(d.c.created_at <= moment, d.c.id.in_(_changed_after(moment)))
    owned = [d.c.owner == owner] if owner is not None else []
    if owners is not None:
        owned.append(d.c.owner.in_(sorted(owners)))
    if owned:
        e = t.events
        edited = select(e.c.deal_id).where(e.c.type == "deal.updated", e.c.at > moment)
        query = query.where(or_(and_(*owned), d.c.id.in_(edited)))
    return list(conn.execute(query.order_by(d.c.id)).scalars())


def stages_of(conn: Connection, deal_ids: list[int]) -> dict[int, str]:
    """The stage of each of these deals now."""
    found: dict[int, str] = {}
    for start in range(0, len(deal_ids), 500):
        query = select(d.c.id, d.c.stage).where(d.c.id.in_(deal_ids[start : start + 500]))
        found.update({deal_id: stage for deal_id, stage in conn.execute(query)})
    return found


def _changed_after(moment: datetime) -> Any:
    """Deals with an event, a commitment or an interaction recorded after `moment`, or a
    commitment obtained, broken or withdrawn since (imports write rows without events)."""
    e = t.events
    return union(
        select(e.c.deal_id).where(e.c.at > moment),
        select(c.c.deal_id).where(
            or_(c.c.created_at > moment, c.c.obtained_at > moment, c.c.lost_at > moment)
        ),
        select(i.c.deal_id).where(i.c.created_at > moment),
    )


def review_pipeline(
    conn: Connection,
    process: Process,
    as_of: datetime,
    *,
    owner: str | None = None,
    deal_ids: Iterable[int] | None = None,
    streak: int = DEFAULT_STREAK,
    owners: frozenset[str] | None = None,
    unchanged_since: datetime | None = None,
) -> list[DealReview]:
    """Review every open deal in scope: one pass over the deals' signals decides the flags,
    then a query per rule fetches the facts of the flagged deals only. `unchanged_since`:
    see `Scope`."""
    scope = Scope(owner, tuple(deal_ids) if deal_ids is not None else None, owners, unchanged_since)
    today = as_of.date()
    last = d.c.last_buyer_obtained_at
    since = case((last > d.c.stage_entered_at, last), else_=d.c.stage_entered_at)
    limits = {s.key: s.stall_after_days for s in process.stages if s.stall_after_days}
    threshold = case(
        {key: literal(as_of - timedelta(days=days), UTCDateTime) for key, days in limits.items()},
        value=d.c.stage,
        else_=None,
    )
    flags = _flag_conditions(today)
    # The driver's rows, with each column's own result processor applied only where a value
    # is used: SQLAlchemy's row processing was a quarter of the review at 100,000 deals.
    rows, coltypes = _unprocessed(
        conn,
        scope.apply(
            select(
                *t.deal_headline,
                d.c.override_reason,
                d.c.highest_rung,
                d.c.newest_commitment,
                d.c.newest_rung,
                d.c.streak_since,
                d.c.open_due_min,
                type_coerce(case((since < threshold, since), else_=None), UTCDateTime).label(
                    "stalled_since"
                ),
                *(case((condition, 1), else_=0).label(code) for code, condition in flags.items()),
            ).order_by(d.c.id)
        ),
    )
    as_decimal = from_driver(d.c.amount.type, conn.dialect, coltypes[5]) or _same
    as_date = from_driver(d.c.open_due_min.type, conn.dialect, coltypes[11]) or _same
    overdue_since = {r[0]: as_date(r[11]) for r in rows if r[13]}
    facts = {
        OVERDUE: _overdue(conn, scope, today, overdue_since) if overdue_since else {},
        BROKEN: _broken(conn, scope) if any(r[14] for r in rows) else {},
        SELLER_ONLY: _seller_only(conn, scope) if any(r[15] for r in rows) else {},
        EASY_COMMITMENT: _easy(conn, scope, process),
    }
    streaks = _streaks(conn, scope, streak) if streak != DEFAULT_STREAK else None
    # Per-process lookups, so the per-deal loop is dictionary reads only.
    position = {key: n for n, key in enumerate(process.stage_keys)}
    evidenced_by_level = {
        level: process.evidenced_stage(Rung.from_level(level) if level else None)
        for level in range(0, len(Rung) + 1)
    }
    rung_name = {r.level: r.value for r in Rung}
    out = []
    for (
        deal_id,
        name,
        account,
        owner_name,
        stage,
        amount,
        override_reason,
        highest,
        newest_commitment,
        newest_rung,
        streak_since,
        _open_due_min,
        stalled_since,
        overdue,
        broken,
        seller_only,
    ) in rows:
        evidenced = evidenced_by_level[highest or 0]
        found: list[Flag] = []
        if stalled_since is not None:
            stalled_since = as_utc(stalled_since)
            found.append(
                Flag(
                    STALLED,
                    {
                        "since": stalled_since.isoformat(),
                        "days_without_buyer_commitment": (as_of - stalled_since).days,
                        "stall_after_days": limits[stage],
                    },
                )
            )
        if overdue:
            found.append(Flag(OVERDUE, facts[OVERDUE][deal_id]))
        if broken:
            found.append(Flag(BROKEN, facts[BROKEN][deal_id]))
        if streaks is not None:
            if deal_id in streaks:
                found.append(Flag(CONTINUATION_STREAK, streaks[deal_id]))
        elif streak_since is not None:
            found.append(
                Flag(
                    CONTINUATION_STREAK,
                    {"last": DEFAULT_STREAK, "since": _iso_date(streak_since)},
                )
            )
        if seller_only:
            found.append(Flag(SELLER_ONLY, facts[SELLER_ONLY][deal_id]))
        if position[stage] > position[evidenced]:
            found.append(
                Flag(
                    UNEVIDENCED_STAGE,
                    {
                        "claimed_stage": stage,
                        "evidenced_stage": evidenced,
                        "highest_rung": rung_name[highest] if highest else None,
                    },
                )
            )
        if newest_rung is not None and highest is not None and newest_rung < highest:
            found.append(
                Flag(
                    RUNG_REGRESSION,
                    {
                        "newest_commitment": newest_commitment,
                        "newest_rung": rung_name[newest_rung],
                        "highest_rung_won": rung_name[highest],
                    },
                )
            )
        if deal_id in facts[EASY_COMMITMENT]:
            found.append(Flag(EASY_COMMITMENT, facts[EASY_COMMITMENT][deal_id]))
        if override_reason is not None:
            found.append(Flag(OVERRIDDEN, {"reason": override_reason}))
        out.append(
            DealReview(
                deal_id=deal_id,
                name=name,
                account=account,
                owner=owner_name,
                stage=stage,
                amount=as_decimal(amount) if amount is not None else None,
                highest_rung=highest,
                evidenced_stage=evidenced,
                flags=tuple(found),
            )
        )
    return out


def _flag_conditions(today: date) -> dict[str, Any]:
    """The rules over the deals' signals, as SQL conditions."""
    last = d.c.last_buyer_obtained_at
    after_last = or_(last.is_(None), d.c.last_seller_created_at > last)
    buyer_after = and_(
        d.c.last_buyer_created_at.is_not(None),
        or_(last.is_(None), d.c.last_buyer_created_at > last),
    )
    return {
        OVERDUE: d.c.open_due_min < today,
        BROKEN: and_(d.c.last_lost_at.is_not(None), or_(last.is_(None), d.c.last_lost_at > last)),
        SELLER_ONLY: and_(d.c.last_seller_created_at.is_not(None), after_last, not_(buyer_after)),
    }


def _flagged(scope: Scope, code: str, today: date) -> Any:
    """Ids of the deals in scope that carry `code`, for the facts queries."""
    return scope.apply(select(d.c.id).where(_flag_conditions(today)[code])).scalar_subquery()


def _in_scope(scope: Scope) -> Any:
    return scope.apply(select(d.c.id)).scalar_subquery()


def _overdue(
    conn: Connection, scope: Scope, today: date, oldest: dict[int, date]
) -> dict[int, dict[str, Any]]:
    """The overdue commitments of each flagged deal; the oldest due date is the deal's signal."""
    query = (
        select(c.c.deal_id, c.c.number)
        .where(
            c.c.deal_id.in_(_flagged(scope, OVERDUE, today)),
            c.c.party == "buyer",
            c.c.status == "obtained",
            c.c.due < today,
        )
        .order_by(c.c.deal_id, c.c.number)
    )
    grouped: dict[int, list[int]] = defaultdict(list)
    for deal_id, number in _raw(conn, query):  # plain ints: no per-row type processing
        grouped[deal_id].append(number)
    return {
        deal_id: {
            "commitments": numbers,
            "oldest_due": oldest[deal_id].isoformat(),
            "days_overdue": (today - oldest[deal_id]).days,
        }
        for deal_id, numbers in grouped.items()
    }


def _same(value: Any) -> Any:
    return value


def _unprocessed(conn: Connection, query: Any) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """Run a query with SQLAlchemy's parameter handling; return the rows as the driver gives
    them, with no per-row type processing, and the driver's type code of each column."""
    result = conn.execute(query)
    try:
        coltypes = [column[1] for column in result.cursor.description]
        return list(result.cursor.fetchall()), coltypes
    finally:
        result.close()


def _raw(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """Run a query through the driver and return its tuples as the driver gives them."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled))
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _broken(conn: Connection, scope: Scope) -> dict[int, dict[str, Any]]:
    last = d.c.last_buyer_obtained_at
    rows = conn.execute(
        select(c.c.deal_id, c.c.number)
        .select_from(c.join(d, d.c.id == c.c.deal_id))
        .where(
            c.c.deal_id.in_(_flagged(scope, BROKEN, date.min)),
            c.c.party == "buyer",
            c.c.status.in_(LOST),
            c.c.lost_at.is_not(None),
            or_(last.is_(None), c.c.lost_at > last),
        )
        .order_by(c.c.deal_id, c.c.number)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row.deal_id, {"commitments": []})["commitments"].append(row.number)
    return out


def _seller_only(conn: Connection, scope: Scope) -> dict[int, dict[str, Any]]:
    last = d.c.last_buyer_obtained_at
    rows, _ = _unprocessed(
        conn,
        select(c.c.deal_id, func.count().label("sellers"), func.max(last).label("since"))
        .select_from(c.join(d, d.c.id == c.c.deal_id))
        .where(
            c.c.deal_id.in_(_flagged(scope, SELLER_ONLY, date.min)),
            c.c.party == "seller",
            or_(last.is_(None), c.c.created_at > last),
        )
        .group_by(c.c.deal_id),
    )
    return {
        deal_id: {
            "seller_commitments": int(sellers),
            "since": as_utc(since).isoformat() if since else None,
        }
        for deal_id, sellers, since in rows
    }


def _streaks(conn: Connection, scope: Scope, streak: int) -> dict[int, dict[str, Any]]:
    evidence = exists().where(
        c.c.deal_id == i.c.deal_id,
        c.c.interaction == i.c.number,
        c.c.party == "buyer",
        c.c.status.in_(HELD),
    )
    continuation = case((or_(i.c.client_declined, evidence), 0), else_=1)
    recent = (
        select(
            i.c.deal_id,
            i.c.on_date,
            continuation.label("cont"),
            func.row_number()
            .over(partition_by=i.c.deal_id, order_by=(i.c.on_date.desc(), i.c.number.desc()))
            .label("rn"),
        )
        .where(i.c.deal_id.in_(_in_scope(scope)))
        .subquery()
    )
    rows = conn.execute(
        select(recent.c.deal_id, func.min(recent.c.on_date).label("since"))
        .where(recent.c.rn <= streak)
        .group_by(recent.c.deal_id)
        .having(
            and_(
                func.count() == streak,
                func.sum(recent.c.cont) == literal(streak, Integer),
            )
        )
    ).all()
    return {r.deal_id: {"last": streak, "since": _iso_date(r.since)} for r in rows}


def _easy(conn: Connection, scope: Scope, process: Process) -> dict[int, dict[str, Any]]:
    expected: dict[str, int] = {}
    for stage in process.stages:
        floor_rung = process.expected_rung(stage)
        if floor_rung is not None:
            expected[stage.key] = floor_rung.level
    if not expected:
        return {}
    x = t.stage_exits
    floor = case(expected, value=x.c.stage, else_=None)
    rows = conn.execute(
        select(x.c.deal_id, x.c.stage, x.c.commitment, c.c.rung_level, floor.label("floor"))
        .select_from(x.join(c, and_(c.c.deal_id == x.c.deal_id, c.c.number == x.c.commitment)))
        .where(
            x.c.deal_id.in_(_in_scope(scope)),
            c.c.rung_level.is_not(None),
            c.c.rung_level < floor,
        )
        .order_by(x.c.deal_id, x.c.commitment, x.c.stage)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r.deal_id, {"exits": []})["exits"].append(
            [
                r.stage,
                r.commitment,
                Rung.from_level(r.rung_level).value,
                Rung.from_level(r.floor).value,
            ]
        )
    return out


def _iso_date(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def inferred_only(conn: Connection, scope: Scope) -> int:
    """How many open deals in scope rest only on inferred buyer commitments: at least one
    inferred, none held. Counted per deal from the (deal, party, status) index: a pass over every
    buyer commitment cost half the review at 20,000 deals."""

    def buyer(*statuses: str) -> Any:
        return (
            select(c.c.deal_id)
            .where(c.c.deal_id == d.c.id, c.c.party == "buyer", c.c.status.in_(statuses))
            .exists()
        )

    query = scope.apply(select(func.count()).where(buyer("inferred"), ~buyer(*HELD)))
    counted: int = conn.execute(query).scalar_one()
    return counted
