"""The board's read model: one row per open deal, without loading commitments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, select

from dealgate.store import tables as t
from dealgate.store.review_sql import Scope


@dataclass(frozen=True)
class CardRow:
    id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: Decimal | None
    last_buyer_commitment: datetime | None


def open_deals(conn: Connection, owners: frozenset[str] | None, owner: str | None) -> list[CardRow]:
    d = t.deals
    query = select(
        d.c.id,
        d.c.name,
        d.c.account,
        d.c.owner,
        d.c.stage,
        d.c.amount,
        d.c.last_buyer_obtained_at,
    ).order_by(d.c.id)
    return [CardRow(*row) for row in conn.execute(Scope(owner=owner, owners=owners).apply(query))]


def owner_names(conn: Connection, owners: frozenset[str] | None) -> list[str]:
    query = select(t.deals.c.owner).distinct()
    if owners is not None:
        query = query.where(t.deals.c.owner.in_(sorted(owners)))
    return sorted(conn.execute(query).scalars())
