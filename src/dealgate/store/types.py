"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to storage; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite compares datetimes as text: store them naive, in one format, so order holds.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime | str) -> datetime:
    """A stored datetime as the aware UTC datetime it means: SQLite's text (as SQLAlchemy
    writes it) or a driver's datetime, naive or in the session's zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def from_driver(column_type: Any, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
    """How SQLAlchemy turns one driver value of this column into Python (None: as it comes),
    for the reads that skip its per-row machinery. `coltype` is the driver's type code."""
    process = column_type.dialect_impl(dialect).result_processor(dialect, coltype)
    return cast("Callable[[Any], Any] | None", process)
