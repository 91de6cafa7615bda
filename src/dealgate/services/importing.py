"""Importing another CRM's pipeline: deals with their history and committee, activities, and
commitments read from their text, then the review of what came in.

Every batch is one transaction that also records the keys of the source rows it wrote, so a
re-run changes nothing and a run killed midway, run again, ends with the data of one clean run.
"""

from __future__ import annotations

import gc
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, select, text

from dealgate.domain.process import CLOSED_STAGES, LOST, Process
from dealgate.domain.review import notes_back_claim, read_from_notes
from dealgate.io.readers import read_as_windows
from dealgate.io.records import ImportedActivity, ImportedDeal, RowError, SourceData
from dealgate.services.import_text import Batch, read_texts
from dealgate.services.views import money
from dealgate.store import bulk
from dealgate.store import tables as t
from dealgate.store.confirm_queue import highest_rungs_in_notes
from dealgate.store.deal_document import fill_documents
from dealgate.store.review_sql import HELD, review_pipeline
from dealgate.store.signals_sql import refresh_signals
from dealgate.store.unit_of_work import UnitOfWork

T = TypeVar("T")
Tick = Callable[[str, int], None]  # (phase, rows done in this step)


@dataclass
class ImportSummary:
    source: str
    deals_created: int = 0
    deals_already_imported: int = 0
    stakeholders: int = 0
    stage_changes: int = 0
    interactions: int = 0
    inferred_commitments: int = 0
    texts_read: int = 0
    rejected: list[RowError] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    review: dict[str, Any] = field(default_factory=dict)
    currencies: Counter[str] = field(default_factory=Counter)  # of the deals created
    read_as_windows: list[str] = field(default_factory=list)  # files that were not UTF-8
    dates_day_first: bool = False  # the export writes 31/03/2026, so 03/04/2026 is 3 April
    # Owners of the source's deals whom no user is called: only admins see those deals.
    owners_without_user: dict[str, int] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """What was imported but deserves a look before anyone trusts the totals."""
        found = self.warnings_on_the_data
        if self.owners_without_user:
            found.append(_owners_warning(self.owners_without_user))
        return found

    @property
    def warnings_on_the_data(self) -> list[str]:
        """The warnings but the one on owners without a user, which a page says with links."""
        found = []
        if self.read_as_windows:
            found.append(
                f"{', '.join(self.read_as_windows)}: not UTF-8, so read as Windows-1252 (what "
                "Excel writes for 'CSV' on Windows). If accented names look wrong, export the "
                "file as 'CSV UTF-8': importing it again does not change deals already in."
            )
        if self.dates_day_first:
            found.append(
                "Dates such as 03/04/2026 were read day first (3 April 2026): the export "
                "writes dates like 31/03/2026, as UK and European settings do."
            )
        if len(self.currencies) < 2:
            return found
        counts = ", ".join(f"{code} {n}" for code, n in self.currencies.most_common())
        found.append(
            f"The amounts are in {len(self.currencies)} currencies ({counts}) and were "
            "imported as they are: a dealgate database keeps one currency, so its pipeline "
            "totals add them up unconverted. Convert the amounts in the export to one "
            "currency before importing it into a new database, or import each currency's "
            "deals into a database of its own."
        )
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "deals_created": self.deals_created,
            "deals_already_imported": self.deals_already_imported,
            "stakeholders": self.stakeholders,
            "stage_changes": self.stage_changes,
            "interactions": self.interactions,
            "inferred_commitments": self.inferred_commitments,
            "texts_read": self.texts_read,
            "rejected": [e.to_dict() for e in self.rejected],
            "currencies": dict(self.currencies.most_common()),
            "owners_without_user": self.owners_without_user,
            "dates_day_first": self.dates_day_first,
            "warnings": self.warnings,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            "review": self.review,
        }


