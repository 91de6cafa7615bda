"""The one place that reads the wall clock; DEALGATE_NOW pins it for demos and tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    pinned = os.environ.get("DEALGATE_NOW")
    if pinned:
        value = datetime.fromisoformat(pinned)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC)
