"""The board's read model: the first cards of each column and each column's totals, without
loading commitments or reading every deal (an imported pipeline has tens of thousands)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Connection, cast, func, select

from dealgate.domain.ordering import by_name
from dealgate.store import tables as t
from dealgate.store.review_sql import Scope

d = t.deals
CARD_COLUMNS = (*t.deal_headline, d.c.last_buyer_obtained_at)


@dataclass(frozen=True)
class CardRow:
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: Decimal | None
    last_buyer_commitment: datetime | None


@dataclass(frozen=True)
class StageGroup:
    """The open deals of one stage whose buyer holds the same highest rung."""

    stage: str
    highest_rung: int | None
    deals: int
    amount: Decimal


def open_deals(conn: Connection, owners: frozenset[str] | None, owner: str | None) -> list[CardRow]:
    """Every open deal in view, in id order."""
    query = select(*CARD_COLUMNS).order_by(d.c.id)
    return [CardRow(*row) for row in conn.execute(Scope(owner=owner, owners=owners).apply(query))]


def first_cards(
    conn: Connection,
    owners: frozenset[str] | None,
    owner: str | None,
    stages: Iterable[str],
    per_stage: int,
    also: int | None = None,
) -> list[CardRow]:
    """The first `per_stage` open deals of each stage in id order, and deal `also` wherever
    it is (a refused card is shown however far down its column it sits)."""
    scope = Scope(owner=owner, owners=owners)
    found: dict[int, CardRow] = {}
    for stage in stages:
        query = scope.apply(select(*CARD_COLUMNS).where(d.c.stage == stage))
        for row in conn.execute(query.order_by(d.c.id).limit(per_stage)):
            found[row.id] = CardRow(*row)
    if also is not None and also not in found:
        for row in conn.execute(scope.apply(select(*CARD_COLUMNS).where(d.c.id == also))):
            found[row.id] = CardRow(*row)
    return [found[key] for key in sorted(found)]


def stage_groups(
    conn: Connection, owners: frozenset[str] | None, owner: str | None
) -> list[StageGroup]:
    """Open deals in view counted and summed by stage and highest buyer rung: whether a stage
    is backed depends on those two alone. Amounts are summed in cents, exactly on both
    databases (SQLite keeps them as floating point)."""
    cents = func.coalesce(func.sum(cast(func.round(d.c.amount * 100), BigInteger)), 0)
    query = select(d.c.stage, d.c.highest_rung, func.count(), cents).group_by(
        d.c.stage, d.c.highest_rung
    )
    return [
        StageGroup(stage, highest, deals, Decimal(int(total)).scaleb(-2))
        for stage, highest, deals, total in conn.execute(
            Scope(owner=owner, owners=owners).apply(query)
        )
    ]


def owner_names(conn: Connection, owners: frozenset[str] | None) -> list[str]:
    query = select(t.deals.c.owner).distinct()
    if owners is not None:
        query = query.where(t.deals.c.owner.in_(sorted(owners)))
    return by_name(conn.execute(query).scalars())