def _owners_warning(owners: dict[str, int]) -> str:
    named = ", ".join(f"{name} ({n})" for name, n in list(owners.items())[:10])
    more = f" and {len(owners) - 10} more" if len(owners) > 10 else ""
    return (
        f"{sum(owners.values())} imported deals are owned by {len(owners)} names that are no "
        f"dealgate user: {named}{more}. Only admins see those deals, so no rep or manager "
        "reviews them. Give each name's deals to its user (`dealgate deal transfer --from "
        "NAME --to USER`), or add a user of that name."
    )


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Bulk phases make millions of short-lived objects and no reference cycles; the cyclic
    collector's full passes over a heap that only grows took a seventh of a 600k-row import and
    collected nothing (measured). It runs once at the end instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect()


# A transaction spans batches: each commit writes every index page the batches dirtied, and
# activities land all over the interactions indexes, so committing every 5,000 rows rewrote
# those indexes 40 times in a 200k-row import (SQLite's own insert time 4.2 s against 1.8 s
# at 50,000 rows, measured). Time bounds the work a kill loses.
COMMIT_ROWS = 50_000
COMMIT_SECONDS = 1.0


class _Transaction:
    """The import's writes, committed every `every` rows or COMMIT_SECONDS, and at the end;
    each commit holds its rows with their source keys, so any prefix is a clean state."""

    def __init__(self, engine: Engine, every: int) -> None:
        self.uow = UnitOfWork(engine)
        self.every = every
        self.rows = 0
        self.since = time.monotonic()

    def __enter__(self) -> _Transaction:
        self.uow.__enter__()
        self.connection = self.uow.connection
        return self

    def wrote(self, rows: int) -> None:
        self.rows += rows
        if self.rows >= self.every or time.monotonic() - self.since >= COMMIT_SECONDS:
            self.uow.commit()
            self.rows, self.since = 0, time.monotonic()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.uow.commit()
        self.uow.__exit__(exc_type, exc, tb)


def run_import(
    engine: Engine,
    source: str,
    data: SourceData,
    mapping: dict[str, str],
    *,
    now: datetime,
    as_of: date | None = None,
    batch: int = 2000,
    read_text: bool = True,
    tick: Tick | None = None,
    commit_every: int = COMMIT_ROWS,
    text_workers: int | None = None,
    owners: dict[str, str] | None = None,
) -> ImportSummary:
    """`mapping`: their stage names to ours; `owners`: their deal owners to our users (an
    owner not in it keeps their name); `text_workers`: processes reading the texts (None: one
    per core, for large imports)."""
    with _no_cyclic_gc():
        return _import(
            engine,
            source,
            data,
            mapping,
            owners or {},
            now,
            as_of,
            batch,
            read_text,
            tick,
            commit_every,
            text_workers,
        )


def _import(
    engine: Engine,
    source: str,
    data: SourceData,
    mapping: dict[str, str],
    owners: dict[str, str],
    now: datetime,
    as_of: date | None,
    batch: int,
    read_text: bool,
    tick: Tick | None,
    commit_every: int,
    text_workers: int | None,
) -> ImportSummary:
    summary = ImportSummary(
        source, read_as_windows=read_as_windows(data), dates_day_first=data.dates_day_first
    )
    step = tick or (lambda _phase, _n: None)
    with UnitOfWork(engine, write=False) as uow:
        process = uow.processes.active()
        ledger = bulk.ImportLedger(uow.connection, source)

    started = time.perf_counter()
    history, history_origins = _history(data, mapping, summary)
    with _Transaction(engine, commit_every) as txn:
        for deals in _batches(data.deals(), batch):
            _write_deals(txn.connection, deals, history, mapping, owners, ledger, summary, data)
            txn.wrote(len(deals))
            step("deals", len(deals))
    _analyze(engine)
    for deal_key, origin in history_origins.items():
        if deal_key not in ledger.deal_ids:
            summary.rejected.append(_deal_not_imported(origin, data.history_deal_column, deal_key))
    with _Transaction(engine, commit_every) as txn:
        for contacts in _batches(data.contacts(), batch):
            _write_contacts(txn.connection, contacts, ledger, summary, now)
            txn.wrote(len(contacts))
            step("contacts", len(contacts))
        for activities in _batches(data.activities(), batch):
            _write_activities(txn.connection, activities, ledger, summary)
            txn.wrote(len(activities))
            step("activities", len(activities))
    _analyze(engine)
    summary.seconds["rows"] = time.perf_counter() - started

    if read_text:
        started = time.perf_counter()
        with _Transaction(engine, commit_every) as txn:

            def wrote(rows: int) -> None:
                txn.wrote(rows)
                step("text", rows)

            read_texts(
                txn.connection,
                process,
                _texts(data, batch, as_of or now.date()),
                ledger,
                summary,
                now,
                wrote,
                text_workers,
            )
        summary.seconds["text"] = time.perf_counter() - started

    started = time.perf_counter()
    step("signals", 0)
    with UnitOfWork(engine) as uow:
        # Bulk rows bypass the repository that keeps these.
        refresh_signals(uow.connection)
        fill_documents(uow.connection)
        uow.commit()
    summary.seconds["signals"] = time.perf_counter() - started
    summary.rejected = list(dict.fromkeys([*data.errors, *summary.rejected]))
    with UnitOfWork(engine, write=False) as uow:
        summary.owners_without_user = uow.users.owners_without_user(source)
    step("review", 0)
    summary.review = import_review(engine, process, source, now)
    return summary


