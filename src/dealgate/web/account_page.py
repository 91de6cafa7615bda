"""A user's own account: who they are in dealgate, changing their password (which logs out
their other sessions, as after a reset), and the address a calendar app subscribes to."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from dealgate.domain.errors import DealgateError, ErrorDetail, invalid
from dealgate.services.users import (
    CalendarKey,
    has_calendar_key,
    new_calendar_key,
    set_password,
)
from dealgate.web import sessions
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

Password = Annotated[str, Form(max_length=200)]


@router.get("/account")
def account(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    return _page(request, p, notice=notice, has_calendar=has_calendar_key(engine, p.user.name))


@router.post("/account/calendar")
def make_calendar_address(
    request: Request, engine: EngineDep, p: PageDep, csrf: Csrf
) -> HTMLResponse:
    """Shown in this response alone: only a hash of the key is kept. The address bar shows
    /account, so a reload shows the page (without the key) rather than a refused GET."""
    p.check(csrf)
    made = new_calendar_key(engine, p.user.name)
    page = _page(request, p, calendar=made, has_calendar=True)
    page.headers["HX-Push-Url"] = "/account"
    return page


@router.get("/account/calendar")
def calendar_address_page() -> Response:
    """Where a browser without htmx lands when it reloads after making an address."""
    return redirect("/account")


@router.post("/account/password")
def change_password(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    current: Password,
    new: Password,
    repeated: Password,
) -> Response:
    p.check(csrf)
    address = request.client.host if request.client else ""
    try:
        sessions.throttle(request).check(p.user.name, address, now)
        if sessions.check_password(engine, p.user.name, current) is None:
            sessions.throttle(request).failed(p.user.name, address, now)
            raise invalid(
                "wrong_password",
                "The current password is not right; type it again (or ask an admin to set "
                "a new one).",
                "current",
            )
        sessions.require_typed_twice(new, repeated)
        set_password(engine, p.user.name, new)
    except DealgateError as e:
        has_calendar = has_calendar_key(engine, p.user.name)
        return _page(request, p, errors=e.details, status=e.status, has_calendar=has_calendar)
    said = "Password changed; your other sessions are logged out."
    # Every session of the user ended with the change: this browser keeps a new one.
    return sessions.logged_in(engine, p.user, now, f"/account?notice={quote(said)}")


def _page(
    request: Request,
    p: Page,
    *,
    notice: str | None = None,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
    has_calendar: bool = False,
    calendar: CalendarKey | None = None,
) -> HTMLResponse:
    # Absolute addresses: they are pasted into a calendar app, which knows no other page.
    base = str(request.base_url).rstrip("/")
    feeds = [
        (rep, base + path, "webcal://" + (base + path).split("://", 1)[1])
        for rep, path in (calendar.feeds if calendar else [])
    ]
    return render(
        request,
        "account.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "notice": notice,
            "errors": errors,
            "has_calendar": has_calendar,
            "feeds": feeds,
        },
        status,
    )
