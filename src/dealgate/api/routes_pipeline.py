"""Pipeline-wide endpoints: the process and its audit, the review, coaching, extraction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from dealgate.api.deps import CallerDep, DealId, EngineDep, FeedReaderDep, NowDep
from dealgate.api.routes_deals import ERRORS, _detail
from dealgate.api.schemas import (
    AuditOut,
    DealCoachOut,
    ExtractOut,
    ExtractRequest,
    ProcessLoadedOut,
    ProcessLoadOut,
    ProcessLoadRequest,
    ProcessOut,
    RepCoachOut,
    ReviewChangesOut,
    ReviewOut,
)
from dealgate.clock import end_of_day
from dealgate.domain.audit import audit_process
from dealgate.domain.coaching import coach_deal
from dealgate.domain.errors import not_found
from dealgate.extract import extract
from dealgate.services import coaching as coaching_svc
from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.services.exporting import commitments_calendar
from dealgate.services.review import review as run_review
from dealgate.services.review import review_since
from dealgate.services.setup import load_process_text, process_loads

router = APIRouter(prefix="/api/v1", responses=ERRORS)
SafeText = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")]


@router.get("/process", response_model=ProcessOut, tags=["process"])
def process(engine: EngineDep, caller: CallerDep) -> Any:
    return views.process_view(svc.active_process(engine))


@router.put("/process", response_model=ProcessLoadedOut, tags=["process"])
def load_process(
    body: ProcessLoadRequest, engine: EngineDep, caller: CallerDep, now: NowDep
) -> Any:
    """Make a process file the active process (admins). The open deals of a stage it leaves
    out go where `moves` says; without a move for each, nothing changes (`stage_in_use`)."""
    caller.user.require_process_right()
    result = load_process_text(engine, now, body.source, body.moves, caller.user.name)
    return {
        **views.process_view(result.process),
        "loaded": result.loaded,
        "warnings": result.warnings,
        "moves": result.change.moves,
        "deals_moved": result.change.moving,
    }


@router.get("/process/history", response_model=list[ProcessLoadOut], tags=["process"])
def process_history(engine: EngineDep, caller: CallerDep) -> Any:
    """Every load of a process, newest first: when, by whom, where the stages it left out went."""
    return [views.load_view(load) for load in process_loads(engine)]


@router.get("/process/audit", response_model=AuditOut, tags=["process"])
def audit(engine: EngineDep, caller: CallerDep) -> Any:
    p = svc.active_process(engine)
    return {"process": p.name, "findings": [views.finding_view(f) for f in audit_process(p)]}


@router.get("/review", response_model=ReviewOut, tags=["review"])
def review(
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
    as_of: Annotated[
        date | None,
        Query(
            description="Review as of the end of this day: the deals as they were then, "
            "what was recorded since left out."
        ),
    ] = None,
    owner: SafeText = None,
    flag: SafeText = None,
) -> Any:
    when = now if as_of is None else end_of_day(as_of)
    result = run_review(
        engine, when, owner=owner, flag=flag, owners=caller.visibility.owners, now=now
    )
    return views.review_view(result)


@router.get("/review/changes", response_model=ReviewChangesOut, tags=["review"])
def review_changes(
    engine: EngineDep,
    caller: CallerDep,
    now: NowDep,
    since: Annotated[
        date, Query(description="Compare the review at the end of this day with now.")
    ],
    owner: SafeText = None,
) -> Any:
    """The deals whose flags or stage changed since a day, as they were then and are now."""
    result = review_since(
        engine, end_of_day(since), now, owner=owner, owners=caller.visibility.owners
    )
    return views.review_changes_view(result)


@router.get("/deals/{deal_id}/coach", response_model=DealCoachOut, tags=["coaching"])
def coach_for_deal(deal_id: DealId, engine: EngineDep, caller: CallerDep) -> Any:
    d = _detail(engine, caller, deal_id)
    return views.deal_coaching_view(coach_deal(d.deal, d.process))


@router.get("/reps/{name}/coach", response_model=RepCoachOut, tags=["coaching"])
def coach_for_rep(
    name: Annotated[str, Path(max_length=100, pattern=r"^[^\x00-\x1f/]+$")],
    engine: EngineDep,
    caller: CallerDep,
    since: Annotated[date | None, Query()] = None,
) -> Any:
    if not caller.visibility.sees(name):
        raise not_found("rep", name, "You can coach yourself and the reps of your team.")
    start = None if since is None else datetime(since.year, since.month, since.day, tzinfo=UTC)
    return views.rep_coaching_view(coaching_svc.coach_for_rep(engine, name, start))


@router.get(
    "/reps/{name}/commitments.ics",
    response_class=Response,
    tags=["coaching"],
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar feed."}},
)
def commitments_feed(
    request: Request,
    name: Annotated[str, Path(max_length=100, pattern=r"^[^\x00-\x1f/]+$")],
    engine: EngineDep,
    caller: FeedReaderDep,
    now: NowDep,
    # Read by the reader dependency; declared here so the documentation shows it.
    key: Annotated[
        str | None,
        Query(
            max_length=100,
            description="A calendar key (Account page, `POST /api/v1/calendar-key`): calendar "
            "apps send no headers. It reads feeds and nothing else.",
        ),
    ] = None,
) -> Response:
    """The rep's buyer commitments by due date, for a calendar app to subscribe to."""
    if not caller.visibility.sees(name):
        raise not_found("rep", name, "You can subscribe to your own and your team's calendars.")
    return Response(
        commitments_calendar(engine, name, now, str(request.base_url)),
        media_type="text/calendar; charset=utf-8",
    )


@router.post("/extract", response_model=ExtractOut, tags=["extraction"])
def extract_text(body: ExtractRequest, caller: CallerDep, now: NowDep) -> Any:
    found = extract(body.text, body.author, body.date or now.date())
    return {"text": body.text, "commitments": [c.to_dict() for c in found]}
