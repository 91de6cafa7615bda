"""Benchmark: the full pipeline review against a one-query baseline, in the same process.

    python bench/review.py [--deals 100000] [--db sqlite|postgresql] [--scales 10000,1000000]

Generates a seeded pipeline (about ten commitments and interactions per deal), then times
the set-based review and, as the baseline, one hand-written SQL query computing each deal's
latest obtained buyer commitment. Prints the ratio review / baseline and peak memory; the
last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from dealgate.processes import default_process
from dealgate.services.setup import init_database
from dealgate.store import tables as t
from dealgate.store.db import make_engine
from dealgate.store.deal_document import fill_documents
from dealgate.store.review_sql import review_pipeline
from dealgate.store.signals_sql import refresh_signals

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PG_URL = os.environ.get(
    "DEALGATE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BASELINE = """
SELECT deal_id, MAX(obtained_at) FROM commitments
WHERE party = 'buyer' AND status IN ('obtained', 'kept') GROUP BY deal_id
"""


def rows(deals: int, seed: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Seeded pipeline rows in chunks: deals, stakeholders, interactions, commitments."""
    rng = random.Random(seed)
    process = default_process()
    stages = [s.key for s in process.stages]
    kinds = [(k.key, k.rung.level) for k in process.kinds.values()]
    chunk = 5000
    for start in range(0, deals, chunk):
        d, s, i, c = [], [], [], []
        for deal_id in range(start + 1, min(deals, start + chunk) + 1):
            opened = NOW - timedelta(days=rng.randint(5, 300), minutes=rng.randint(0, 1440))
            entered = opened + timedelta(days=rng.randint(0, 4))
            d.append(
                {
                    "id": deal_id,
                    "name": f"Deal {deal_id}",
                    "account": f"Account {deal_id % 997}",
                    "owner": f"rep{deal_id % 40}",
                    "stage": rng.choice(stages),
                    "amount": rng.randrange(5, 500) * 1000,
                    "close_date": None,
                    "created_at": opened,
                    "stage_entered_at": entered,
                    "close_reason": None,
                    "version": 1,
                    "external_id": None,
                    "override_reason": "Pushed" if rng.random() < 0.01 else None,
                }
            )
            s.append(
                {
                    "deal_id": deal_id,
                    "number": 1,
                    "name": "Raj Patel",
                    "role": "champion",
                    "title": None,
                    "notes": None,
                }
            )
            n_inter = rng.randint(2, 6)
            for n in range(1, n_inter + 1):
                on = opened + timedelta(days=n * rng.randint(1, 9))
                i.append(
                    {
                        "deal_id": deal_id,
                        "number": n,
                        "kind": "call",
                        "on_date": on.date(),
                        "summary": "Call",
                        "created_at": on,
                        "client_declined": False,
                    }
                )
            for n in range(1, rng.randint(3, 8) + 1):
                made = opened + timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 999))
                if rng.random() < 0.35:
                    c.append(
                        _commitment(deal_id, n, "seller", None, None, "obtained", made, None, None)
                    )
                    continue
                kind, level = rng.choice(kinds)
                status = rng.choices(["obtained", "kept", "asked", "broken"], [4, 4, 2, 1])[0]
                obtained = made if status != "asked" else None
                lost = made + timedelta(days=3) if status == "broken" else None
                c.append(
                    _commitment(
                        deal_id,
                        n,
                        "buyer",
                        kind,
                        level,
                        status,
                        made,
                        obtained,
                        lost,
                        interaction=rng.randint(1, n_inter),
                    )
                )
        yield "deals", d
        yield "stakeholders", s
        yield "interactions", i
        yield "commitments", c


def _commitment(
    deal_id: int,
    number: int,
    party: str,
    kind: str | None,
    level: int | None,
    status: str,
    made: datetime,
    obtained: datetime | None,
    lost: datetime | None,
    interaction: int | None = None,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "number": number,
        "party": party,
        "action": "Do it",
        "kind": kind,
        "rung_level": level,
        "person": "Raj Patel",
        "due": (made + timedelta(days=10)).date(),
        "status": status,
        "created_at": made,
        "obtained_at": obtained,
        "kept_on": None,
        "lost_at": lost,
        "interaction": interaction,
        "source": None,
    }


def load(engine: Engine, deals: int, seed: int) -> int:
    count = 0
    tables = {
        "deals": t.deals,
        "stakeholders": t.stakeholders,
        "interactions": t.interactions,
        "commitments": t.commitments,
    }
    with engine.begin() as conn:
        for name, batch in rows(deals, seed):
            if batch:
                conn.execute(insert(tables[name]), batch)
                count += len(batch) if name in ("interactions", "commitments") else 0
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('deals_id_seq', (SELECT MAX(id) FROM deals))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    with engine.begin() as conn:
        # Bulk rows bypass the repository, so their review signals and documents are
        # computed in SQL.
        refresh_signals(conn)
        fill_documents(conn)
    return count


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(engine: Engine, deals: int, seed: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    generated = load(engine, deals, seed)
    load_s = time.perf_counter() - started
    process = default_process()

    def review() -> int:
        with engine.connect() as conn:
            return len(review_pipeline(conn, process, NOW))

    def baseline() -> int:
        with engine.connect() as conn:
            return len(conn.execute(text(BASELINE)).all())

    baseline()  # warm the cache for both
    base_s, _ = best_of(runs, baseline)
    review_s, reviewed = best_of(runs, review)
    tracemalloc.start()
    review()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "deals": deals,
        "rows": generated,
        "open_deals_reviewed": reviewed,
        "load_s": round(load_s, 2),
        "review_s": round(review_s, 4),
        "baseline_s": round(base_s, 4),
        "ratio": round(review_s / base_s, 2),
        "review_peak_mb": round(peak / 2**20, 1),
    }


def fresh_engine(db: str, workdir: Path) -> tuple[Engine, Callable[[], None]]:
    if db == "sqlite":
        path = workdir / f"bench-{uuid.uuid4().hex[:6]}.db"
        engine = make_engine(f"sqlite:///{path}")
        init_database(engine, NOW)
        return engine, engine.dispose
    base = make_url(PG_URL)
    name = f"dealgate_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    init_database(engine, NOW)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--scales", default="", help="more sizes, e.g. 10000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    sizes = sorted({args.deals, *(int(x) for x in args.scales.split(",") if x)})
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            engine, cleanup = fresh_engine(args.db, Path(tmp))
            try:
                figures = measure(engine, size, args.seed, args.runs)
            finally:
                cleanup()
            results.append(figures)
            print(
                f"{args.db} {size:>9,} deals ({figures['rows']:,} commitments+interactions): "
                f"review {figures['review_s'] * 1000:.0f} ms, baseline "
                f"{figures['baseline_s'] * 1000:.0f} ms, ratio {figures['ratio']}, "
                f"review peak {figures['review_peak_mb']} MB",
                file=sys.stderr,
            )
    per_deal = [r["review_s"] / r["deals"] * 1e6 for r in results]
    summary = {
        "db": args.db,
        "results": results,
        "review_us_per_deal": [round(x, 2) for x in per_deal],
        "linear_spread": round(max(per_deal) / statistics.mean(per_deal), 2),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
