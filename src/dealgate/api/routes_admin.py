"""Admins' endpoints: users (who sees which deals) and giving one owner's deals to a user,
for the scripts that provision users from an HR system or hand over a departed rep's deals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from dealgate.api.deps import CallerDep, EngineDep, NowDep
from dealgate.api.routes_deals import ERRORS
from dealgate.api.schemas import (
    CalendarKeyOut,
    TransferOut,
    TransferRequest,
    UserChanged,
    UserCreate,
    UserCreated,
    UserOut,
    UserRemoved,
    UserUpdate,
)
from dealgate.domain.access import parse_user_role, require_may_transfer
from dealgate.services import users as users_svc
from dealgate.services.transfer import transfer_deals
from dealgate.services.users import add_user, list_users

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["users"])


@router.post("/calendar-key", response_model=CalendarKeyOut, status_code=201)
def make_calendar_key(engine: EngineDep, caller: CallerDep) -> Any:
    """A new calendar key for the caller (the one before stops working): calendar apps
    subscribe to the feed addresses it opens without holding the API token."""
    made = users_svc.new_calendar_key(engine, caller.user.name)
    return {"key": made.key, "feeds": [{"rep": rep, "path": path} for rep, path in made.feeds]}


@router.get("/users", response_model=list[UserOut])
def users(engine: EngineDep, caller: CallerDep) -> Any:
    caller.user.require_user_management_right()
    return [
        {"name": u.name, "role": u.role.value, "team": u.team, "pages": pages}
        for u, pages in list_users(engine)
    ]


@router.post("/users", response_model=UserCreated, status_code=201)
def create_user(body: UserCreate, engine: EngineDep, caller: CallerDep, now: NowDep) -> Any:
    caller.user.require_user_management_right()
    user, token = add_user(
        engine, body.name, parse_user_role(body.role), now, body.team, body.password
    )
    return {
        "name": user.name,
        "role": user.role.value,
        "team": user.team,
        "pages": body.password is not None,
        "token": token,
    }


@router.patch("/users/{name}", response_model=UserChanged)
def change_user(
    name: Annotated[str, Path(max_length=100)],
    body: UserUpdate,
    engine: EngineDep,
    caller: CallerDep,
) -> Any:
    """A new role and/or team; who sees which deals follows at once."""
    caller.user.require_user_management_right()
    role = parse_user_role(body.role) if body.role else None
    user = users_svc.change_user(engine, name, role, body.team)
    return {"name": user.name, "role": user.role.value, "team": user.team}


@router.delete("/users/{name}", response_model=UserRemoved)
def remove_user(
    name: Annotated[str, Path(max_length=100)], engine: EngineDep, caller: CallerDep
) -> Any:
    """Remove a user who left: their sessions and token end; their deals keep them as owner
    until given to someone (`POST /transfers`)."""
    caller.user.require_user_management_right()
    return {"name": name, "deals_left": users_svc.remove_user(engine, name)}


@router.post("/transfers", response_model=TransferOut, response_model_by_alias=True)
def transfer(body: TransferRequest, engine: EngineDep, caller: CallerDep, now: NowDep) -> Any:
    """Give every deal of one owner (open ones only with `open_only`) to a user; each deal
    records the change. An admin between anyone; a manager within their team."""
    require_may_transfer(caller.user, caller.visibility, body.from_owner.strip(), body.to.strip())
    done = transfer_deals(
        engine,
        from_owner=body.from_owner.strip(),
        to_user=body.to.strip(),
        now=now,
        actor=caller.user.name,
        open_only=body.open_only,
    )
    return TransferOut(
        from_owner=done.from_owner, to=done.to_user, deals=done.deals, closed_kept=done.closed_kept
    )
