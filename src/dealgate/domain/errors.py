"""The one error shape (DESIGN.md §4), raised by every layer and rendered by each front end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    code: str
    message: str
    field: str | None = None
    # The commitment a gate refusal is about: front ends name the fix in their own terms
    # (a command, a form). Not part of the error shape.
    commitment: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass
class DealgateError(Exception):
    """An error a user can act on: a stable code per detail and a message saying how to fix it."""

    error: str
    details: list[ErrorDetail] = field(default_factory=list)
    status: int = 422

    def __post_init__(self) -> None:
        super().__init__(self.error)

    @property
    def codes(self) -> list[str]:
        return [d.code for d in self.details]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": False,
            "status": self.status,
            "error": self.error,
            "errors": [d.to_dict() for d in self.details],
        }


def invalid(code: str, message: str, field: str | None = None, status: int = 422) -> DealgateError:
    """A single-detail error, the common case for bad input."""
    return DealgateError(message, [ErrorDetail(code, message, field)], status)


def not_found(what: str, ident: object, hint: str) -> DealgateError:
    return invalid("not_found", f"No {what} {ident}. {hint}", what, status=404)


def conflict(message: str) -> DealgateError:
    return invalid("conflict", message, "version", status=409)


def unavailable() -> DealgateError:
    """The database could not be reached; nothing was changed."""
    return invalid(
        "database_unavailable", "The database is unavailable; try again shortly.", None, 503
    )
