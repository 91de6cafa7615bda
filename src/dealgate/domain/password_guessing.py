"""Guessing a password at speed: after `limit` wrong passwords for one name from one address
within `window`, that pair waits until the oldest of them ages out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

LIMIT = 10
WINDOW = timedelta(minutes=15)


def minutes_to_wait(
    failures: Sequence[datetime], now: datetime, limit: int = LIMIT, window: timedelta = WINDOW
) -> int | None:
    """How long the pair must wait before trying again, in whole minutes rounded up; None
    when it may try now. `failures`: its wrong passwords, any order."""
    recent = sorted(at for at in failures if now - at < window)
    if len(recent) < limit:
        return None
    frees_at = recent[-limit] + window  # then fewer than `limit` are left in the window
    return max(1, math.ceil((frees_at - now).total_seconds() / 60))
