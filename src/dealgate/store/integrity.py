"""Telling a duplicate key from the other integrity errors, whichever driver raised it."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError


def duplicate_key(error: BaseException) -> bool:
    """A unique or primary key violated (not a foreign key or a NOT NULL): a row numbered
    as one someone else wrote meanwhile. `error` as SQLAlchemy or the driver raised it."""
    cause = error.orig if isinstance(error, IntegrityError) else error
    if getattr(cause, "sqlstate", None) == "23505":  # PostgreSQL's unique_violation
        return True
    name = getattr(cause, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE")
