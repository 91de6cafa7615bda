"""The webhook outbox: one delivery per subscribed webhook and event, written in the unit of
work of the change that caused the event, so a change is never saved without its events (nor
its events queued without the change)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from dealgate.store import tables as t

OutboxEvent = tuple[str, dict[str, Any]]  # (event name, its data)


def queue_deliveries(conn: Connection, events: list[OutboxEvent], now: datetime) -> int:
    """Put events in the outbox for every webhook subscribed to them; returns how many."""
    if not events:
        return 0
    hooks = conn.execute(select(t.webhooks.c.id, t.webhooks.c.events)).all()
    rows = []
    for event, data in events:
        body = json.dumps({"event": event, "at": now.isoformat(), "data": data}, default=str)
        for hook in hooks:
            if event in hook.events.split(","):
                rows.append(
                    {
                        "webhook_id": hook.id,
                        "event": event,
                        "body": body,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    if rows:
        conn.execute(insert(t.deliveries), rows)
    return len(rows)
