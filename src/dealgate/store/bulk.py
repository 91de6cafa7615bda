"""Bulk writes for imports: many rows per statement, every batch in one transaction, and a
key per source row so that a re-run, or a run after a crash, writes nothing twice."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Connection, Date, Numeric, Table, func, select

from dealgate.store import tables as t
from dealgate.store.deal_document import DOCUMENT_TABLES, forget_documents
from dealgate.store.integrity import duplicate_key
from dealgate.store.types import UTCDateTime


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
        # Deals this run inserted: no interaction of theirs was stored before it.
        self.created: set[int] = set()

    def is_new(self, deal_key: str) -> bool:
        """Whether the deal was created by this run (a key not imported at all is not)."""
        return self.deal_ids.get(deal_key) in self.created

    def number(self, table: str, deal_id: int) -> int:
        self.next_number[table][deal_id] += 1
        return self.next_number[table][deal_id]

    def recount(self, conn: Connection, table: Table, deal_ids: Iterable[int]) -> None:
        """Count these deals' rows of `table` again, as stored now."""
        ids = sorted(set(deal_ids))
        counters = self.next_number[table.name]
        for deal_id in ids:
            counters[deal_id] = 0
        for start in range(0, len(ids), 500):
            query = (
                select(table.c.deal_id, func.max(table.c.number))
                .where(table.c.deal_id.in_(ids[start : start + 500]))
                .group_by(table.c.deal_id)
            )
            for deal_id, top in conn.execute(query):
                counters[deal_id] = int(top)


def insert_numbered(
    conn: Connection, table: Table, rows: list[dict[str, Any]], ledger: ImportLedger
) -> None:
    """Insert child rows numbered by the ledger. Someone may have added a child to one of
    these deals since the ledger counted them (the pages stay usable while an import runs)
    and taken its number: then the batch is undone, its deals counted again and numbered
    anew."""
    if not rows:
        return
    for attempt in range(3):
        try:
            with conn.begin_nested():
                insert_rows(conn, table, rows)
            return
        except Exception as e:
            if attempt == 2 or not duplicate_key(e):
                raise
        ledger.recount(conn, table, (row["deal_id"] for row in rows))
        for row in rows:
            row["number"] = ledger.number(table.name, row["deal_id"])


def known_keys(conn: Connection, keys: list[str]) -> set[str]:
    return {r[0] for r in _where_in(conn, "key", t.import_keys.c.key, keys)}


def known_activities(conn: Connection, keys: list[str]) -> set[str]:
    return {r[0] for r in _where_in(conn, "source_key", t.interactions.c.source_key, keys)}


def interactions_by_source(conn: Connection, keys: list[str]) -> dict[str, int]:
    """The number of each imported interaction, by its source key."""
    found = _where_in(conn, "source_key, number", t.interactions.c.source_key, keys)
    return {key: number for key, number in found}


def _where_in(conn: Connection, columns: str, column: Any, keys: list[str]) -> list[Any]:
    """Rows whose `column` is one of `keys`, through the driver: SQLAlchemy renders an
    expanding IN anew for every call, which costs more than the query at import sizes."""
    head = f"SELECT {columns} FROM {column.table.name} WHERE {column.name}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            # One array parameter (psycopg parses a query of many placeholders on every call),
            # never prepared: a plan made while the table was small would stay a full scan.
            cursor.execute(f"{head} = ANY(%s)", (keys,), prepare=False)
            return list(cursor.fetchall())
        rows: list[Any] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            cursor.execute(f"{head} IN ({', '.join('?' for _ in chunk)})", chunk)
            rows.extend(cursor.fetchall())
        return rows
    finally:
        cursor.close()


def record_keys(conn: Connection, keys: Iterable[str], now: datetime) -> None:
    insert_rows(conn, t.import_keys, [{"key": k, "at": now} for k in keys])


def insert_deals(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert deal rows; returns their new ids by external id."""
    if not rows:
        return {}
    insert_rows(conn, t.deals, rows)
    keys = [row["external_id"] for row in rows]
    found = _where_in(conn, "external_id, id", t.deals.c.external_id, keys)
    return {key: deal_id for key, deal_id in found}


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows through the driver's executemany: SQLAlchemy's per-row parameter
    processing costs more than the database's own work at import sizes."""
    if not rows:
        return
    if table in DOCUMENT_TABLES:
        forget_documents(conn, {row["deal_id"] for row in rows})
    names = list(rows[0])
    if conn.dialect.name == "sqlite":
        convert = [_sqlite_value(table.c[n]) for n in names]
        marks = ", ".join("?" for _ in names)
    else:
        convert = [_pg_value(table.c[n]) for n in names]
        marks = ", ".join("%s" for _ in names)
    # Only the columns whose storage differs from Python's value are converted, each value
    # once: an import repeats the same dates and times over thousands of rows.
    converting: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (i, f, {}) for i, f in enumerate(convert) if f is not _same
    ]
    values: list[tuple[Any, ...]] = []
    for row in rows:
        cells = [row[n] for n in names]
        for i, f, done in converting:
            value = cells[i]
            try:
                cells[i] = done[value]
            except (KeyError, TypeError):  # TypeError: an unhashable value (JSON payloads)
                cells[i] = f(value)
                if len(done) < 4096 and value.__hash__ is not None:
                    done[value] = cells[i]
        values.append(tuple(cells))
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            # COPY: PostgreSQL's own bulk path, several times faster than INSERTs.
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for line in values:
                    copy.write_row(line)
        else:
            sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
            cursor.executemany(sql, values)
    finally:
        cursor.close()


def _same(value: Any) -> Any:
    return value


def _sqlite_value(column: Any) -> Callable[[Any], Any]:
    """How SQLAlchemy would store a value in SQLite, without its per-row machinery."""
    if isinstance(column.type, UTCDateTime):
        # SQLAlchemy's SQLite storage format, as isoformat writes it (faster than strftime).
        return lambda v: (
            None
            if v is None
            else v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        )
    if isinstance(column.type, Date):
        return lambda v: None if v is None else v.isoformat()
    if isinstance(column.type, JSON):
        return lambda v: None if v is None else json.dumps(v)
    if isinstance(column.type, Numeric):
        return lambda v: None if v is None else float(v)
    return _same


def _pg_value(column: Any) -> Callable[[Any], Any]:
    if isinstance(column.type, JSON):
        from psycopg.types.json import Json

        return lambda v: None if v is None else Json(v)
    return _same
