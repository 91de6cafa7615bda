"""The commitments read from text that wait for a person, over the API: the queue the page
'To confirm' shows, and settling several at once as its ticked boxes do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from dealgate.api.deps import CallerDep, EngineDep, NowDep
from dealgate.api.routes_deals import ERRORS
from dealgate.api.schemas import SettledOut, SettleRequest, WaitingOut
from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.services.webhooks import change_context
from dealgate.store.confirm_queue import waiting
from dealgate.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1", responses=ERRORS)


@router.get("/commitments/waiting", response_model=WaitingOut, tags=["commitments"])
def waiting_commitments(
    engine: EngineDep,
    caller: CallerDep,
    owner: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Any:
    """Commitments read from notes on open deals in view, the largest deal first, with how
    many wait in all. A buyer's that names no one on its deal's committee carries `likely`:
    the member it likely means, or "" (name one as you confirm it: `PATCH` its status with a
    `person`), since the gate takes only a named stakeholder's commitment."""
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        total, rows = waiting(
            uow.connection, caller.visibility.owners, owner or None, limit, offset
        )
    return {"total": total, "items": [views.waiting_view(r) for r in rows]}


@router.post("/commitments/settle", response_model=SettledOut, tags=["commitments"])
def settle_commitments(
    body: SettleRequest, engine: EngineDep, caller: CallerDep, now: NowDep
) -> Any:
    """Confirm or reject several waiting commitments at once, deal by deal. Those settled
    meanwhile (or on a deal closed or out of sight) are passed over. A buyer's naming a first
    name is confirmed as the committee member it means; `unnamed` counts those confirmed
    naming no one on the committee (`PATCH` them with a `person` for the gate to take them)."""
    picks: dict[int, set[int]] = {}
    for pick in body.picks:
        picks.setdefault(pick.deal_id, set()).add(pick.number)
    done = svc.settle_inferred(
        engine,
        picks,
        confirm=body.verb == "confirm",
        now=now,
        actor=caller.user.name,
        context=lambda: change_context(engine, now, caller.guard),
    )
    return {
        "settled": done.commitments,
        "deals": done.deals,
        "passed_over": done.passed_over,
        "unnamed": done.unnamed,
    }
