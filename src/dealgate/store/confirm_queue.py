"""The read model of commitments waiting for a person: inferred from an import's text or an
interaction's notes, on open deals, the largest deal first."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, func, select

from dealgate.domain.stakeholder import likely_member, on_committee
from dealgate.store import tables as t
from dealgate.store.committees import names_by_deal
from dealgate.store.review_sql import Scope


@dataclass(frozen=True)
class Waiting:
    deal_id: int
    deal: str
    account: str
    owner: str
    stage: str
    amount: Decimal | None
    number: int
    party: str
    kind: str | None
    person: str | None
    action: str
    due: date | None
    source: str | None
    committee: tuple[str, ...] = ()  # the deal's stakeholders, to name who made it

    @property
    def to_name(self) -> str | None:
        """For a buyer commitment naming no one on its deal's committee, the member it
        likely means ("" for none); None when there is no one to name."""
        if self.party != "buyer" or on_committee(self.person, self.committee):
            return None
        return likely_member(self.person, self.committee)


def waiting(
    conn: Connection,
    owners: frozenset[str] | None,
    owner: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[Waiting]]:
    """How many wait in view (`owners`; None: all; narrowed to `owner`), and one page of them."""
    c, d = t.commitments, t.deals
    scope = Scope(owner=owner, owners=owners)  # open deals in view, as the review's
    joined = c.join(d, d.c.id == c.c.deal_id)
    inferred = c.c.status == "inferred"
    total = conn.execute(
        scope.apply(select(func.count()).select_from(joined).where(inferred))
    ).scalar_one()
    rows = conn.execute(
        scope.apply(
            select(
                *t.deal_headline,
                c.c.number,
                c.c.party,
                c.c.kind,
                c.c.person,
                c.c.action,
                c.c.due,
                c.c.source,
            )
            .select_from(joined)
            .where(inferred)
        )
        .order_by(d.c.amount.desc().nulls_last(), d.c.id, c.c.number)
        .limit(limit)
        .offset(offset)
    ).all()
    committees = names_by_deal(conn, [row.id for row in rows])
    return int(total), [
        replace(Waiting(*row), committee=committees.get(row.id, ())) for row in rows
    ]


def highest_rungs_in_notes(conn: Connection, deal_ids: list[int] | None) -> dict[int, int | None]:
    """For each deal with buyer commitments read from text still waiting (among `deal_ids`;
    None: all), the highest of their rungs (None when none has a rung)."""
    c = t.commitments
    query = (
        select(c.c.deal_id, func.max(c.c.rung_level))
        .where(c.c.party == "buyer", c.c.status == "inferred")
        .group_by(c.c.deal_id)
    )
    if deal_ids is not None:
        if not deal_ids:
            return {}
        query = query.where(c.c.deal_id.in_(deal_ids))
    return {deal_id: rung for deal_id, rung in conn.execute(query)}
