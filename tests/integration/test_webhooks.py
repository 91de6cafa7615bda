"""Webhooks: signed, retried with backoff, recorded; a failing receiver never fails a request."""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError

from dealgate.domain.commitment import Party
from dealgate.services import deals as svc
from dealgate.services.setup import init_database
from dealgate.services.webhooks import (
    add_webhook,
    deliver_due,
    subscribed_events,
    sweep_overdue,
)
from dealgate.store import tables as t
from dealgate.store.db import make_engine
from tests.api_support import running_api
from tests.builders import T0


@contextmanager
def receiver(fail_first: int = 0) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver on loopback that records what it gets; fails the first N calls."""
    received: list[dict[str, Any]] = []
    calls = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            calls["n"] += 1
            status = 500 if calls["n"] <= fail_first else 204
            received.append({"status": status, "body": body, "headers": dict(self.headers)})
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def _deliveries(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.deliveries).order_by(t.deliveries.c.id)).all())


def test_an_advance_is_delivered_signed_by_the_background_dispatcher(engine: Engine) -> None:
    with receiver() as (url, received), running_api(engine, webhooks=True) as api:
        hook = add_webhook(engine, url, ["deal.advanced", "deal.flagged"], T0)
        maria = api.client("maria")
        deal = maria.post(
            "/deals", json={"name": "Fleet", "account": "Acme", "owner": "alice"}
        ).json()
        moved = maria.post(f"/deals/{deal['id']}/advance", json={"override_reason": "CEO ask"})
        assert moved.status_code == 200
        deadline = time.monotonic() + 10
        # Both events are delivered, each in its own request: wait for the two (under load
        # the flag's delivery came after the advance's and the test raced it).
        while time.monotonic() < deadline and {
            r["headers"].get("X-Dealgate-Event") for r in received
        } < {"deal.advanced", "deal.flagged"}:
            time.sleep(0.05)
    advanced = [r for r in received if r["headers"]["X-Dealgate-Event"] == "deal.advanced"]
    assert len(advanced) == 1
    body = advanced[0]["body"]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert advanced[0]["headers"]["X-Dealgate-Signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "deal.advanced"
    assert payload["data"]["to"] == "discover" and payload["data"]["override_reason"] == "CEO ask"
    flagged = [
        json.loads(r["body"])
        for r in received
        if r["headers"]["X-Dealgate-Event"] == "deal.flagged"
    ]
    assert any(f["code"] == "overridden" for p in flagged for f in p["data"]["flags"])


def test_a_failing_receiver_is_retried_with_backoff_and_recorded(engine: Engine) -> None:
    with receiver(fail_first=2) as (url, received):
        add_webhook(engine, url, ["deal.advanced"], T0)
        deal = svc.open_deal(engine, now=T0, actor="alice", name="A", account="B", owner="alice")
        ctx = svc.ChangeContext(as_of=T0)
        svc.advance(engine, deal.id or 0, now=T0, actor="maria", override_reason="x", ctx=ctx)
        assert deliver_due(engine, T0) == 1  # the change queued its event itself
        first = _deliveries(engine)[0]
        assert (first.status, first.attempts, first.last_status_code) == ("pending", 1, 500)
        assert first.next_attempt_at == T0 + timedelta(seconds=2)
        assert deliver_due(engine, T0 + timedelta(seconds=1)) == 0  # not due yet
        assert deliver_due(engine, T0 + timedelta(seconds=2)) == 1
        assert _deliveries(engine)[0].next_attempt_at == T0 + timedelta(seconds=6)
        assert deliver_due(engine, T0 + timedelta(seconds=6)) == 1
        done = _deliveries(engine)[0]
        assert (done.status, done.attempts, done.last_status_code) == ("delivered", 3, 204)
        assert len(received) == 3


def test_an_unreachable_receiver_never_fails_the_request(engine: Engine) -> None:
    add_webhook(engine, "http://127.0.0.1:9/unreachable", ["deal.advanced"], T0)
    with running_api(engine, webhooks=True) as api:
        maria = api.client("maria")
        deal = maria.post("/deals", json={"name": "Fleet", "account": "Acme"}).json()
        moved = maria.post(f"/deals/{deal['id']}/advance", json={"override_reason": "x"})
        assert moved.status_code == 200
    for n in range(6):
        deliver_due(engine, T0 + timedelta(hours=n + 1))
    last = _deliveries(engine)[-1]
    assert last.status == "failed" and last.attempts == 6 and "ConnectError" in last.last_error


def test_overdue_commitments_are_announced_once(engine: Engine) -> None:
    add_webhook(engine, "http://127.0.0.1:9/x", ["commitment.overdue"], T0)
    deal = svc.open_deal(engine, now=T0, actor="alice", name="A", account="B", owner="alice")
    svc.add_commitment(
        engine,
        deal.id or 0,
        now=T0,
        actor="alice",
        party=Party.BUYER,
        action="Send data",
        kind="data_shared",
        due=date(2026, 3, 5),
    )
    assert sweep_overdue(engine, T0 + timedelta(days=2)) == 0
    assert sweep_overdue(engine, T0 + timedelta(days=5)) == 1
    assert sweep_overdue(engine, T0 + timedelta(days=6)) == 0
    (queued,) = _deliveries(engine)
    assert queued.event == "commitment.overdue"
    assert json.loads(queued.body)["data"]["commitment"] == 1


def test_webhook_add_refuses_unknown_events_and_bad_urls(engine: Engine) -> None:
    import pytest

    from dealgate.domain.errors import DealgateError

    with pytest.raises(DealgateError) as caught:
        add_webhook(engine, "ftp://x", ["deal.advanced"], T0)
    assert caught.value.codes == ["invalid_url"]
    with pytest.raises(DealgateError) as caught:
        add_webhook(engine, "http://x", ["deal.exploded"], T0)
    assert caught.value.codes == ["invalid_events"]


def test_two_server_processes_never_send_a_delivery_twice(engine: Engine) -> None:
    with receiver() as (url, received):
        add_webhook(engine, url, ["deal.advanced"], T0)
        from dealgate.services.webhooks import enqueue

        enqueue(engine, [("deal.advanced", {"deal": n}) for n in range(20)], T0)
        barrier = threading.Barrier(2)

        def dispatcher() -> None:
            barrier.wait()
            deliver_due(engine, T0)

        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(json.loads(r["body"])["data"]["deal"] for r in received) == list(range(20))
    assert all(d.status == "delivered" for d in _deliveries(engine))


def test_a_change_computes_and_queues_only_the_events_a_webhook_listens_to(
    engine: Engine,
) -> None:
    assert subscribed_events(engine) == frozenset()
    deal = svc.open_deal(engine, now=T0, actor="alice", name="Fleet", account="Acme", owner="alice")
    quiet = svc.ChangeContext(as_of=T0, wanted=subscribed_events(engine))
    svc.advance(engine, deal.id or 0, now=T0, actor="maria", override_reason="Board", ctx=quiet)
    assert quiet.outbox == []

    add_webhook(engine, "http://127.0.0.1:9/x", ["deal.advanced"], T0)
    assert subscribed_events(engine) == {"deal.advanced"}  # heard at once in this process
    heard = svc.ChangeContext(as_of=T0, wanted=subscribed_events(engine))
    svc.advance(engine, deal.id or 0, now=T0, actor="maria", override_reason="Board", ctx=heard)
    assert [event for event, _ in heard.outbox] == ["deal.advanced"]


REFUSE_DELIVERIES = {
    "sqlite": [
        "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries "
        "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_deliveries() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'outbox refused'; END $$",
        "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries "
        "FOR EACH ROW EXECUTE FUNCTION refuse_deliveries()",
    ],
}


def test_a_change_whose_events_cannot_be_queued_is_not_saved_either(engine: Engine) -> None:
    """The outbox is written in the change's own unit of work: a process that died between
    the two would otherwise have saved a move no webhook ever hears of."""
    add_webhook(engine, "http://127.0.0.1:9/x", ["deal.advanced"], T0)
    deal = svc.open_deal(engine, now=T0, actor="alice", name="Fleet", account="Acme", owner="alice")
    assert deal.id is not None
    before, _ = svc.load_deal(engine, deal.id)
    with engine.begin() as conn:
        for statement in REFUSE_DELIVERIES[engine.dialect.name]:
            conn.exec_driver_sql(statement)
    ctx = svc.ChangeContext(as_of=T0, wanted=subscribed_events(engine))
    with pytest.raises(DBAPIError, match="outbox refused"):
        svc.advance(engine, deal.id, now=T0, actor="maria", override_reason="Board", ctx=ctx)
    stored, _ = svc.load_deal(engine, deal.id)
    assert (stored.stage, stored.version, stored.history) == (
        before.stage,
        before.version,
        before.history,
    )
    assert _deliveries(engine) == []


def test_each_engine_hears_its_own_databases_webhooks_however_many_came_before(
    tmp_path: Path,
) -> None:
    """The CLI makes an engine per command; a gone engine's id comes back for a new one, and
    the subscriptions remembered under it must not answer for another database."""
    quiet, heard = f"sqlite:///{tmp_path / 'quiet.db'}", f"sqlite:///{tmp_path / 'heard.db'}"
    for url in (quiet, heard):
        engine = make_engine(url)
        init_database(engine, T0)
        if url == heard:
            add_webhook(engine, "http://127.0.0.1:9/x", ["deal.advanced"], T0)
        engine.dispose()
    for n in range(20):
        url = heard if n % 2 else quiet
        engine = make_engine(url)
        assert subscribed_events(engine) == ({"deal.advanced"} if url == heard else set()), n
        engine.dispose()
        del engine
        gc.collect()