def _analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's statistics after bulk writes, for the queries that follow (the
    batches' own lookups are never prepared, so they are planned on the tables' real size)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        conn.execute(text("ANALYZE import_keys, interactions, commitments, deals"))
        conn.commit()


def _history(
    data: SourceData, mapping: dict[str, str], summary: ImportSummary
) -> tuple[dict[str, list[tuple[datetime, str]]], dict[str, tuple[str, int]]]:
    """Stage changes by deal, in our stage keys, oldest first; and where each deal's first
    change was read, to report changes of deals that were not imported."""
    grouped: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    origins: dict[str, tuple[str, int]] = {}
    for change in data.history():
        origins.setdefault(change.deal_key, change.origin)
        ours = mapping.get(change.stage_name)
        if ours is None:
            summary.rejected.append(_unmapped(change.origin, "StageName", change.stage_name))
            continue
        grouped[change.deal_key].append((change.at, ours))
    for changes in grouped.values():
        changes.sort()
    return grouped, origins


def _deal_not_imported(origin: tuple[str, int], column: str | None, deal_key: str) -> RowError:
    return RowError(
        origin[0], origin[1], column, f"its deal {deal_key.split(':', 1)[1]} was not imported"
    )


def _unmapped(origin: tuple[str, int], column: str, name: str) -> RowError:
    return RowError(
        origin[0],
        origin[1],
        column,
        f"stage '{name}' is not in the stage mapping; add a line for it to the mapping file",
    )


def _write_deals(
    conn: Connection,
    deals: list[ImportedDeal],
    history: dict[str, list[tuple[datetime, str]]],
    mapping: dict[str, str],
    owners: dict[str, str],
    ledger: bulk.ImportLedger,
    summary: ImportSummary,
    data: SourceData,
) -> None:
    rows: list[dict[str, Any]] = []
    events: dict[str, list[dict[str, Any]]] = {}
    for d in deals:
        if d.key in ledger.deal_ids:
            summary.deals_already_imported += 1
            continue
        stage = d.closed or mapping.get(d.stage_name)
        if stage is None:
            summary.rejected.append(_unmapped(d.origin, data.stage_column, d.stage_name))
            continue
        row = {
            "name": d.name,
            "account": d.account,
            "owner": owners.get(d.owner, d.owner),
            "stage": stage,
            "amount": d.amount,
            "close_date": d.close_date,
            "created_at": d.created_at,
            "version": 1,
            "external_id": d.key,
            "close_reason": f"Imported as {stage}" if stage in CLOSED_STAGES else None,
        }
        moves = _moves(d, stage, history.get(d.key, []), _opened_with(row))
        rows.append({**row, "stage_entered_at": moves[-1]["at"]})
        events[d.key] = moves
        summary.stage_changes += len(moves) - 1
        if d.currency is not None:
            summary.currencies[d.currency] += 1
    ids = bulk.insert_deals(conn, rows)
    ledger.deal_ids.update(ids)
    ledger.created.update(ids.values())
    bulk.insert_rows(
        conn,
        t.events,
        [{**event, "deal_id": ids[key]} for key, moves in events.items() for event in moves],
    )
    summary.deals_created += len(ids)


