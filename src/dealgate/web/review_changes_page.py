"""What changed since a day: the deals whose flags came or went, or that moved, between the
review of that day (the deals as they were then) and now. A week ago unless told."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from dealgate.cli_support import parse_date
from dealgate.clock import end_of_day
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.services import views
from dealgate.services.review import PipelineChanges, review_since
from dealgate.store.board import owner_names
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web.routes import EngineDep, NowDep, PageDep, render, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

SHOWN = 500  # deals listed; the counts say the rest


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
    week_ago = (now - timedelta(days=7)).date()

    def since_end_of(day: date) -> PipelineChanges:
        return review_since(
            engine, end_of_day(day), now, owner=owner or None, owners=p.visibility.owners
        )

    try:
        day = parse_date(since or None, "since") or week_ago
        result = since_end_of(day)
    except DealgateError as e:  # no date, or not before today: a week ago, and why
        errors, day = e.details, week_ago
        result = since_end_of(day)
    view = views.review_changes_view(result)
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
        },
    )


def _owners(engine: Engine, visible: frozenset[str] | None) -> list[str]:
    """The owners of deals the user may see, to pick one."""
    with UnitOfWork(engine, write=False) as uow:
        return owner_names(uow.connection, visible)
