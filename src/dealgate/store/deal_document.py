"""One deal, its children and the active process's digest in one statement.

Reading a deal one table at a time costs a round trip per table; on PostgreSQL those round
trips were nine tenths of a request (measured: 2.2 ms against 0.19 ms for this statement).
The deal row carries its stakeholders, commitments, interactions, notes and stage events as
one JSON document (`deals.children`, written by the repository with the deal); where it is
NULL (rows written in bulk since), the database builds the same document from the tables.
The values come back typed as the table columns type them, so the repository builds the
aggregate from them as from plain rows.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    JSON,
    Boolean,
    Connection,
    Date,
    Integer,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from dealgate.domain.events import STAGE_EVENTS
from dealgate.store import tables as t
from dealgate.store.process_store import ACTIVE_DIGEST
from dealgate.store.types import UTCDateTime, as_utc, from_driver

# name, table, extra condition, sort key (JSON aggregates keep no order on SQLite 3.40).
CHILDREN: tuple[tuple[str, Table, Callable[[Table], Any] | None, Callable[[Any], Any]], ...] = (
    ("stakeholders", t.stakeholders, None, lambda r: r.number),
    ("commitments", t.commitments, None, lambda r: r.number),
    ("interactions", t.interactions, None, lambda r: r.number),
    ("notes", t.notes, None, lambda r: r.number),
    (
        "events",
        t.events,
        # Inline constants: an expanding IN parameter is re-rendered on every execution.
        lambda table: table.c.type.in_([literal_column(f"'{e}'") for e in sorted(STAGE_EVENTS)]),
        lambda r: (r.at, r.id),
    ),
)


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, UTCDateTime):
        return as_utc
    if isinstance(column_type, Date):
        return date.fromisoformat
    if isinstance(column_type, Boolean):
        return bool
    if isinstance(column_type, JSON):
        return lambda v: orjson.loads(v) if isinstance(v, str) else v
    return None


CONVERTERS: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    name: [(c.name, conv) for c in table.columns if (conv := _converter(c.type)) is not None]
    for name, table, _, _ in CHILDREN
}


def _as_json(table: Table, dialect: str) -> ColumnElement[Any]:
    if dialect == "postgresql":
        # A whole row as JSON has the column names as keys, as the pairs below spell out,
        # at half of json_build_object's CPU in the server (measured).
        return func.json_agg(table.table_valued())
    pairs: list[Any] = []
    for column in table.columns:
        pairs.append(literal_column(f"'{column.name}'"))
        # SQLite keeps JSON as text: json() embeds it as JSON rather than as a string.
        is_json = isinstance(column.type, JSON)
        pairs.append(func.json(column) if is_json else column)
    return func.json_group_array(func.json_object(*pairs))


def _child_list(table: Table, extra: Any, dialect: str) -> ColumnElement[Any]:
    query = select(_as_json(table, dialect)).where(table.c.deal_id == t.deals.c.id)
    if extra is not None:
        query = query.where(extra(table))
    return query.scalar_subquery()


DOCUMENT_TABLES = frozenset(table for _, table, _, _ in CHILDREN)


def children_document(dialect: str) -> ColumnElement[Any]:
    """`deals.children` as the database builds it from the tables, as text: what the
    repository writes, and what a read takes where the column is NULL."""
    lists: list[Any] = []
    for name, table, extra, _ in CHILDREN:
        lists.append(literal_column(f"'{name}'"))
        lists.append(_child_list(table, extra, dialect))
    if dialect == "postgresql":
        return cast(func.json_build_object(*lists), Text)
    # SQLite: json() embeds each list as JSON rather than as a string.
    return func.json_object(*(v if i % 2 == 0 else func.json(v) for i, v in enumerate(lists)))


_STATEMENTS: dict[str, Select[Any]] = {}


def statement(dialect: str) -> Select[Any]:
    """The deal row, the active process's digest and the children document."""
    cached = _STATEMENTS.get(dialect)
    if cached is not None:
        return cached
    # The process by its digest: its 4 KB source in every read was a third of PostgreSQL's
    # work per read (measured: 0.125 -> 0.087 ms); it is read once per process and kept.
    columns: list[Any] = list(t.deal_columns)
    columns.append(ACTIVE_DIGEST.label("process_digest"))
    # Both databases evaluate COALESCE's second argument only when the first is NULL.
    document = func.coalesce(t.deals.c.children, children_document(dialect))
    columns.append(document.label("children"))
    # A document built here may not be written back as it was read: a bulk write can add
    # rows meanwhile without a stored document to clear (the repository writes none then).
    columns.append(t.deals.c.children.is_(None).label("from_tables"))
    built = select(*columns).where(t.deals.c.id == bindparam("deal_id"))
    _STATEMENTS[dialect] = built
    return built


