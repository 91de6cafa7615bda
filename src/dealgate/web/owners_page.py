"""The owners page: deal owners no user is called (after an import, their deals are seen by
admins alone), each given to a user in one click; any owner's deals, for a rep who left (a
manager: their team's, to someone in it)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from dealgate.domain.access import require_may_transfer
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.domain.ordering import by_name
from dealgate.io.readers import suggest_owners
from dealgate.services.transfer import transfer_deals
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


@router.get("/owners")
def owners(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    return _page(request, engine, p, notice=notice)


@router.post("/owners/transfer")
def transfer(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    from_owner: Annotated[str, Form(alias="from", max_length=100)],
    to_user: Annotated[str, Form(alias="to", max_length=100)],
    open_only: Annotated[bool, Form()] = False,
) -> Response:
    p.check(csrf)
    try:
        require_may_transfer(p.user, p.visibility, from_owner.strip(), to_user.strip())
        done = transfer_deals(
            engine,
            from_owner=from_owner.strip(),
            to_user=to_user.strip(),
            now=now,
            actor=p.user.name,
            open_only=open_only,
        )
    except DealgateError as e:
        return _page(request, engine, p, errors=e.details, status=e.status)
    kept = f" ({done.closed_kept} closed ones kept)" if done.closed_kept else ""
    said = f"Gave {done.deals} deals of {done.from_owner} to {done.to_user}{kept}."
    return redirect(f"/owners?notice={quote(said)}")


def _page(
    request: Request,
    engine: EngineDep,
    p: Page,
    *,
    notice: str | None = None,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
) -> HTMLResponse:
    unseen: dict[str, int] = {}
    users: list[str] = []
    team: list[str] | None = None  # a manager's: the owners they may give from
    try:
        p.user.require_transfer_right()
    except DealgateError as e:
        errors, status = e.details, e.status
    else:
        with UnitOfWork(engine, write=False) as uow:
            users = [u for u in uow.users.names() if p.visibility.sees(u)]
            if p.visibility.owners is None:
                unseen = uow.users.owners_without_user()
            else:
                team = by_name(p.visibility.owners)
    return render(
        request,
        "owners.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "unseen": unseen,
            "suggested": suggest_owners(set(unseen), users),
            "users": users,
            "team": team,
            "notice": notice,
            "errors": errors,
        },
        status,
    )
