"""Engines for SQLite (the embedded default) and PostgreSQL, and schema upgrades."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from dealgate.domain.errors import invalid

DEFAULT_URL = "sqlite:///dealgate.db"
MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL's default max_connections is 100: leave room for the CLI and maintenance.
DEFAULT_CONNECTIONS = 90


@dataclass(frozen=True)
class PoolSizes:
    """One process's PostgreSQL connections: the thread pool's, and the event loop's reads."""

    pool: int
    overflow: int
    reads: int


def pool_sizes(workers: int = 1, budget: int = DEFAULT_CONNECTIONS) -> PoolSizes:
    """Share `budget` connections among `workers` server processes. One process holds as many
    as requests run at once (20, with 10 more at a peak, and 8 for the event-loop reads);
    more workers get fewer each, so together they stay within what PostgreSQL accepts."""
    share = max(budget // max(workers, 1), 4)
    reads = max(min(8, share // 5), 1)
    pool = max(min(20, (share - reads) * 2 // 3), 2)
    overflow = max(min(10, share - reads - pool), 0)
    return PoolSizes(pool, overflow, reads)


def configured_pool_sizes() -> PoolSizes:
    """From `DEALGATE_DB_CONNECTIONS` (the budget) and the worker count `dealgate serve` sets."""
    try:
        workers = int(os.environ.get("DEALGATE_SERVER_WORKERS", "1"))
        budget = int(os.environ.get("DEALGATE_DB_CONNECTIONS", str(DEFAULT_CONNECTIONS)))
    except ValueError:
        raise invalid(
            "invalid_setting",
            "DEALGATE_DB_CONNECTIONS and DEALGATE_SERVER_WORKERS take whole numbers.",
            "environment",
        ) from None
    return pool_sizes(workers, budget)


def database_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("DEALGATE_DATABASE_URL") or DEFAULT_URL
    # Accept the URL people paste from psql docs; psycopg 3 is the driver we ship.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None) -> Engine:
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise invalid(
            "invalid_database_url",
            f"'{resolved}' is not a database URL; use sqlite:///FILE or "
            "postgresql+psycopg://USER@HOST:PORT/DB.",
            "db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(resolved, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; take it over so reads and writes
        # of one unit of work share one transaction.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # No pre-ping: it costs a round trip on every checkout; stale connections are recycled,
        # and with them the plans psycopg prepared (one made while a table was small stays).
        # The pool holds as many connections as requests run at once (the thread pool runs
        # up to 40): an overflow connection is opened and closed per request, a fork in PG.
        sizes = configured_pool_sizes()
        return create_engine(
            resolved, pool_recycle=300, pool_size=sizes.pool, max_overflow=sizes.overflow
        )
    raise invalid(
        "invalid_database_url",
        f"Database '{parsed.get_backend_name()}' is not supported; use SQLite or PostgreSQL.",
        "db",
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MB of page cache rather than 2: an import's index pages no longer thrash (a quarter
    # off a 600k-row import, measured); memory is taken only as pages are read.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A unit of work that writes takes the write lock up front (BEGIN IMMEDIATE): a deferred
    # transaction that read first and writes later fails outright when another writer got in
    # between, while an immediate one waits its turn under busy_timeout.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Create or upgrade the schema: migrations are the only way it is made."""
    schema_state(engine)  # refuses a schema a newer dealgate made before touching it
    command.upgrade(alembic_config(engine), "head")


def schema_state(engine: Engine) -> str:
    """ "empty", "older" (`dealgate init` upgrades it) or "current"; a schema made by a newer
    dealgate is refused: this one's code would misread it, and migrating it would not know how."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
    if found is None:
        return "empty"
    if found == script.get_current_head():
        return "current"
    if found in {r.revision for r in script.walk_revisions()}:
        return "older"
    raise invalid(
        "schema_newer",
        f"The database's schema (revision {found}) was made by a newer dealgate; upgrade "
        "dealgate (pip install -U dealgate) or use another database with --db.",
        "db",
        status=409,
    )
