"""What every CLI command shares: the error shape on stderr, parsing, the clock and the actor."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from dealgate.cli_remedies import with_commands
from dealgate.clock import end_of_day, now
from dealgate.domain.errors import DealgateError, invalid
from dealgate.io.parsing import number_text
from dealgate.io.progress import expected_rows

__all__ = ["now"]  # the commands read the clock through here


@contextmanager
def errors_as_shape(deal_id: int | None = None) -> Iterator[None]:
    """Print any error in the one error shape on stderr and exit 1; a refusal of deal
    `deal_id` names the commands that fix it."""
    try:
        yield
    except DealgateError as e:
        fail(e if deal_id is None else with_commands(e, deal_id))
    except OperationalError as e:
        fail(
            invalid(
                "database_unavailable",
                f"Cannot use the database ({e.orig}); check --db or DEALGATE_DATABASE_URL.",
                "db",
                status=503,
            )
        )
    except SQLAlchemyError as e:
        fail(invalid("database_error", f"The database refused the change: {e}", "db", status=500))
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as e:  # a bug: still answer in the one shape, and say what broke
        fail(
            invalid(
                "internal_error",
                f"dealgate failed unexpectedly ({type(e).__name__}: {e}); nothing was saved. "
                "Please report this with the command you ran.",
                None,
                status=500,
            )
        )


def fail(error: DealgateError) -> None:
    sys.stderr.write(json.dumps(error.to_dict(), indent=2) + "\n")
    raise typer.Exit(1)


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def actor() -> str:
    return os.environ.get("DEALGATE_USER") or getpass.getuser()


def parse_date(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(
            "invalid_date", f"'{text}' is not a date; write it as YYYY-MM-DD.", field
        ) from None


def parse_as_of(text: str | None, default: datetime | object | None = ...) -> Any:
    """A date or datetime given on the command line, as an aware UTC datetime.

    A bare date means the end of that day, so "as of 2026-03-31" includes all of it.
    """
    if text is None:
        return now() if default is ... else default
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return end_of_day(day)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(
            "invalid_date", f"'{text}' is not a date; write it as YYYY-MM-DD.", "as_of"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_author(text: str) -> str:
    if text not in ("seller", "buyer"):
        raise invalid(
            "invalid_author", f"Unknown author '{text}'. Use 'seller' or 'buyer'.", "author"
        )
    return text


def parse_amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(number_text(text))  # 12,000.50 / 12.000,50 / USD 12000 alike
    except InvalidOperation:
        raise invalid(
            "invalid_amount", f"'{text}' is not an amount; write a number like 12000.", "amount"
        ) from None
    if not value.is_finite() or value < 0:
        raise invalid("invalid_amount", "The amount must be a number, zero or more.", "amount")
    return value


@contextmanager
def import_progress(
    enabled: bool = True, files: list[Path] | None = None
) -> Iterator[Callable[[str, int], None]]:
    """A Rich progress bar per import phase, with rows per second, on stderr; with the
    export's `files`, each phase's bar fills towards the rows it will read."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda _phase, _n: None
        return
    expected = expected_rows(files or [])
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8} rows/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, Any] = {}

    def finish_phases() -> None:
        """A phase that ended read all its rows: its bar fills (its files' lines counted
        rejected rows and cells spanning lines too)."""
        for task in tasks.values():
            done = progress.tasks[task].completed
            progress.update(task, total=done, completed=done)

    def tick(phase: str, rows: int) -> None:
        if phase not in tasks:
            finish_phases()
            tasks[phase] = progress.add_task(phase, total=expected.get(phase), rate="-")
        task = tasks[phase]
        progress.advance(task, rows)
        done = progress.tasks[task].completed
        elapsed = progress.tasks[task].elapsed or 0
        progress.update(task, rate=f"{done / elapsed:,.0f}" if elapsed else "-")

    with progress:
        yield tick
        finish_phases()
