"""Bulk writes for imports: many rows per statement, every batch in one transaction, and a
key per source row so that a re-run, or a run after a crash, writes nothing twice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from dealgate.store import tables as t


class ImportLedger:
    """What an import has already written, read once at the start."""

    def __init__(self, conn: Connection, prefix: str) -> None:
        self.deal_ids: dict[str, int] = {
            r.external_id: r.id
            for r in conn.execute(
                select(t.deals.c.id, t.deals.c.external_id).where(
                    t.deals.c.external_id.like(f"{prefix}:%")
                )
            )
        }
        self.next_number: dict[str, dict[int, int]] = {}
        for name, table in (
            ("stakeholders", t.stakeholders),
            ("interactions", t.interactions),
            ("commitments", t.commitments),
        ):
            counters: dict[int, int] = defaultdict(int)
            for r in conn.execute(
                select(table.c.deal_id, func.max(table.c.number)).group_by(table.c.deal_id)
            ):
                counters[r[0]] = int(r[1])
            self.next_number[name] = counters

    def number(self, table: str, deal_id: int) -> int:
        self.next_number[table][deal_id] += 1
        return self.next_number[table][deal_id]


def known_keys(conn: Connection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            r.key
            for r in conn.execute(select(t.import_keys.c.key).where(t.import_keys.c.key.in_(chunk)))
        )
    return found


def record_keys(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    rows = [{"key": k, "at": now} for k in keys]
    if rows:
        conn.execute(insert(t.import_keys), rows)


def insert_deals(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert deal rows; returns their new ids by external id."""
    if not rows:
        return {}
    result = conn.execute(
        insert(t.deals).returning(
            t.deals.c.id, t.deals.c.external_id, sort_by_parameter_order=True
        ),
        rows,
    )
    return {r.external_id: r.id for r in result}


def insert_rows(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)