def _opened_with(row: dict[str, Any]) -> dict[str, Any]:
    """The fields a deal opened with, as `Deal.open` records them: a later change (a
    transfer to the owner's user) is then undone by a review of an earlier day."""
    amount, close_date = row["amount"], row["close_date"]
    return {
        "name": row["name"],
        "account": row["account"],
        "owner": row["owner"],
        "amount": str(amount) if amount is not None else None,
        "close_date": close_date.isoformat() if close_date else None,
    }


def _moves(
    d: ImportedDeal, stage: str, changes: list[tuple[datetime, str]], fields: dict[str, Any]
) -> list[dict[str, Any]]:
    """The deal's stage history as events: opened, then each change the source recorded."""
    path = [(at, s) for at, s in changes if at >= d.created_at] or []
    first = path[0][1] if path else stage
    events = [_event("deal.opened", d.created_at, d, {"from": None, "to": first, **fields})]
    current = first
    for at, s in path[1:]:
        if s != current and current not in CLOSED_STAGES:
            events.append(_event("deal.imported_stage", at, d, {"from": current, "to": s}))
            current = s
    if stage != current:
        at = max(path[-1][0] if path else d.created_at, d.created_at)
        kind = "deal.closed" if stage in CLOSED_STAGES else "deal.imported_stage"
        payload: dict[str, Any] = {"from": current, "to": stage}
        if stage == LOST:
            payload["reason"] = "Imported as lost"
        events.append(_event(kind, at, d, payload))
    return events


def _event(kind: str, at: datetime, d: ImportedDeal, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": at,
        "actor": "import",
        "type": kind,
        "payload": {**payload, "source": d.key, "claimed": True},
    }


def _write_contacts(
    conn: Connection,
    contacts: list[Any],
    ledger: bulk.ImportLedger,
    summary: ImportSummary,
    now: datetime,
) -> None:
    known = bulk.known_keys(conn, [c.key for c in contacts])
    rows, keys = [], []
    for c in contacts:
        if c.key in known:
            continue
        deal_id = ledger.deal_ids.get(c.deal_key)
        if deal_id is None:
            summary.rejected.append(_deal_not_imported(c.origin, None, c.deal_key))
            continue
        rows.append(
            {
                "deal_id": deal_id,
                "number": ledger.number("stakeholders", deal_id),
                "name": c.name,
                "role": c.role,
                "title": c.title,
                "notes": None,
            }
        )
        keys.append(c.key)
    bulk.insert_numbered(conn, t.stakeholders, rows, ledger)
    events = [  # after the insert, which may have numbered them anew
        {
            "deal_id": row["deal_id"],
            "at": now,
            "actor": "import",
            "type": "stakeholder.added",
            "payload": {k: row[k] for k in ("number", "name", "role")} | {"source": key},
        }
        for row, key in zip(rows, keys, strict=True)
    ]
    bulk.insert_rows(conn, t.events, events)
    bulk.record_keys(conn, keys, now)
    summary.stakeholders += len(rows)


