"""The page of commitments waiting for a person to confirm or reject: what an import or a
logged interaction read from text, across every deal in view, instead of deal by deal; one
at a time with each row's buttons, or the ticked ones at once."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from dealgate.domain.errors import DealgateError, invalid
from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.services.webhooks import change_context
from dealgate.store.confirm_queue import waiting
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web.routes import (
    Csrf,
    EngineDep,
    NowDep,
    Page,
    PageDep,
    redirect,
    render,
    storable_input,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

PER_PAGE = 50
# Ticked at once: a page's worth, with room for a page that grew since it was read.
MOST_PICKS = 500
PICK = re.compile(r"(\d{1,18})-(\d{1,9})")  # deal id, commitment number: "12-3"


@router.get("/confirm")
def confirm_queue(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    notice: Annotated[str | None, Query(max_length=600)] = None,
) -> HTMLResponse:
    return _queue(request, engine, p, owner or None, page, notice)


@router.post("/confirm")
def settle_picked(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    verb: Annotated[str, Form(max_length=20)] = "",
    pick: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Confirm or reject every ticked commitment, deal by deal; then the queue again, saying
    how many were settled and how many a teammate had settled first."""
    p.check(csrf)
    owner, page = _where(back)
    try:
        picks = parse_picks(pick or [])
        if verb not in ("confirm", "reject"):
            raise invalid("invalid_verb", f"No action '{verb}': use confirm or reject.", "verb")
    except DealgateError as e:
        return _queue(request, engine, p, owner, page, None, e, 422)
    confirm = verb == "confirm"
    done = svc.settle_inferred(
        engine,
        picks,
        confirm=confirm,
        now=now,
        actor=p.user.name,
        context=lambda: change_context(engine, now, p.guard),
    )
    return redirect(f"{_here(owner, page)}&notice={quote(settled_notice(done, confirm))}")


def parse_picks(values: list[str]) -> dict[int, set[int]]:
    """The ticked boxes' values ("deal-number") as deal id -> commitment numbers."""
    if not values:
        raise invalid(
            "nothing_picked",
            "Tick the commitments to confirm or reject first, then press the button again.",
            "pick",
        )
    if len(values) > MOST_PICKS:
        raise invalid(
            "too_many_picks",
            f"{len(values)} commitments were ticked; settle at most {MOST_PICKS} at once.",
            "pick",
        )
    picks: dict[int, set[int]] = {}
    for value in values:
        matched = PICK.fullmatch(value)
        if matched is None:
            raise invalid(
                "invalid_pick",
                f"'{value[:40]}' names no commitment (a deal and its number, as 12-3); "
                "reload the page and tick again.",
                "pick",
            )
        picks.setdefault(int(matched[1]), set()).add(int(matched[2]))
    return picks


def settled_notice(done: svc.Settled, confirm: bool) -> str:
    verb = "confirmed" if confirm else "rejected"
    said = (
        f"{done.commitments} commitment{'' if done.commitments == 1 else 's'} {verb} "
        f"on {done.deals} deal{'' if done.deals == 1 else 's'}."
    )
    if done.unnamed:
        said += (
            f" {done.unnamed} still wait{'s' if done.unnamed == 1 else ''}: naming no one on "
            "the committee, the gate could not take it; name who committed on its row."
        )
    if done.passed_over:
        said += (
            f" {done.passed_over} no longer waited (settled meanwhile, or the deal closed) "
            "and were left as they were."
        )
    return said


def _where(back: str) -> tuple[str | None, int]:
    """The owner and page of the queue a form was sent from (its `back`), to return there."""
    query = parse_qs(urlsplit(back).query)
    owner = (query.get("owner") or [""])[0][:100] or None
    page = (query.get("page") or ["1"])[0]
    return owner, int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1


def _here(owner: str | None, page: int) -> str:
    return "/confirm?" + urlencode({**({"owner": owner} if owner else {}), "page": page})


def _queue(
    request: Request,
    engine: Engine,
    p: Page,
    owner: str | None,
    page: int,
    notice: str | None,
    refused: DealgateError | None = None,
    status: int = 200,
) -> HTMLResponse:
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        total, rows = waiting(
            uow.connection, p.visibility.owners, owner, PER_PAGE, (page - 1) * PER_PAGE
        )
        if not rows and total and page > 1:  # past the end (the last one was just confirmed)
            page = -(-total // PER_PAGE)
            total, rows = waiting(
                uow.connection, p.visibility.owners, owner, PER_PAGE, (page - 1) * PER_PAGE
            )
    pages = max(1, -(-total // PER_PAGE))
    return render(
        request,
        "confirm.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "rows": [(r, views.money_display(r.amount), r.to_name) for r in rows],
            "total": total,
            "first": (page - 1) * PER_PAGE + 1,
            "page": page,
            "pages": pages,
            "owner": owner,
            "back": _here(owner, page),
            "previous": _here(owner, page - 1) if page > 1 else None,
            "next": _here(owner, page + 1) if page < pages else None,
            "notice": notice,
            "errors": refused.details if refused else None,
            "errors_title": "Nothing was changed:",
        },
        status=status,
    )