def children_of(row: Any) -> dict[str, list[SimpleNamespace]]:
    """The child lists of one document row, each value typed as its column types it."""
    document = orjson.loads(row.children)
    out: dict[str, list[SimpleNamespace]] = {}
    for name, _, _, order in CHILDREN:
        items = document.get(name) or []  # PostgreSQL's json_agg of no rows is null
        rows = []
        for item in items:
            for column, convert in CONVERTERS[name]:
                value = item[column]
                if value is not None:
                    item[column] = convert(value)
            rows.append(SimpleNamespace(**item))
        rows.sort(key=order)
        out[name] = rows
    return out


Processor = Callable[[Any], Any] | None


@cache
def row_type() -> Any:
    """The row of a document as the repository reads it, whichever driver fetched it."""
    names = [str(c.key) for c in statement("sqlite").selected_columns]
    return namedtuple("DocumentRow", names)


def typed_row(processors: list[Processor], values: Any) -> Any:
    """A driver's row of the statement, each value turned into Python by its column's
    processor (None: as the driver gives it)."""
    typed = zip(processors, values, strict=True)
    return row_type()(*(v if f is None or v is None else f(v) for f, v in typed))


class _Prepared:
    """The statement compiled once for a dialect, run through the driver, its row typed by
    each column's own result processor: SQLAlchemy's execution path cost more CPU than the
    statement itself (measured: 170 us against 65 us per read on PostgreSQL)."""

    def __init__(self, conn: Connection) -> None:
        query = statement(conn.dialect.name)
        compiled = query.compile(dialect=conn.dialect)
        self.sql = str(compiled)
        self.params = compiled.construct_params({"deal_id": 0})
        self.positions = compiled.positiontup  # None for named parameter styles
        self.columns = list(query.selected_columns)
        self.processors: list[Processor] | None = None

    def run(self, conn: Connection, deal_id: int) -> Any:
        params = {**self.params, "deal_id": deal_id}
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.execute(
            self.sql,
            [params[name] for name in self.positions] if self.positions else params,
        )
        try:
            found = cursor.fetchone()
            if self.processors is None:
                self.processors = [
                    from_driver(c.type, conn.dialect, d[1])
                    for c, d in zip(self.columns, cursor.description, strict=True)
                ]
        finally:
            cursor.close()
        if found is None:
            return None
        return typed_row(self.processors, found)


_PREPARED: dict[tuple[str, str], _Prepared] = {}


def read_row(conn: Connection, deal_id: int) -> Any:
    """The document row of one deal, or None."""
    key = (conn.dialect.name, conn.dialect.driver)  # the driver decides the parameter style
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _Prepared(conn)
    return prepared.run(conn, deal_id)


def _among(conn: Connection, ids: list[int]) -> tuple[ColumnElement[bool], dict[str, Any]]:
    """`deals.id` among `ids`, as one parameter: an IN list of hundreds is rendered and
    planned again on every call (measured: 2.2 s of a 20k-deal import on PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return t.deals.c.id == any_(bindparam("ids", type_=ARRAY(Integer))), {"ids": ids}
    listed: Select[Any] = select(literal_column("value")).select_from(
        func.json_each(bindparam("ids"))
    )
    return t.deals.c.id.in_(listed.scalar_subquery()), {"ids": orjson.dumps(ids).decode()}


def forget_documents(conn: Connection, deal_ids: Iterable[int]) -> None:
    """For rows written in bulk into the document's tables: those deals' documents no
    longer hold all their rows, so their reads go to the tables until `fill_documents`."""
    ids = sorted(set(deal_ids))
    if ids:
        among, params = _among(conn, ids)
        query = update(t.deals).where(t.deals.c.children.is_not(None), among)
        # A new version: whoever read the old document and saves it back gets `conflict`.
        conn.execute(query.values(children=None, version=t.deals.c.version + 1), params)


def fill_documents(conn: Connection) -> None:
    """Write the documents of the deals that have none, built from the tables: after bulk
    writes, which bypass the repository."""
    query = update(t.deals).values(children=children_document(conn.dialect.name))
    # Only rows still at the version this statement saw: a change committed while it ran
    # (PostgreSQL re-checks a row changed meanwhile) keeps reading from the tables.
    seen = select(t.deals.c.id, t.deals.c.version).where(t.deals.c.children.is_(None))
    at = seen.subquery("seen")
    conn.execute(query.where(t.deals.c.id == at.c.id, t.deals.c.version == at.c.version))
