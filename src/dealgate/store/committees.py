"""The buying committees of many deals at once, by name: to tell who a note's "Raj" is."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from dealgate.store import tables as t

CHUNK = 500  # ids per query: within every database's limit on bound parameters


def names_by_deal(conn: Connection, deal_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Each deal's stakeholders' names, in the order they were added (deals without any are
    left out)."""
    s = t.stakeholders
    ids = sorted(set(deal_ids))
    found: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        query = select(s.c.deal_id, s.c.name).where(s.c.deal_id.in_(ids[start : start + CHUNK]))
        for deal_id, name in conn.execute(query.order_by(s.c.deal_id, s.c.number)):
            found.setdefault(deal_id, []).append(name)
    return {deal_id: tuple(names) for deal_id, names in found.items()}
