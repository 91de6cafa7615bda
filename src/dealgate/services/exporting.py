"""Exports: every table as CSV or JSON lines (re-importable without loss), and an iCalendar
feed of buyer commitments' due dates."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import (
    Date,
    Engine,
    Integer,
    Numeric,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.types import JSON, Boolean

from dealgate.domain.errors import invalid
from dealgate.processes import parse_process
from dealgate.store import tables as t
from dealgate.store.deal_document import fill_documents
from dealgate.store.types import UTCDateTime
from dealgate.store.unit_of_work import UnitOfWork

# Parents before children, so an import can insert in this order.
TABLES: tuple[Table, ...] = (
    t.deals,
    t.stakeholders,
    t.interactions,
    t.commitments,
    t.notes,
    t.events,
    t.stage_exits,
)


def _out(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# The processes the deals were judged by, oldest load first: the last is the active one.
PROCESS_COLUMNS = ("name", "source", "loaded_at", "moves", "loaded_by")


def export_tables(engine: Engine, folder: Path, fmt: str) -> dict[str, int]:
    if fmt not in ("csv", "json"):
        raise invalid("invalid_format", f"Unknown format '{fmt}'; use csv, json or ics.", "format")
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    # One snapshot for every table, so the files agree with each other whatever is written
    # meanwhile; rows stream rather than each table being held in memory.
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        for table in TABLES:
            # A deal's document of its rows is not exported: the rows are, and make it again.
            columns = t.deal_columns if table is t.deals else tuple(table.columns)
            order = [c for c in columns if c.primary_key]
            counts[table.name] = _write(uow, select(*columns).order_by(*order), folder, fmt)
        # Not their ids (a new database numbers its own), nor stages and kinds: a load writes them.
        processes = select(*(t.processes.c[k] for k in PROCESS_COLUMNS)).order_by(t.processes.c.id)
        counts["processes"] = _write(uow, processes, folder, fmt)
    return counts


def _write(uow: UnitOfWork, query: Select[Any], folder: Path, fmt: str) -> int:
    """The rows of `query` into the file named after its table; how many."""
    names = [c.name for c in query.selected_columns]
    table = query.get_final_froms()[0]
    assert isinstance(table, Table)
    rows = uow.connection.execution_options(stream_results=True, yield_per=2000).execute(query)
    path = folder / f"{table.name}.{'csv' if fmt == 'csv' else 'jsonl'}"
    n = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(names)
        for row in rows:
            values = {k: _out(row._mapping[k]) for k in names}
            if writer is not None:
                writer.writerow(
                    [
                        "\\N" if v is None else (json.dumps(v) if isinstance(v, dict | list) else v)
                        for v in values.values()
                    ]
                )
            else:
                handle.write(json.dumps(values, ensure_ascii=False) + "\n")
            n += 1
    return n


def _in(table: Table, name: str, value: Any) -> Any:
    if value is None or value == "\\N":
        return None
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, Numeric):
        return Decimal(str(value))
    if isinstance(column_type, Boolean):
        return value if isinstance(value, bool) else value in ("True", "true", "1")
    if isinstance(column_type, Integer):
        return int(value)
    if isinstance(column_type, JSON):
        return value if isinstance(value, dict | list) else json.loads(value)
    return value


def import_tables(engine: Engine, folder: Path) -> dict[str, int]:
    """Load a dealgate export into an empty database, ids and history as they were."""
    if not (folder / "deals.csv").is_file() and not (folder / "deals.jsonl").is_file():
        raise invalid("invalid_file", f"{folder} holds no deals.csv or deals.jsonl export.", "dir")
    counts: dict[str, int] = {}
    with UnitOfWork(engine) as uow:
        conn = uow.connection
        if conn.execute(select(func.count()).select_from(t.deals)).scalar_one():
            raise invalid(
                "not_empty",
                "A dealgate export loads into an empty database; `dealgate --db URL init` "
                "a new one first.",
                "db",
                status=409,
            )
        loads = _rows(t.processes, folder)
        if loads:  # an export made before processes were exported keeps the database's
            _load_processes(uow, loads, folder)
        for table in TABLES:
            rows = _rows(table, folder)
            for start in range(0, len(rows), 1000):
                conn.execute(insert(table), rows[start : start + 1000])
            counts[table.name] = len(rows)
        counts["processes"] = len(loads)
        _require_known_stages(uow)
        fill_documents(conn)  # each deal's document of its rows, from the rows loaded
        if conn.dialect.name == "postgresql":
            for name in ("deals", "events"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                    )
                )
        uow.commit()
    return counts


def _rows(table: Table, folder: Path) -> list[dict[str, Any]]:
    """The rows of `table` in the export's csv or jsonl file (none when it has neither)."""
    rows: list[dict[str, Any]] = []
    csv_path, json_path = folder / f"{table.name}.csv", folder / f"{table.name}.jsonl"
    if csv_path.is_file():
        with csv_path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                rows.append({k: _in(table, k, v) for k, v in row.items()})
    elif json_path.is_file():
        with json_path.open(encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                rows.append({k: _in(table, k, v) for k, v in item.items()})
    return rows


def _load_processes(uow: UnitOfWork, loads: list[dict[str, Any]], folder: Path) -> None:
    """The export's processes in place of the empty database's: the deals keep the process
    they were judged by, and the moves of the stages it left out."""
    for table in (t.stages, t.kinds, t.processes):
        uow.connection.execute(delete(table))
    for line, row in enumerate(loads, start=2):
        source = str(row["source"])
        process = parse_process(source, f"{folder.name}/processes, row {line}")
        uow.processes.load(
            process, source, row["loaded_at"], row.get("moves"), row.get("loaded_by")
        )


def _require_known_stages(uow: UnitOfWork) -> None:
    """Every deal stands in a stage of the active process, else nothing is loaded."""
    process = uow.processes.active()
    unknown = sorted(s for s in uow.deals.per_stage() if not process.has_stage(s))
    if unknown:
        raise invalid(
            "unknown_stage",
            f"The export's deals stand in stages this database's process has no stage for "
            f"({', '.join(unknown)}); nothing was loaded. Load the process the export was "
            "judged by (`dealgate init --process FILE`), then import again.",
            "stage",
        )


def calendar_path(owner: str, key: str) -> str:
    """Where the API serves `owner`'s feed to a calendar app holding a calendar `key`."""
    return f"/api/v1/reps/{quote(owner, safe='')}/commitments.ics?key={quote(key, safe='')}"


def commitments_calendar(
    engine: Engine, owner: str, now: datetime, pages: str | None = None
) -> bytes:
    """The due dates of buyer commitments on `owner`'s open deals, as an iCalendar feed.
    `pages`: where the server's pages are, so each event opens its deal's page."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//dealgate//buyer commitments//EN")
    calendar.add("version", "2.0")
    # Text from the database may hold line breaks; a content line may not.
    calendar.add("x-wr-calname", f"Buyer commitments: {_one_line(owner)}")
    c, d = t.commitments, t.deals
    with UnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(
            select(
                c.c.deal_id,
                c.c.number,
                c.c.action,
                c.c.kind,
                c.c.person,
                c.c.due,
                c.c.status,
                d.c.name,
                d.c.account,
            )
            .join(d, d.c.id == c.c.deal_id)
            .where(
                d.c.owner == owner,
                c.c.party == "buyer",
                c.c.due.is_not(None),
                c.c.status.in_(("asked", "obtained", "kept", "inferred")),
            )
            .order_by(c.c.due, c.c.deal_id, c.c.number)
        ).all()
    for r in rows:
        event = Event()
        event.add("uid", f"commitment-{r.deal_id}-{r.number}@dealgate")
        event.add("dtstamp", now)
        event.add("dtstart", r.due)
        who = f"{r.person}: " if r.person else ""
        event.add("summary", _one_line(f"{who}{r.action} ({r.account})"))
        event.add(
            "description",  # the library escapes line breaks in TEXT values it writes
            f"Deal {r.deal_id} {r.name}; buyer commitment {r.number} ({r.kind or 'no kind'}), "
            f"{r.status}.",
        )
        event.add("categories", [r.status])
        if pages is not None:
            event.add("url", f"{pages.rstrip('/')}/deals/{r.deal_id}")
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _one_line(text: str) -> str:
    return " ".join(text.split())
