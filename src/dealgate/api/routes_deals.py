"""Deal endpoints: create, list, read, change, the gate, advance, close, history."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from dealgate.api.deps import Caller, CallerDep, DealId, EngineDep, NowDep, Number
from dealgate.api.responses import FastJSONResponse
from dealgate.api.schemas import (
    AdvanceRequest,
    CloseRequest,
    CommitmentCreate,
    CommitmentOut,
    CommitmentUpdate,
    DealCreate,
    DealDetailOut,
    DealOut,
    DealPage,
    DealUpdate,
    DissatisfactionCreate,
    ErrorOut,
    GateOut,
    HistoryOut,
    InteractionCreate,
    InteractionOut,
    NoteOut,
    StakeholderCreate,
    StakeholderOut,
    StakeholderUpdate,
)
from dealgate.domain.access import require_may_own
from dealgate.domain.commitment import Status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import invalid
from dealgate.domain.events import STAGE_EVENTS
from dealgate.domain.process import Process
from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.services.review import review as run_review
from dealgate.services.webhooks import change_context

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 500)
}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

SafeText = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """The views already have the documented shape: returning the response skips
    re-validating it against the model (the schemathesis test holds them to the schema),
    and for a sync endpoint a second trip through the thread pool to do it."""
    return FastJSONResponse(data, status, headers)


async def _read(request: Request, caller: Caller, deal_id: int) -> tuple[Deal, Process]:
    """A deal the caller may see, read on the event loop where the database allows it
    (PostgreSQL, once the app's lifespan has opened its reader), else in the thread pool."""
    documents = request.app.state.documents
    if documents is not None:
        deal, process = await svc.read_deal(documents, deal_id)
    else:
        deal, process = await run_in_threadpool(svc.load_deal, request.app.state.engine, deal_id)
    caller.guard(deal)
    return deal, process


def _detail(
    engine: EngineDep, caller: Caller, deal_id: int, with_events: bool = False
) -> svc.DealDetail:
    detail = svc.get_deal(engine, deal_id, with_events=with_events)
    caller.guard(detail.deal)
    return detail


def _cursor(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(base64.urlsafe_b64decode(text.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(
            "invalid_cursor", "The cursor is not one this API gave; start without it.", "cursor"
        ) from None
    if not 0 <= value < 2**31:
        raise invalid(
            "invalid_cursor", "The cursor is not one this API gave; start without it.", "cursor"
        )
    return value


def _encode(last: int | None) -> str | None:
    return None if last is None else base64.urlsafe_b64encode(str(last).encode()).decode()


@router.post("/deals", response_model=DealOut, status_code=201, tags=["deals"])
def create_deal(body: DealCreate, engine: EngineDep, caller: CallerDep, now: NowDep) -> Any:
    owner = body.owner or caller.user.name
    require_may_own(caller.user, caller.visibility, owner)
    deal = svc.open_deal(
        engine,
        now=now,
        actor=caller.user.name,
        name=body.name,
        account=body.account,
        owner=owner,
        stage=body.stage,
        amount=body.amount,
        close_date=body.close_date,
    )
    return _json(views.deal_summary(deal), 201)


@router.get("/deals", response_model=DealPage, tags=["deals"])
def list_deals(
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
    stage: SafeText = None,
    owner: SafeText = None,
    flag: SafeText = None,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            pattern=r"^[^\x00]*$",
            description="Only deals whose name or account contains this text (any case).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Any:
    ids = None
    if flag is not None:
        flagged = run_review(engine, now, flag=flag, owners=caller.visibility.owners)
        ids = [r.deal_id for r in flagged.shown]
    deals, last = svc.deal_page(
        engine,
        owners=caller.visibility.owners,
        stage=stage,
        owner=owner,
        after_id=_cursor(cursor),
        limit=limit,
        ids=ids,
        text=q.strip() if q else None,
    )
    return _json({"items": [views.deal_summary(d) for d in deals], "next_cursor": _encode(last)})


@router.get("/deals/{deal_id}", response_model=DealDetailOut, tags=["deals"])
async def get_deal(deal_id: DealId, request: Request, caller: CallerDep) -> Any:
    deal, process = await _read(request, caller, deal_id)
    return _json(views.deal_detail(deal, process, deal.gate(process)))


@router.patch("/deals/{deal_id}", response_model=DealOut, tags=["deals"])
def update_deal(
    deal_id: DealId,
    body: DealUpdate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    if body.owner is not None:
        require_may_own(caller.user, caller.visibility, body.owner)
    ctx = change_context(engine, now, caller.guard)
    deal = svc.update_deal(
        engine,
        deal_id,
        now=now,
        actor=caller.user.name,
        name=body.name,
        account=body.account,
        owner=body.owner,
        amount=body.amount,
        close_date=body.close_date,
        ctx=ctx,
    )
    return _json(views.deal_summary(deal))


@router.post(
    "/deals/{deal_id}/stakeholders",
    response_model=StakeholderOut,
    status_code=201,
    tags=["deals"],
)
def add_stakeholder(
    deal_id: DealId,
    body: StakeholderCreate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    ctx = change_context(engine, now, caller.guard)
    person = svc.add_stakeholder(
        engine,
        deal_id,
        now=now,
        actor=caller.user.name,
        name=body.name,
        role=body.role,
        title=body.title,
        notes=body.notes,
        ctx=ctx,
    )
    return _json(views.stakeholder_view(person), 201)


@router.patch(
    "/deals/{deal_id}/stakeholders/{number}", response_model=StakeholderOut, tags=["deals"]
)
def change_stakeholder(
    deal_id: DealId,
    number: Number,
    body: StakeholderUpdate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    """Correct a stakeholder: role, title, notes, or the spelling of their name."""
    if not body.model_fields_set:
        raise invalid(
            "nothing_to_change",
            "Send at least one of name, role, title and notes.",
            None,
        )
    ctx = change_context(engine, now, caller.guard)
    person = svc.change_stakeholder(
        engine,
        deal_id,
        number,
        now=now,
        actor=caller.user.name,
        name=body.name,
        role=body.role,
        title=body.title,
        notes=body.notes,
        ctx=ctx,
    )
    return _json(views.stakeholder_view(person))


@router.post(
    "/deals/{deal_id}/dissatisfaction",
    response_model=NoteOut,
    status_code=201,
    tags=["deals"],
)
def document_dissatisfaction(
    deal_id: DealId,
    body: DissatisfactionCreate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    """The buyer's dissatisfaction with today, in their words: leaving `change` requires it."""
    ctx = change_context(engine, now, caller.guard)
    note = svc.document_dissatisfaction(
        engine, deal_id, body.dissatisfaction, now=now, actor=caller.user.name, ctx=ctx
    )
    return _json(views.note_view(note), 201)


@router.post(
    "/deals/{deal_id}/commitments",
    response_model=CommitmentOut,
    status_code=201,
    tags=["commitments"],
)
def add_commitment(
    deal_id: DealId,
    body: CommitmentCreate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    ctx = change_context(engine, now, caller.guard)
    c = svc.add_commitment(
        engine,
        deal_id,
        now=now,
        actor=caller.user.name,
        party=body.party,
        action=body.action,
        kind=body.kind,
        person=body.person,
        due=body.due,
        status=Status(body.status),
        interaction=body.interaction,
        ctx=ctx,
    )
    return _json(views.commitment_view(c), 201)


@router.patch(
    "/deals/{deal_id}/commitments/{number}", response_model=CommitmentOut, tags=["commitments"]
)
def update_commitment(
    deal_id: DealId,
    number: Number,
    body: CommitmentUpdate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    ctx = change_context(engine, now, caller.guard)
    c = svc.update_commitment_status(
        engine,
        deal_id,
        number,
        body.status,
        now=now,
        actor=caller.user.name,
        ctx=ctx,
        person=body.person,
    )
    return _json(views.commitment_view(c))


@router.post(
    "/deals/{deal_id}/interactions",
    response_model=InteractionOut,
    status_code=201,
    tags=["deals"],
)
def add_interaction(
    deal_id: DealId,
    body: InteractionCreate,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    ctx = change_context(engine, now, caller.guard)
    logged = svc.add_interaction(
        engine,
        deal_id,
        now=now,
        actor=caller.user.name,
        kind=body.kind,
        on=body.on,
        summary=body.summary,
        client_declined=body.client_declined,
        infer=body.extract,
        author=body.author,
        ctx=ctx,
    )
    return _json(
        {
            **views.interaction_view(logged.interaction, logged.outcome),
            "inferred": [views.commitment_view(c) for c in logged.proposed],
        },
        201,
    )


@router.get("/deals/{deal_id}/gate", response_model=GateOut, tags=["gate"])
async def gate(
    deal_id: DealId,
    request: Request,
    caller: CallerDep,
    to: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
) -> Any:
    deal, process = await _read(request, caller, deal_id)
    return _json(views.verdict_view(deal.gate(process, to), process))


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise invalid(
            "invalid_if_match",
            "If-Match takes the deal's version number, as returned in `version`.",
            "If-Match",
            status=400,
        )
    return int(text)


@router.post("/deals/{deal_id}/advance", response_model=DealOut, tags=["gate"])
def advance(
    deal_id: DealId,
    body: AdvanceRequest,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
) -> Any:
    if body.override_reason is not None:
        caller.user.require_override_right()
    ctx = change_context(engine, now, caller.guard)
    deal, _ = svc.advance(
        engine,
        deal_id,
        now=now,
        actor=caller.user.name,
        to=body.to,
        override_reason=body.override_reason,
        expected_version=_if_match(if_match),
        ctx=ctx,
    )
    return _json(views.deal_summary(deal), headers={"ETag": f'"{deal.version}"'})


@router.post("/deals/{deal_id}/close", response_model=DealOut, tags=["gate"])
def close(
    deal_id: DealId,
    body: CloseRequest,
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
) -> Any:
    ctx = change_context(engine, now, caller.guard)
    if body.outcome == "won":
        if body.override_reason is not None:
            caller.user.require_override_right()
        deal, _ = svc.close_won(
            engine,
            deal_id,
            now=now,
            actor=caller.user.name,
            override_reason=body.override_reason,
            ctx=ctx,
        )
    else:
        deal, _ = svc.close_lost(
            engine, deal_id, body.reason or "", now=now, actor=caller.user.name, ctx=ctx
        )
    return _json(views.deal_summary(deal))


@router.get("/deals/{deal_id}/history", response_model=HistoryOut, tags=["deals"])
def history(deal_id: DealId, engine: EngineDep, caller: CallerDep) -> Any:
    d = _detail(engine, caller, deal_id, with_events=True)
    events = []
    for e in d.events:
        item = views.event_view(e)
        if e.type in STAGE_EVENTS:
            numbers = [int(n) for n in e.payload.get("commitments", ())]
            item["justified_by"] = [
                views.commitment_view(c) for c in d.deal.commitments if c.number in numbers
            ]
        events.append(item)
    return _json({"deal": deal_id, "events": events})
