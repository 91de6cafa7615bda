"""The import's second pass: commitments read from next steps and activity notes, recorded
as `inferred` until a person confirms them.

Reading is nine tenths of this pass's CPU and needs nothing but the text, so on a machine
with several cores it runs in that many worker processes, a few batches ahead of the writes;
the writes stay in this process, in the export's order, so commitment numbers and the keys
that make a re-run idempotent come out exactly as when everything runs here. Small imports
never start the workers: their start-up (~0.5 s) would cost more than it saves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Connection

from dealgate.domain.commitment import Party
from dealgate.domain.process import Process
from dealgate.domain.stakeholder import likely_member
from dealgate.extract import Extracted, extract_many
from dealgate.services import worker_processes
from dealgate.store import bulk
from dealgate.store import tables as t
from dealgate.store.committees import names_by_deal

# (source key of the text, the deal's source key, the activity's source key or None, the
# text, the day it was written)
Text = tuple[str, str, str | None, str | None, date]
Batch = tuple[int, list[Text]]  # source rows the batch stands for, and their texts

AHEAD = 4  # batches read ahead of the writes: enough to keep every worker busy
POOL_AFTER_BATCHES = 2  # the workers start with the third batch of texts


class Counts(Protocol):
    texts_read: int
    inferred_commitments: int


def read_texts(
    conn: Connection,
    process: Process,
    batches: Iterable[Batch],
    ledger: bulk.ImportLedger,
    counts: Counts,
    now: datetime,
    wrote: Callable[[int], None],
    workers: int | None = None,
) -> None:
    """Read every batch's texts and write what they commit to; `wrote(n)` after each batch
    (n: the source rows it stood for). `workers`: reading processes (None: one per core)."""
    workers = _cores() if workers is None else workers
    in_flight: set[str] = set()  # keys submitted and not written yet: not to be read twice
    pending: deque[tuple[int, list[Text], Callable[[], list[list[Extracted]]]]] = deque()

    def write_oldest() -> None:
        size, texts, result = pending.popleft()
        _write(conn, process, texts, result(), ledger, counts, now)
        in_flight.difference_update(key for key, *_ in texts)
        wrote(size)

    with ExitStack() as stack:
        pool: ProcessPoolExecutor | None = None
        for n, (size, texts) in enumerate(batches):
            if pool is None and workers > 1 and n >= POOL_AFTER_BATCHES:
                pool = stack.enter_context(worker_processes.pool(workers))
            todo = _unread(conn, texts, ledger, in_flight)
            in_flight.update(key for key, *_ in todo)
            items = [(said or "", written) for _, _, _, said, written in todo]
            if pool is None:
                pending.append((size, todo, _given(extract_many(items))))
            else:
                pending.append((size, todo, pool.submit(extract_many, items).result))
            while len(pending) > (AHEAD if pool is not None else 0):
                write_oldest()
        while pending:
            write_oldest()


def _cores() -> int:
    """The cores this process may run on (a container's share, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _given(found: list[list[Extracted]]) -> Callable[[], list[list[Extracted]]]:
    return lambda: found


def _unread(
    conn: Connection, texts: list[Text], ledger: bulk.ImportLedger, in_flight: set[str]
) -> list[Text]:
    """The texts still to read: not read by an earlier run (their keys are stored) nor
    earlier in this one, of a deal that was imported, and not empty."""
    if not texts:  # a batch of deals without next steps: nothing to ask the database
        return []
    known = bulk.known_keys(conn, [key for key, *_ in texts])
    todo: list[Text] = []
    for text in texts:
        key, deal_key, _, said, _ = text
        if key in known or key in in_flight or not said or deal_key not in ledger.deal_ids:
            continue
        known.add(key)  # a text repeated in the file is read once
        todo.append(text)
    return todo


def _write(
    conn: Connection,
    process: Process,
    texts: list[Text],
    found: list[list[Extracted]],
    ledger: bulk.ImportLedger,
    counts: Counts,
    now: datetime,
) -> None:
    if not texts:
        return
    activity_keys = [akey for _, _, akey, _, _ in texts if akey is not None]
    linked = bulk.interactions_by_source(conn, activity_keys) if activity_keys else {}
    # "Raj" in a note is the deal's Raj Patel (its contact roles), as in a logged interaction.
    committees = names_by_deal(conn, {ledger.deal_ids[deal_key] for _, deal_key, *_ in texts})
    rows = []
    for (_, deal_key, activity_key, said, written), extracted in zip(texts, found, strict=True):
        deal_id = ledger.deal_ids[deal_key]
        interaction = linked.get(activity_key) if activity_key else None
        for f in extracted:
            kind = f.kind if f.kind in process.kinds else None
            rows.append(
                {
                    "deal_id": deal_id,
                    "number": ledger.number("commitments", deal_id),
                    "party": f.party.value,
                    "action": f.action or (said or "")[:200],
                    "kind": kind if f.party is Party.BUYER else None,
                    "rung_level": process.kinds[kind].rung.level if kind else None,
                    "person": likely_member(f.person, committees.get(deal_id, ())) or f.person,
                    "due": f.due,
                    "status": "inferred",
                    "created_at": datetime.combine(written, datetime.min.time(), now.tzinfo),
                    "obtained_at": None,
                    "kept_on": f.due if f.kept else None,
                    "lost_at": None,
                    "interaction": interaction,
                    "source": (said or "")[f.span[0] : f.span[1]][:2000],
                }
            )
    bulk.insert_numbered(conn, t.commitments, rows, ledger)
    bulk.record_keys(conn, [key for key, *_ in texts], now)
    counts.texts_read += len(texts)
    counts.inferred_commitments += len(rows)
