"""Webhooks: events go to an outbox in the database; a dispatcher delivers them, signed,
retried with backoff, and recorded. A failing receiver never blocks the change that caused it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

import httpx
from sqlalchemy import Engine, and_, insert, select, update

from dealgate.domain.deal import Deal
from dealgate.domain.errors import invalid
from dealgate.services.deals import ChangeContext
from dealgate.services.outbox import OutboxEvent, queue_deliveries
from dealgate.store import tables as t
from dealgate.store.unit_of_work import UnitOfWork

EVENTS = ("deal.advanced", "deal.flagged", "commitment.overdue")
MAX_ATTEMPTS = 6
CLAIM_TIMEOUT = timedelta(minutes=5)
SIGNATURE_HEADER = "X-Dealgate-Signature"


@dataclass(frozen=True)
class Webhook:
    id: int
    url: str
    events: tuple[str, ...]
    secret: str


# By engine object, not id(): an engine's id is reused once it is gone (the CLI makes one per
# command), and a stale entry under it told a new engine that nobody listened.
_subscribed: weakref.WeakKeyDictionary[Engine, tuple[float, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)
SUBSCRIBED_SECONDS = 1.0


def subscribed_events(engine: Engine) -> frozenset[str]:
    """The events some webhook listens to, read at most once a second: a change computes and
    queues only those (a webhook added by another process is heard within that second)."""
    now = time.monotonic()
    hit = _subscribed.get(engine)
    if hit is not None and hit[0] > now:
        return hit[1]
    with UnitOfWork(engine, write=False) as uow:
        rows = uow.connection.execute(select(t.webhooks.c.events)).scalars()
        events = frozenset(e for row in rows for e in row.split(","))
    _subscribed[engine] = (now + SUBSCRIBED_SECONDS, events)
    return events


def change_context(
    engine: Engine, now: datetime, guard: Callable[[Deal], None] | None = None
) -> ChangeContext:
    """A change's context, for every front end: `guard` hides deals the caller may not see,
    and the events webhooks listen to go to the outbox with the change, in its unit of work
    (`services.deals`). A change that fails announces nothing."""
    return ChangeContext(guard=guard, as_of=now, wanted=subscribed_events(engine))


def add_webhook(engine: Engine, url: str, events: list[str], now: datetime) -> Webhook:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("invalid_url", f"'{url}' is not an http(s) URL.", "url")
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise invalid(
            "invalid_events",
            f"Unknown events {', '.join(unknown) or '(none given)'}; use: {', '.join(EVENTS)}.",
            "events",
        )
    secret = secrets.token_hex(24)
    with UnitOfWork(engine) as uow:
        hook_id = uow.connection.execute(
            insert(t.webhooks)
            .values(url=url, events=",".join(events), secret=secret, created_at=now)
            .returning(t.webhooks.c.id)
        ).scalar_one()
        uow.commit()
    _subscribed.pop(engine, None)
    return Webhook(int(hook_id), url, tuple(events), secret)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def enqueue(engine: Engine, events: list[OutboxEvent], now: datetime) -> int:
    """Put events in the outbox for every webhook subscribed to them; returns how many. A
    change of a deal queues its own (`services.deals`, in its unit of work); this is for
    events of no change, as overdue commitments."""
    with UnitOfWork(engine) as uow:
        queued = queue_deliveries(uow.connection, events, now)
        uow.commit()
    return queued


Post = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    return httpx.post(url, content=body, headers=headers, timeout=5.0).status_code


def deliver_due(engine: Engine, now: datetime, post: Post = http_post, batch: int = 50) -> int:
    """Attempt every delivery that is due; returns how many were attempted."""
    with UnitOfWork(engine, write=False) as uow:
        due = uow.connection.execute(
            select(t.deliveries, t.webhooks.c.url, t.webhooks.c.secret)
            .join(t.webhooks, t.webhooks.c.id == t.deliveries.c.webhook_id)
            .where(
                # "sending" rows whose process died mid-delivery come back after a while.
                (t.deliveries.c.status == "pending")
                | (
                    (t.deliveries.c.status == "sending")
                    & (t.deliveries.c.next_attempt_at <= now - CLAIM_TIMEOUT)
                ),
                t.deliveries.c.next_attempt_at <= now,
            )
            .order_by(t.deliveries.c.id)
            .limit(batch)
        ).all()
    for d in due:
        if not _claim(engine, d.id, now):
            continue  # another server process is delivering it
        body = d.body.encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(d.secret, body),
            "X-Dealgate-Event": d.event,
            "X-Dealgate-Delivery": str(d.id),
        }
        code: int | None = None
        error: str | None = None
        try:
            code = post(d.url, body, headers)
        except Exception as e:  # any failure of the receiver is recorded, never raised
            error = f"{type(e).__name__}: {e}"
        attempts = d.attempts + 1
        ok = code is not None and 200 <= code < 300
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_status_code": code,
            "last_error": error if not ok else None,
        }
        if ok:
            values.update(status="delivered", delivered_at=now)
        elif attempts >= MAX_ATTEMPTS:
            values.update(status="failed")
        else:
            values.update(
                status="pending", next_attempt_at=now + timedelta(seconds=min(2**attempts, 300))
            )
        with UnitOfWork(engine) as uow:
            uow.connection.execute(
                update(t.deliveries).where(t.deliveries.c.id == d.id).values(**values)
            )
            uow.commit()
    return len(due)


def _claim(engine: Engine, delivery_id: int, now: datetime) -> bool:
    """Mark a delivery as being sent, so that each server process sends different ones."""
    with UnitOfWork(engine) as uow:
        claimed = uow.connection.execute(
            update(t.deliveries)
            .where(
                t.deliveries.c.id == delivery_id,
                (t.deliveries.c.status == "pending")
                | (
                    (t.deliveries.c.status == "sending")
                    & (t.deliveries.c.next_attempt_at <= now - CLAIM_TIMEOUT)
                ),
            )
            .values(status="sending", next_attempt_at=now)
        ).rowcount
        uow.commit()
    return claimed == 1


def sweep_overdue(engine: Engine, now: datetime) -> int:
    """Queue `commitment.overdue` once per obtained buyer commitment past its due date."""
    with UnitOfWork(engine) as uow:
        subscribed = any(
            "commitment.overdue" in h.events.split(",")
            for h in uow.connection.execute(select(t.webhooks.c.events))
        )
        if not subscribed:
            return 0
        c, n = t.commitments, t.overdue_notices
        rows = uow.connection.execute(
            select(c.c.deal_id, c.c.number, c.c.due, c.c.person, c.c.kind)
            .select_from(c.outerjoin(n, and_(n.c.deal_id == c.c.deal_id, n.c.number == c.c.number)))
            .where(
                c.c.party == "buyer",
                c.c.status == "obtained",
                c.c.due < now.date(),
                n.c.deal_id.is_(None),
            )
            .limit(500)
        ).all()
        if rows:
            uow.connection.execute(
                insert(n), [{"deal_id": r.deal_id, "number": r.number, "at": now} for r in rows]
            )
        uow.commit()
    enqueue(
        engine,
        [
            (
                "commitment.overdue",
                {
                    "deal": r.deal_id,
                    "commitment": r.number,
                    "due": r.due.isoformat(),
                    "person": r.person,
                    "kind": r.kind,
                },
            )
            for r in rows
        ],
        now,
    )
    return len(rows)


class Dispatcher(threading.Thread):
    """Delivers webhooks in the background of the server process."""

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], interval: float = 0.5
    ) -> None:
        super().__init__(name="dealgate-webhooks", daemon=True)
        self.engine = engine
        self.clock = clock
        self.interval = interval
        self.stopped = threading.Event()
        self._last_sweep: datetime | None = None

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                now = self.clock()
                if self._last_sweep is None or now - self._last_sweep > timedelta(minutes=1):
                    sweep_overdue(self.engine, now)
                    self._last_sweep = now
                deliver_due(self.engine, now)
            except Exception:  # keep delivering; the next tick retries what failed
                continue

    def stop(self) -> None:
        self.stopped.set()
