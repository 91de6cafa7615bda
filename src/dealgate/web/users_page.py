"""The users page: who may log in, with which role and team, and adding one. After an
import it is where an export's owner becomes a user, their deals given to them in one step."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from dealgate.domain.access import parse_user_role
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.services.transfer import transfer_deals
from dealgate.services.users import (
    add_user,
    change_user,
    list_users,
    remove_user,
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

Text = Annotated[str, Form(max_length=100)]


@router.get("/users")
def users(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    name: Annotated[str, Query(max_length=100)] = "",
    owner: Annotated[str, Query(max_length=100)] = "",
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    """`owner`: an owner no user is called, whose deals the new user gets."""
    return _page(request, engine, p, form={"name": name or owner, "owner": owner}, notice=notice)


@router.post("/users")
def add(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    name: Text,
    role: Annotated[str, Form(max_length=20)],
    team: Text = "",
    password: Annotated[str, Form(max_length=200)] = "",
    owner: Text = "",
) -> HTMLResponse:
    p.check(csrf)
    form = {"name": name, "role": role, "team": team, "owner": owner}
    try:
        p.user.require_user_management_right()
        user, token = add_user(
            engine, name, parse_user_role(role), now, team or None, password or None
        )
    except DealgateError as e:
        return _page(request, engine, p, form=form, errors=e.details, status=e.status)
    team_said = f", team {user.team}" if user.team else ""
    said = f"Added {user.name} ({user.role.value}{team_said})."
    errors: list[ErrorDetail] = []
    owner = owner.strip()
    if owner and owner != user.name:
        try:
            done = transfer_deals(
                engine, from_owner=owner, to_user=user.name, now=now, actor=p.user.name
            )
            said += f" Gave them the {done.deals} deals of {done.from_owner}."
        except DealgateError as e:  # the user stays added; the page says what did not happen
            errors = e.details
    return _page(request, engine, p, notice=said, errors=errors, token=(user.name, token))


@router.post("/users/{name:path}/password")
def reset_password(
    request: Request,
    name: str,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """An admin sets a user's password (one who forgot theirs, or an API-only user who now
    logs in to the pages); that user's sessions end."""
    p.check(csrf)
    try:
        p.user.require_user_management_right()
        set_password(engine, name, password)
    except DealgateError as e:
        return _page(request, engine, p, errors=e.details, status=e.status)
    said = f"Password set for {name}; their open sessions are logged out."
    if name == p.user.name:  # their own: this browser keeps a session
        return sessions.logged_in(engine, p.user, now, f"/users?notice={quote(said)}")
    return redirect(f"/users?notice={quote(said)}")


@router.post("/users/{name:path}/change")
def change(
    request: Request,
    name: str,
    engine: EngineDep,
    p: PageDep,
    csrf: Csrf,
    role: Annotated[str, Form(max_length=20)],
    team: Text = "",
) -> Response:
    """A new role or team (a rep moving teams, promoted to manager)."""
    p.check(csrf)
    try:
        p.user.require_user_management_right()
        user = change_user(engine, name, parse_user_role(role), team)
    except DealgateError as e:
        return _page(request, engine, p, errors=e.details, status=e.status)
    said = f"{user.name} is now {user.role.value}, team {user.team or '—'}."
    return redirect(f"/users?notice={quote(said)}")


@router.post("/users/{name:path}/remove")
def remove(request: Request, name: str, engine: EngineDep, p: PageDep, csrf: Csrf) -> Response:
    """Remove a user who left; their deals wait on the Owners page for someone."""
    p.check(csrf)
    try:
        p.user.require_user_management_right()
        owned = remove_user(engine, name)
    except DealgateError as e:
        return _page(request, engine, p, errors=e.details, status=e.status)
    if owned:
        said = f"Removed {name}. Give their {owned} deals to someone:"
        return redirect(f"/owners?notice={quote(said)}")
    return redirect(f"/users?notice={quote(f'Removed {name}.')}")


def _page(
    request: Request,
    engine: EngineDep,
    p: Page,
    *,
    form: dict[str, str] | None = None,
    notice: str | None = None,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
    token: tuple[str, str] | None = None,
) -> HTMLResponse:
    context: dict[str, Any] = {
        "user": p.user,
        "csrf": p.csrf,
        "form": {"name": "", "role": "rep", "team": "", "owner": "", **(form or {})},
        "notice": notice,
        "errors": errors,
        "token": token,
        "users": [],
    }
    try:
        p.user.require_user_management_right()
    except DealgateError as e:
        context.update(errors=e.details)
        return render(request, "users.html", context, e.status)
    context["users"] = list_users(engine)
    return render(request, "users.html", context, status)
