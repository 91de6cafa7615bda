"""The one place that reads the wall clock; DEALGATE_NOW pins it for demos and tests."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime


def now() -> datetime:
    pinned = os.environ.get("DEALGATE_NOW")
    if pinned:
        value = datetime.fromisoformat(pinned)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)


def end_of_day(day: date) -> datetime:
    """The last second of a day (UTC): a review "as of" or "since" a day includes all of it."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)
