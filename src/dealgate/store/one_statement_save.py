"""PostgreSQL: a deal's save (or its first write) as one statement.

A save writes the deal row, the child rows that changed, its new events and its stage exits.
As separate statements a stage move is five round trips (BEGIN, UPDATE, two INSERTs,
COMMIT), and each costs the server and the database more CPU than the work it carries. On
PostgreSQL the save goes as one statement of data-modifying CTEs, every part joined to the
deal row's versioned UPDATE: when another save got there first, nothing at all is written and
the statement counts 0. A new deal's is joined to its INSERT and returns its id. One
statement is atomic by itself (its foreign keys are checked once it has run), so a unit of
work that writes one deal needs no transaction around it.

Child rows travel as one JSON array per part (`json_to_recordset`), typed by the table's own
columns, so the statement's text depends only on which parts a save has, and is built once
per shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import ARRAY, Integer, Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql

from dealgate.store import tables as t

DELETE, UPDATE, INSERT = "delete", "update", "insert"
# (table name, DELETE | UPDATE | INSERT, the columns its rows carry, deal_id aside)
Part = tuple[str, str, tuple[str, ...]]

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]
# An identifier as PostgreSQL must read it: quoted where it is a reserved word.
_q = _DIALECT.identifier_preparer.quote


@lru_cache(maxsize=256)  # one per shape of write
def statement(head: str, deal_columns: tuple[str, ...], parts: tuple[Part, ...]) -> TextClause:
    """The write of a deal whose row sets `deal_columns`, with `parts`. `head` UPDATE: a save,
    given `b_id` and `b_version` (the version read), which returns how many rows it changed
    (0: someone else saved first); INSERT: a new deal's, which returns its id. Parameters:
    the deal's values, and `p0`, `p1`... one per part: the numbers gone for a DELETE, the rows
    as JSON text (`rows_json`) for the others."""
    if head == UPDATE:
        sets = ", ".join(f"{_q(c)} = :{c}" for c in deal_columns)
        deal = (
            f"UPDATE deals SET {sets}, version = version + 1 "
            "WHERE id = :b_id AND version = :b_version RETURNING id"
        )
        result = "count(*)"
    else:
        values = ", ".join(f":{c}" for c in deal_columns)
        deal = (
            f"INSERT INTO deals ({', '.join(map(_q, deal_columns))}, version) "
            f"VALUES ({values}, 1) RETURNING id"
        )
        result = "id"
    ctes = [f"u AS ({deal})"]
    params = [bindparam(c, type_=t.deals.c[c].type) for c in deal_columns]
    for n, (name, op, columns) in enumerate(parts):
        ctes.append(f"w{n} AS ({_part(t.metadata.tables[name], op, columns, f'p{n}')})")
        if op == DELETE:
            params.append(bindparam(f"p{n}", type_=ARRAY(Integer)))
    sql = "WITH " + ",\n".join(ctes) + f"\nSELECT {result} FROM u"
    return text(sql).bindparams(*params)


def rows_json(rows: Sequence[dict[str, Any]]) -> str:
    return orjson.dumps(rows).decode()


def _part(table: Table, op: str, columns: tuple[str, ...], param: str) -> str:
    name, names = _q(table.name), ", ".join(map(_q, columns))
    if op == DELETE:
        return (
            f"DELETE FROM {name} AS c USING u WHERE c.deal_id = u.id AND c.number = ANY(:{param})"
        )
    typed = ", ".join(f"{_q(c)} {table.c[c].type.compile(dialect=_DIALECT)}" for c in columns)
    records = f"json_to_recordset(CAST(:{param} AS json))"
    if op == UPDATE:
        sets = ", ".join(f"{_q(c)} = x.{_q(c)}" for c in columns if c != "number")
        return (
            f"UPDATE {name} AS c SET {sets} FROM u, {records} AS x({typed}) "
            "WHERE c.deal_id = u.id AND c.number = x.number"
        )
    # In the order given: events take their ids in it.
    return (
        f"INSERT INTO {name} (deal_id, {names}) "
        f"SELECT u.id, {', '.join(f'x.{_q(c)}' for c in columns)} "
        f"FROM u, ROWS FROM ({records} AS ({typed})) WITH ORDINALITY AS x({names}, n) "
        "ORDER BY x.n"
    )