def _write_activities(
    conn: Connection,
    activities: list[ImportedActivity],
    ledger: bulk.ImportLedger,
    summary: ImportSummary,
) -> None:
    # An imported interaction keeps its source key: that is the record of it being in. A deal
    # this run created has none yet (they go with their deal), so only others' are looked up.
    known = bulk.known_activities(
        conn, [a.key for a in activities if not ledger.is_new(a.deal_key)]
    )
    rows = []
    for a in activities:
        if a.key in known:
            continue
        deal_id = ledger.deal_ids.get(a.deal_key)
        if deal_id is None:
            summary.rejected.append(_deal_not_imported(a.origin, "WhatId", a.deal_key))
            continue
        rows.append(
            {
                "deal_id": deal_id,
                "number": ledger.number("interactions", deal_id),
                "kind": a.kind,
                "on_date": a.on,
                "summary": a.summary,
                "created_at": a.at,
                "client_declined": False,
                "source_key": a.key,
            }
        )
        known.add(a.key)  # a key repeated in the file comes in once
    bulk.insert_numbered(conn, t.interactions, rows, ledger)
    summary.interactions += len(rows)


def _texts(data: SourceData, batch: int, written: date) -> Iterator[Batch]:
    """The texts to read, a batch of source rows at a time: each deal's next step (written
    on the import's day), then each activity's note (on its own day)."""
    for deals in _batches(data.deals(), batch):
        yield (
            len(deals),
            [(f"text:{d.key}", d.key, None, d.next_step, written) for d in deals if d.next_step],
        )
    for activities in _batches(data.activities(), batch):
        yield (
            len(activities),
            [(f"text:{a.key}", a.deal_key, a.key, a.summary, a.on) for a in activities],
        )


def import_review(engine: Engine, process: Process, source: str, now: datetime) -> dict[str, Any]:
    """What came in: deals per stage, how many are evidenced, and which only claim a stage."""
    with UnitOfWork(engine, write=False) as uow:
        conn = uow.connection
        ids = {
            r.id: r.stage
            for r in conn.execute(
                select(t.deals.c.id, t.deals.c.stage).where(
                    t.deals.c.external_id.like(f"{source}:%")
                )
            )
        }
        c = t.commitments
        held = {
            r.deal_id
            for r in conn.execute(
                select(c.c.deal_id).where(c.c.party == "buyer", c.c.status.in_(HELD)).distinct()
            )
        }
        # Deals with buyer commitments read from notes, each with the highest of their rungs.
        notes_rung = highest_rungs_in_notes(conn, None)
        inferred = set(notes_rung)
    per_stage: dict[str, int] = defaultdict(int)
    evidence = {"confirmed": 0, "inferred": 0, "none": 0}
    for deal_id, stage in ids.items():
        per_stage[stage] += 1
        if deal_id in held:
            evidence["confirmed"] += 1
        elif deal_id in inferred:
            evidence["inferred"] += 1
        else:
            evidence["none"] += 1
    claims: list[tuple[Decimal, int, dict[str, Any]]] = []
    imported = sorted(ids)
    backed = 0
    # In slices, so that the summary's memory does not grow with the pipeline (reviewing
    # 100,000 deals at once holds ~150 MB of reviews to keep a few of them).
    for start in range(0, len(imported), 5000):
        with UnitOfWork(engine, write=False, snapshot=True) as uow:
            reviews = review_pipeline(
                uow.connection, process, now, deal_ids=imported[start : start + 5000]
            )
        for r in reviews:
            if r.evidenced:
                continue
            rung = notes_rung.get(r.deal_id)
            noted = read_from_notes(process, r.evidenced_stage, rung)
            backed += noted is not None and notes_back_claim(process, r.stage, rung)
            claim = {
                "id": r.deal_id,
                "name": r.name,
                "owner": r.owner,
                "stage": r.stage,
                "amount": money(r.amount),
                "evidenced_stage": r.evidenced_stage,
                "read_from_notes": noted,
            }
            claims.append((-(r.amount or Decimal(0)), r.deal_id, claim))
    # The largest first, as the review lists them: where a claim matters most.
    unevidenced = [claim for *_, claim in sorted(claims, key=lambda c: c[:2])]
    return {
        "deals": len(ids),
        "per_stage": {k: per_stage[k] for k in process.stage_keys if per_stage.get(k)},
        "evidence": evidence,
        "unevidenced_stage": unevidenced,
        # Of those, the deals whose notes, once confirmed, would back the stage they claim.
        "backed_once_confirmed": backed,
    }
