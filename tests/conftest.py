"""Database fixtures: every integration test runs on SQLite and on PostgreSQL.

PostgreSQL runs when DEALGATE_TEST_DATABASE_URL is set (CI sets it); otherwise those cases
are reported as skipped with the reason, never silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from dealgate.store import tables
from dealgate.store.db import database_url, make_engine
from dealgate.store.unit_of_work import UnitOfWork
from tests.builders import T0

PG_URL = os.environ.get("DEALGATE_TEST_DATABASE_URL")

# In CI the generated examples are the same on every run, so a landing never hangs on luck;
# locally each run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A private PostgreSQL database for this test process, dropped at the end."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need DEALGATE_TEST_DATABASE_URL (CI sets it)")
    base = make_url(database_url(PG_URL))
    name = f"dealgate_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    from dealgate.services.setup import init_database

    engine = make_engine(pg_database_url)
    init_database(engine, T0)
    yield engine
    engine.dispose()


def _empty_pg(engine: Engine) -> None:
    """Empty every table and load the default process again, as a fresh `init` would."""
    from dealgate.services.setup import init_database

    names = ", ".join(t.name for t in tables.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    init_database(engine, T0)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated database with the default process loaded and no deals."""
    from dealgate.services.setup import init_database

    if backend == "postgresql":
        pg: Engine = request.getfixturevalue("pg_engine")
        _empty_pg(pg)
        yield pg
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'dealgate.db'}")
    init_database(engine, T0)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url_or_none(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A second, empty PostgreSQL database (for comparing two runs); None on SQLite."""
    if backend != "postgresql":
        yield None
        return
    if not PG_URL:  # else the default database (SQLite) would be asked to CREATE DATABASE
        pytest.skip("PostgreSQL tests need DEALGATE_TEST_DATABASE_URL (CI sets it)")
    base = make_url(database_url(PG_URL))
    name = f"dealgate_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def uow(engine: Engine) -> Iterator[UnitOfWork]:
    with UnitOfWork(engine) as unit:
        yield unit


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly, once per reason, what was skipped and why."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"SKIPPED {count} tests: {reason.removeprefix('Skipped: ')}")
