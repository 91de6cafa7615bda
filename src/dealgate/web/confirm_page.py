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
    one: Annotated[str, Form(max_length=60)] = "",
    pick: Annotated[list[str] | None, Form()] = None,
    row: Annotated[list[str] | None, Form()] = None,
    person: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """The queue is one form: a row's button (`one`: "confirm 12-3") settles that row, the
    buttons above it (`verb`) every ticked one (`pick`), deal by deal; each row's `row` and
    `person` (who committed, chosen for a note naming no one on the committee) go in page
    order. Then the queue again, saying what was settled and what was not, and why."""
    p.check(csrf)
    owner, page = _where(back)
    single = ""
    try:
        if one:
            verb, _, single = one.partition(" ")
            picks = parse_picks([single])
        else:
            picks = parse_picks(pick or [])
        if verb not in ("confirm", "reject"):
            raise invalid("invalid_verb", f"No action '{verb}': use confirm or reject.", "verb")
        persons = chosen_persons(row or [], person or [])
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
        persons=persons,
    )
    said = one_notice(done, confirm, single, persons) if one else settled_notice(done, confirm)
    return redirect(f"{_here(owner, page)}&notice={quote(said)}")


def chosen_persons(rows: list[str], persons: list[str]) -> dict[tuple[int, int], str]:
    """Who was chosen on each row, by (deal, number): the rows' and choices' values pair up
    in page order."""
    if len(rows) != len(persons) or len(rows) > MOST_PICKS:
        raise invalid(
            "invalid_form",
            "The rows and their choices of who committed do not pair up; reload the page and "
            "try again.",
            "person",
        )
    return {
        _pick(value): who.strip()[:200]
        for value, who in zip(rows, persons, strict=True)
        if who.strip()
    }


def one_notice(
    done: svc.Settled, confirm: bool, single: str, persons: dict[tuple[int, int], str]
) -> str:
    """What pressing one row's button did, said of that commitment."""
    deal_id, number = _pick(single)
    if done.commitments:
        who = persons.get((deal_id, number))
        made = f", made by {who}" if confirm and who else ""
        unnamed = (
            " It names no one on the committee: the gate takes it once who committed is "
            "named on the deal's page."
            if done.unnamed
            else ""
        )
        return f"Commitment {number} {'confirmed' if confirm else 'rejected'}{made}.{unnamed}"
    return f"Commitment {number} no longer waited (settled meanwhile, or the deal closed)."


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
        deal_id, number = _pick(value)
        picks.setdefault(deal_id, set()).add(number)
    return picks


def _pick(value: str) -> tuple[int, int]:
    """A ticked box's or a row's value, "12-3": deal 12's commitment 3."""
    matched = PICK.fullmatch(value)
    if matched is None:
        raise invalid(
            "invalid_pick",
            f"'{value[:40]}' names no commitment (a deal and its number, as 12-3); "
            "reload the page and tick again.",
            "pick",
        )
    return int(matched[1]), int(matched[2])


def settled_notice(done: svc.Settled, confirm: bool) -> str:
    verb = "confirmed" if confirm else "rejected"
    said = (
        f"{done.commitments} commitment{'' if done.commitments == 1 else 's'} {verb} "
        f"on {done.deals} deal{'' if done.deals == 1 else 's'}."
    )
    if done.unnamed:
        said += (
            f" {done.unnamed} of them name{'s' if done.unnamed == 1 else ''} no one on the "
            "committee: the gate takes one once who committed is named on its deal's page."
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
