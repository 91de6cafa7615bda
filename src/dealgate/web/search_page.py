"""Finding a deal by part of its name or account, among the deals the user sees: the search
box every CRM has in its header."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.web.routes import EngineDep, PageDep, render, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

PER_PAGE = 50


@router.get("/deals")
def find_deals(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> HTMLResponse:
    text = q.strip()
    deals, last = svc.deal_page(
        engine,
        owners=p.visibility.owners,
        after_id=after or None,
        limit=PER_PAGE,
        text=text or None,
    )
    more = "/deals?" + urlencode({"q": text, "after": last}) if last is not None else None
    return render(
        request,
        "deals.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "q": text,
            "rows": [(d, views.money_display(d.amount)) for d in deals],
            "more": more,
            "first_page": not after,
        },
    )
