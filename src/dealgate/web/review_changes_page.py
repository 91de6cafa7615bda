"""What changed since a day: the deals whose flags came or went, or that moved, between the
review of that day (the deals as they were then) and now. A week ago unless told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from dealgate.cli_support import parse_date
from dealgate.clock import end_of_day
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.services import views
from dealgate.services.review import PipelineChanges, review_since
from dealgate.store.board import owner_names
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web.csv_download import csv_download, spreadsheet_safe
from dealgate.web.routes import EngineDep, NowDep, Page, PageDep, render, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

SHOWN = 500  # deals listed; the counts say the rest, the CSV holds them all
CSV_COLUMNS = (
    "id",
    "name",
    "owner",
    "stage_then",
    "stage_now",
    "in_review_now",
    "new_flags",
    "cleared_flags",
)


@router.get("/review/changes")
def review_changes_page(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    since: Annotated[str | None, Query(max_length=10)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    errors: list[ErrorDetail] = []
    try:
        day, result = _changes(engine, p, since, owner, now)
    except DealgateError as e:  # no date, or not before today: a week ago, and why
        errors = e.details
        day, result = _changes(engine, p, None, owner, now)
    view = views.review_changes_view(result)
    kept = {"since": day.isoformat(), **({"owner": owner} if owner else {})}
    return render(
        request,
        "review_changes.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "since": day.isoformat(),
            "owner": owner or "",
            "owners": _owners(engine, p.visibility.owners),
            "errors": errors,
            "errors_title": "Compared with a week ago instead:",
            "moves": {k: v for k, v in view["flags"].items() if v["added"] or v["cleared"]},
            "deals": view["deals"][:SHOWN],
            "total": len(view["deals"]),
            "csv": "/review/changes.csv?" + urlencode(kept),
        },
    )


@router.get("/review/changes.csv")
def review_changes_csv(
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    since: Annotated[str | None, Query(max_length=10)] = None,
    owner: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Every changed deal the page counts, for a spreadsheet: no limit. A day that is no
    day, or not before today, is refused in the one shape (the page shows a week ago)."""
    day, result = _changes(engine, p, since, owner, now)
    rows = (
        [
            d["id"],
            spreadsheet_safe(d["name"]),
            spreadsheet_safe(d["owner"]),
            d["stage_then"] or "",
            d["stage_now"] or "",
            "yes" if d["in_review_now"] else "no",
            " ".join(d["added"]),
            " ".join(d["cleared"]),
        ]
        for d in views.review_changes_view(result)["deals"]
    )
    return csv_download(f"dealgate-changes-since-{day}.csv", CSV_COLUMNS, rows)


def _changes(
    engine: Engine, p: Page, since: str | None, owner: str | None, now: datetime
) -> tuple[date, PipelineChanges]:
    """What changed since the end of `since` (a week ago when None), in the user's view."""
    day = parse_date(since or None, "since") or (now - timedelta(days=7)).date()
    return day, review_since(
        engine, end_of_day(day), now, owner=owner or None, owners=p.visibility.owners
    )


def _owners(engine: Engine, visible: frozenset[str] | None) -> list[str]:
    """The owners of deals the user may see, to pick one."""
    with UnitOfWork(engine, write=False) as uow:
        return owner_names(uow.connection, visible)
