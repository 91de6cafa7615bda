"""The page of commitments waiting for a person to confirm or reject: what an import or a
logged interaction read from text, across every deal in view, instead of deal by deal."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dealgate.services import views
from dealgate.store.confirm_queue import waiting
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web.routes import EngineDep, PageDep, render, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

PER_PAGE = 50


@router.get("/confirm")
def confirm_queue(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    owner = owner or None
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

    def here(number: int) -> str:
        return "/confirm?" + urlencode(
            {k: v for k, v in {"owner": owner, "page": number}.items() if v}
        )

    return render(
        request,
        "confirm.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "rows": [(r, views.money_display(r.amount)) for r in rows],
            "total": total,
            "first": (page - 1) * PER_PAGE + 1,
            "page": page,
            "pages": pages,
            "owner": owner,
            "back": here(page),
            "previous": here(page - 1) if page > 1 else None,
            "next": here(page + 1) if page < pages else None,
            "notice": notice,
        },
    )
