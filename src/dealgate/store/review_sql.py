"""Set-based pipeline review: the same flags as `domain/review.py`, computed in the database.

A handful of grouped queries over the whole pipeline instead of loading every deal: one pass
of aggregates per deal, then one query per rule that needs rows (overdue, broken, seller-only,
regression, streak, easy exits). Only flagged deals come back from those.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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
    or_,
    select,
    type_coerce,
)

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
from dealgate.store.types import UTCDateTime

d, c, i = t.deals, t.commitments, t.interactions
HELD = ("obtained", "kept")
LOST = ("broken", "withdrawn")


@dataclass(frozen=True)
class Scope:
    owner: str | None = None
    deal_ids: tuple[int, ...] | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        query = query.where(d.c.stage.not_in(CLOSED_STAGES))
        if self.owner is not None:
            query = query.where(d.c.owner == self.owner)
        if self.deal_ids is not None:
            query = query.where(d.c.id.in_(self.deal_ids))
        return query


def review_pipeline(
    conn: Connection,
    process: Process,
    as_of: datetime,
    *,
    owner: str | None = None,
    deal_ids: Iterable[int] | None = None,
    streak: int = DEFAULT_STREAK,
) -> list[DealReview]:
    scope = Scope(owner, tuple(deal_ids) if deal_ids is not None else None)
    lo = _last_obtained()
    # The stall check runs in the database: only stalled deals bring a timestamp back.
    since = case(
        (lo.c.last_obtained > d.c.stage_entered_at, lo.c.last_obtained),
        else_=d.c.stage_entered_at,
    )
    limits = {s.key: s.stall_after_days for s in process.stages if s.stall_after_days}
    threshold = case(
        {key: literal(as_of - timedelta(days=days), UTCDateTime) for key, days in limits.items()},
        value=d.c.stage,
        else_=None,
    )
    stalled_since = type_coerce(case((since < threshold, since), else_=None), UTCDateTime)
    rows = conn.execute(
        scope.apply(
            select(
                d.c.id,
                d.c.name,
                d.c.account,
                d.c.owner,
                d.c.stage,
                d.c.amount,
                d.c.override_reason,
                lo.c.highest,
                stalled_since.label("stalled_since"),
            )
            .select_from(d)
            .outerjoin(lo, lo.c.deal_id == d.c.id)
            .order_by(d.c.id)
        )
    ).all()
    facts = {
        OVERDUE: _overdue(conn, scope, as_of),
        BROKEN: _broken(conn, scope),
        CONTINUATION_STREAK: _streaks(conn, scope, streak),
        SELLER_ONLY: _seller_only(conn, scope),
        RUNG_REGRESSION: _regressions(conn, scope),
        EASY_COMMITMENT: _easy(conn, scope, process),
    }
    # Per-process lookups, so the per-deal loop is dictionary reads only.
    position = {key: n for n, key in enumerate(process.stage_keys)}
    evidenced_by_level = {
        level: process.evidenced_stage(Rung.from_level(level) if level else None)
        for level in range(0, len(Rung) + 1)
    }
    rung_name = {r.level: r.value for r in Rung}
    out = []
    for row in rows:
        highest = row.highest
        evidenced = evidenced_by_level[highest or 0]
        found: list[Flag] = []
        if row.stalled_since is not None:
            found.append(
                Flag(
                    STALLED,
                    {
                        "since": row.stalled_since.isoformat(),
                        "days_without_buyer_commitment": (as_of - row.stalled_since).days,
                        "stall_after_days": limits[row.stage],
                    },
                )
            )
        for code in (OVERDUE, BROKEN, CONTINUATION_STREAK, SELLER_ONLY):
            if row.id in facts[code]:
                found.append(Flag(code, facts[code][row.id]))
        if position[row.stage] > position[evidenced]:
            found.append(
                Flag(
                    UNEVIDENCED_STAGE,
                    {
                        "claimed_stage": row.stage,
                        "evidenced_stage": evidenced,
                        "highest_rung": rung_name[highest] if highest else None,
                    },
                )
            )
        newest = facts[RUNG_REGRESSION].get(row.id)
        if newest is not None and highest is not None and newest["level"] < highest:
            found.append(
                Flag(
                    RUNG_REGRESSION,
                    {
                        "newest_commitment": newest["number"],
                        "newest_rung": rung_name[newest["level"]],
                        "highest_rung_won": rung_name[highest],
                    },
                )
            )
        if row.id in facts[EASY_COMMITMENT]:
            found.append(Flag(EASY_COMMITMENT, facts[EASY_COMMITMENT][row.id]))
        if row.override_reason is not None:
            found.append(Flag(OVERRIDDEN, {"reason": row.override_reason}))
        out.append(
            DealReview(
                deal_id=row.id,
                name=row.name,
                account=row.account,
                owner=row.owner,
                stage=row.stage,
                amount=row.amount,
                highest_rung=highest,
                evidenced_stage=evidenced,
                flags=tuple(found),
            )
        )
    return out


def _last_obtained() -> Any:
    """Per deal: when the buyer last gave a commitment, and the highest rung they hold."""
    return (
        select(
            c.c.deal_id,
            func.max(c.c.obtained_at).label("last_obtained"),
            func.max(case((c.c.status.in_(HELD), c.c.rung_level), else_=None)).label("highest"),
        )
        .where(c.c.party == "buyer")
        .group_by(c.c.deal_id)
        .subquery("lo")
    )


def _in_scope(scope: Scope) -> Any:
    return scope.apply(select(d.c.id)).scalar_subquery()


def _overdue(conn: Connection, scope: Scope, as_of: datetime) -> dict[int, dict[str, Any]]:
    today = as_of.date()
    rows = conn.execute(
        select(c.c.deal_id, c.c.number, c.c.due)
        .where(
            c.c.deal_id.in_(_in_scope(scope)),
            c.c.party == "buyer",
            c.c.status == "obtained",
            c.c.due < today,
        )
        .order_by(c.c.deal_id, c.c.number)
    ).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.deal_id].append(row)
    out = {}
    for deal_id, late in grouped.items():
        oldest = min(r.due for r in late)
        out[deal_id] = {
            "commitments": [r.number for r in late],
            "oldest_due": oldest.isoformat(),
            "days_overdue": (today - oldest).days,
        }
    return out


def _broken(conn: Connection, scope: Scope) -> dict[int, dict[str, Any]]:
    lo = _last_obtained()
    rows = conn.execute(
        select(c.c.deal_id, c.c.number)
        .select_from(c.outerjoin(lo, lo.c.deal_id == c.c.deal_id))
        .where(
            c.c.deal_id.in_(_in_scope(scope)),
            c.c.party == "buyer",
            c.c.status.in_(LOST),
            c.c.lost_at.is_not(None),
            or_(lo.c.last_obtained.is_(None), c.c.lost_at > lo.c.last_obtained),
        )
        .order_by(c.c.deal_id, c.c.number)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        out.setdefault(row.deal_id, {"commitments": []})["commitments"].append(row.number)
    return out


def _seller_only(conn: Connection, scope: Scope) -> dict[int, dict[str, Any]]:
    lo = _last_obtained()
    after = or_(lo.c.last_obtained.is_(None), c.c.created_at > lo.c.last_obtained)
    seller = func.sum(case((c.c.party == "seller", 1), else_=0))
    buyer = func.sum(case((c.c.party == "buyer", 1), else_=0))
    rows = conn.execute(
        select(c.c.deal_id, seller.label("sellers"), func.max(lo.c.last_obtained).label("since"))
        .select_from(c.outerjoin(lo, lo.c.deal_id == c.c.deal_id))
        .where(c.c.deal_id.in_(_in_scope(scope)), after)
        .group_by(c.c.deal_id)
        .having(and_(buyer == 0, seller > 0))
    ).all()
    out = {}
    for row in rows:
        since = row.since
        if isinstance(since, str):  # SQLite loses the column type through MAX over a join
            since = UTCDateTime().process_result_value(datetime.fromisoformat(since), None)  # type: ignore[arg-type]
        out[row.deal_id] = {
            "seller_commitments": int(row.sellers),
            "since": since.isoformat() if since else None,
        }
    return out


def _regressions(conn: Connection, scope: Scope) -> dict[int, dict[str, int]]:
    ranked = (
        select(
            c.c.deal_id,
            c.c.number,
            c.c.rung_level,
            func.row_number()
            .over(
                partition_by=c.c.deal_id,
                order_by=(c.c.obtained_at.desc(), c.c.number.desc()),
            )
            .label("rn"),
        )
        .where(
            c.c.deal_id.in_(_in_scope(scope)),
            c.c.party == "buyer",
            c.c.obtained_at.is_not(None),
            c.c.rung_level.is_not(None),
        )
        .subquery()
    )
    rows = conn.execute(
        select(ranked.c.deal_id, ranked.c.number, ranked.c.rung_level).where(ranked.c.rn == 1)
    ).all()
    return {r.deal_id: {"number": r.number, "level": r.rung_level} for r in rows}


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
