"""Benchmark: importing a Salesforce export against a bulk-insert baseline, in the same run.

    python bench/import.py [--opportunities 100000] [--db sqlite|postgresql]

Writes a seeded export (N opportunities, 4N history rows, 10N tasks) to a temporary folder,
imports it with `dealgate import salesforce`'s code path, and times a baseline that inserts the
same rows as they are (sqlite3.executemany in one transaction; COPY on PostgreSQL). Reading
the text for inferred commitments is a second pass with its own figure. The last line printed
is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.review import PG_URL
from dealgate.io import readers
from dealgate.services.importing import run_import
from dealgate.services.setup import init_database
from dealgate.store.db import make_engine

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
STAGES = [
    "Prospecting",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
NOTES = [
    "Raj will send the usage data by Friday.",
    "Left a voicemail.",
    "Maria agreed to a discovery session next week.",
    "I'll send the references.",
    "They'll think about it.",
    "Finance confirmed a budget of $80k.",
    "Legal will send redlines by the 30th.",
    "Sent the deck.",
]
MAPPING = Path(__file__).resolve().parents[1] / "tests" / "data" / "salesforce-mapping.toml"


class ChildrenPeak:
    """The peak resident memory of each process this one starts (the import's text readers),
    sampled from /proc while it runs: the children's `ru_maxrss` counts a spawned child's
    pre-exec copy of this process, not what the child itself holds."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peaks: dict[int, int] = {}  # pid -> VmHWM in kB
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> ChildrenPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def total_mb(self) -> float:
        return round(sum(self.peaks.values()) / 1024, 1)

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != me:
                        continue
                    # Between fork and exec a child still shows this process's pages.
                    if b"multiprocessing" not in (stat.parent / "cmdline").read_bytes():
                        continue
                    status = (stat.parent / "status").read_text()
                except OSError:  # gone while listed
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        pid, peak = int(stat.parent.name), int(line.split()[1])
                        self.peaks[pid] = max(peak, self.peaks.get(pid, 0))


def write_export(folder: Path, n: int, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with (folder / "Opportunity.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "Id",
                "Name",
                "Account.Name",
                "StageName",
                "Amount",
                "CloseDate",
                "Owner.Name",
                "NextStep",
                "CreatedDate",
                "IsClosed",
                "IsWon",
            ]
        )
        for i in range(n):
            created = start + timedelta(days=rng.randint(0, 300))
            w.writerow(
                [
                    f"006B{i:09d}",
                    f"Deal {i}",
                    f"Account {i % 997}",
                    rng.choice(STAGES),
                    rng.randrange(1, 500) * 1000,
                    "2027-03-31",
                    f"Rep {i % 40}",
                    rng.choice(NOTES),
                    created.isoformat(),
                    "false",
                    "false",
                ]
            )
    with (folder / "OpportunityHistory.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["OpportunityId", "StageName", "CreatedDate"])
        for i in range(n * 4):
            at = start + timedelta(days=rng.randint(0, 330), seconds=i)
            w.writerow([f"006B{i % n:09d}", rng.choice(STAGES), at.isoformat()])
    with (folder / "Task.csv").open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Id", "WhatId", "WhoId", "Subject", "Description", "ActivityDate", "Status"])
        for i in range(n * 10):
            day = (start + timedelta(days=rng.randint(0, 330))).date()
            w.writerow(
                [
                    f"00T{i:010d}",
                    f"006B{rng.randrange(n):09d}",
                    "",
                    "Call",
                    rng.choice(NOTES),
                    day.isoformat(),
                    "Completed",
                ]
            )
    return {"opportunities": n, "history": n * 4, "tasks": n * 10}


def baseline_sqlite(folder: Path, db: Path) -> float:
    """The same rows inserted as they are, in one transaction: the floor for an import. The
    rows stream from the files, as the import's do, so its memory is not the baseline's."""
    conn = sqlite3.connect(db)
    started = time.perf_counter()
    with conn:
        for name in ("Opportunity", "OpportunityHistory", "Task"):
            with (folder / f"{name}.csv").open(newline="") as f:
                reader = csv.reader(f)
                header = next(reader)
                cols = ", ".join(f'"{h}"' for h in header)
                conn.execute(f'CREATE TABLE "{name}" ({cols})')
                conn.executemany(
                    f'INSERT INTO "{name}" VALUES ({", ".join("?" for _ in header)})', reader
                )
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def baseline_postgres(folder: Path, url: str) -> float:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur:
            for name in ("Opportunity", "OpportunityHistory", "Task"):
                path = folder / f"{name}.csv"
                with path.open(newline="") as f:
                    header = next(csv.reader(f))
                cols = ", ".join(f'"{h}" text' for h in header)
                cur.execute(f'CREATE TABLE "bl_{name}" ({cols})')
                with (
                    path.open("rb") as f,
                    cur.copy(f'COPY "bl_{name}" FROM STDIN WITH (FORMAT csv, HEADER true)') as copy,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
        conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Import benchmark.")
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, Any] = {"db": args.db}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        folder.mkdir()
        sizes = write_export(folder, args.opportunities, args.seed)
        rows = sum(sizes.values())
        figures.update(sizes)
        drop = None
        if args.db == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'dealgate.db'}"
            baseline = baseline_sqlite(folder, Path(tmp) / "baseline.db")
        else:
            base = make_url(PG_URL)
            name = f"dealgate_importbench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(base, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = base.set(database=name).render_as_string(hide_password=False)

            def drop_db() -> None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

            drop = drop_db
            baseline = baseline_postgres(folder, url)
        try:
            engine = make_engine(url)
            init_database(engine, NOW)
            keys = [
                "prospect",
                "discover",
                "change",
                "design",
                "propose",
                "resolve",
                "decide",
                "won",
                "lost",
            ]
            mapping = readers.load_stage_mapping(MAPPING, keys)
            with ChildrenPeak() as children:
                summary = run_import(
                    engine,
                    "salesforce",
                    readers.salesforce(folder),
                    mapping,
                    now=NOW,
                    as_of=NOW.date(),
                    batch=5000,
                )
            engine.dispose()
        finally:
            if drop is not None:
                drop()
    rows_s = summary.seconds["rows"] + summary.seconds["signals"]
    figures.update(
        {
            "rows": rows,
            "import_s": round(rows_s, 2),
            "import_rows_per_s": round(rows / rows_s),
            "baseline_s": round(baseline, 2),
            "baseline_rows_per_s": round(rows / baseline),
            "ratio": round(rows_s / baseline, 2),
            "text_s": round(summary.seconds.get("text", 0), 2),
            "texts_read": summary.texts_read,
            "text_sentences_per_s": round(summary.texts_read / summary.seconds["text"])
            if summary.seconds.get("text")
            else None,
            "inferred_commitments": summary.inferred_commitments,
            "rejected": len(summary.rejected),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            # The text pass's reading processes, each at its own peak, summed: an upper bound
            # of what they held at once.
            "peak_rss_text_readers_mb": children.total_mb(),
            "text_reader_processes": len(children.peaks),
        }
    )
    for key, value in figures.items():
        print(f"{key:>22}: {value}", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
