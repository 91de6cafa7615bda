"""Exports: CSV and JSON round trips without loss; an iCalendar feed a calendar accepts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import Engine, func, select

from dealgate.domain.commitment import Party
from dealgate.services import deals as svc
from dealgate.services.demo import fill_demo
from dealgate.services.exporting import commitments_calendar, export_tables, import_tables
from dealgate.services.setup import init_database
from dealgate.store import tables as t
from dealgate.store.db import make_engine
from tests.api_support import running_api
from tests.builders import T0


@pytest.fixture
def second(backend: str, tmp_path: Path, pg_url_or_none: str | None) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'second.db'}" if backend == "sqlite" else pg_url_or_none
    assert url is not None
    engine = make_engine(url)
    init_database(engine, T0)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_reimports_without_loss(
    engine: Engine, second: Engine, tmp_path: Path, fmt: str
) -> None:
    fill_demo(engine, T0 + timedelta(days=160))
    first = export_tables(engine, tmp_path / "one", fmt)
    assert first["deals"] == 64 and first["events"] > 500
    loaded = import_tables(second, tmp_path / "one")
    assert loaded == first
    with second.connect() as conn:  # each deal's document of its rows, made from the rows
        missing = select(func.count()).where(t.deals.c.children.is_(None))
        assert conn.execute(missing).scalar_one() == 0
    export_tables(second, tmp_path / "two", fmt)
    for path in sorted((tmp_path / "one").iterdir()):
        assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name
    # The reloaded pipeline behaves as the original: same review, and it takes new deals.
    again = svc.open_deal(second, now=T0, actor="a", name="New", account="B", owner="alice")
    assert again.id == 65


def test_an_export_only_loads_into_an_empty_database(engine: Engine, tmp_path: Path) -> None:
    from dealgate.domain.errors import DealgateError

    fill_demo(engine, T0 + timedelta(days=160), deals=3)
    export_tables(engine, tmp_path / "x", "csv")
    with pytest.raises(DealgateError) as caught:
        import_tables(engine, tmp_path / "x")
    assert caught.value.codes == ["not_empty"]


def test_the_calendar_feed_lists_buyer_due_dates(engine: Engine) -> None:
    deal = svc.open_deal(engine, now=T0, actor="a", name="Fleet", account="Acme", owner="alice")
    svc.add_commitment(
        engine,
        deal.id or 0,
        now=T0,
        actor="a",
        party=Party.BUYER,
        action="Send usage data",
        kind="data_shared",
        person="Raj",
        due=T0.date() + timedelta(days=4),
    )
    svc.add_commitment(
        engine,
        deal.id or 0,
        now=T0,
        actor="a",
        party=Party.SELLER,
        action="Send references",
        due=T0.date(),
    )
    feed = Calendar.from_ical(commitments_calendar(engine, "alice", T0))
    events = list(feed.walk("VEVENT"))
    assert len(events) == 1
    assert str(events[0]["summary"]) == "Raj: Send usage data (Acme)"
    assert events[0].decoded("dtstart") == T0.date() + timedelta(days=4)
    with running_api(engine) as api:
        response = api.client(None).get(
            "/reps/alice/commitments.ics", params={"token": api.tokens["alice"]}
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        assert len(list(Calendar.from_ical(response.content).walk("VEVENT"))) == 1
        assert api.client("bruno").get("/reps/alice/commitments.ics").status_code == 404


def test_line_breaks_in_deal_text_keep_the_calendar_valid(engine: Engine) -> None:
    deal = svc.open_deal(
        engine, now=T0, actor="a", name="Fleet\nrollout", account="Acme\r\nCorp", owner="alice"
    )
    svc.add_commitment(
        engine,
        deal.id or 0,
        now=T0,
        actor="a",
        party=Party.BUYER,
        action="Send\ndata",
        kind="data_shared",
        due=T0.date(),
    )
    feed = Calendar.from_ical(commitments_calendar(engine, "alice", T0))
    (event,) = feed.walk("VEVENT")
    assert str(event["summary"]) == "Send data (Acme Corp)"
