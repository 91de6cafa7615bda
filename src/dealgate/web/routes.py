"""The pages. Forms post to these routes and work without JavaScript; htmx (hx-boost) only
makes navigation and forms feel instant. Errors use the API's codes, shown next to the form."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from dealgate.api.deps import DealId, Number, get_engine, get_now
from dealgate.cli_support import parse_amount, parse_author, parse_date
from dealgate.domain.access import User, UserRole, Visibility, require_may_own
from dealgate.domain.coaching import coach_deal, metric_values
from dealgate.domain.commitment import Party, Status, parse_status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError, ErrorDetail, invalid
from dealgate.domain.interaction import parse_interaction_kind
from dealgate.domain.ladder import Rung
from dealgate.domain.ordering import by_name
from dealgate.domain.review import FLAG_CODES, notes_back_claim, read_from_notes, review_deal
from dealgate.domain.stakeholder import Role, parse_role
from dealgate.services import coaching as coaching_svc
from dealgate.services import deals as svc
from dealgate.services import views
from dealgate.services.users import add_first_admin, has_users
from dealgate.services.webhooks import change_context
from dealgate.store import board as board_model
from dealgate.store.review_sql import review_pipeline
from dealgate.store.unit_of_work import UnitOfWork
from dealgate.web import sessions
from dealgate.web.remedies import remedies
from dealgate.web.stage_total import StageTotal

templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
templates.env.globals["remedies"] = remedies
# An amount as the API writes it ("217000.00") as people read it ("217,000").
templates.env.filters["money"] = lambda text: (
    views.money_display(Decimal(text)) if text is not None else ""
)


async def storable_input(request: Request) -> None:
    """Refuse a NUL character anywhere in what a page is sent: no person types one, and no
    database keeps one (PostgreSQL refuses it outright, after the page had asked it)."""
    sent = [request.scope["path"], *request.query_params.values()]
    if request.method == "POST":
        sent += [v for v in (await request.form()).values() if isinstance(v, str)]
    if any("\x00" in value for value in sent):
        raise invalid("invalid_text", "The page was sent a NUL character; remove it.")


router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

EngineDep = Annotated[Engine, Depends(get_engine)]
NowDep = Annotated[datetime, Depends(get_now)]


class Page:
    """The logged-in user of a page, what they see, and their CSRF token."""

    def __init__(self, user: User, visibility: Visibility, csrf: str) -> None:
        self.user, self.visibility, self.csrf = user, visibility, csrf

    def guard(self, deal: Deal) -> None:
        if not self.visibility.sees(deal.owner):
            raise invalid("not_found", f"No deal {deal.id}.", "deal", status=404)

    def check(self, token: str) -> None:
        if not sessions.same(token, self.csrf):
            raise invalid(
                "csrf_failed",
                "This form is stale; reload the page and submit it again.",
                "csrf",
                status=403,
            )


def page(request: Request, engine: EngineDep, now: NowDep) -> Page:
    found = sessions.current(engine, request.cookies.get(sessions.COOKIE), now)
    if found is None:
        raise HTTPException(303, headers={"Location": "/login"})
    return Page(*found)


PageDep = Annotated[Page, Depends(page)]
Csrf = Annotated[str, Form()]


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- login ----------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, engine: EngineDep) -> HTMLResponse:
    return login_page(request, engine)


def login_page(
    request: Request,
    engine: Engine,
    error: str | None = None,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The login form; on a new installation with no user yet, the first admin's form."""
    token = secrets.token_hex(16)
    context = {
        "login_csrf": token,
        "error": error,
        "errors": errors,
        "user": None,
        "first_run": not has_users(engine),
    }
    response = render(request, "login.html", context, status)
    response.set_cookie(sessions.LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax")
    return response


@router.post("/login")
def login(
    request: Request,
    engine: EngineDep,
    now: NowDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Csrf,
) -> Response:
    if not sessions.same(csrf, request.cookies.get(sessions.LOGIN_CSRF_COOKIE)):
        return login_page(request, engine, "This form is stale; log in again.")
    name, address = name.strip(), request.client.host if request.client else ""
    try:
        sessions.throttle(request).check(name, address, now)
    except DealgateError as e:
        return login_page(request, engine, errors=e.details, status=e.status)
    user = sessions.check_password(engine, name, password)
    if user is None:
        sessions.throttle(request).failed(name, address, now)
        return login_page(request, engine, "Wrong name or password.", status=401)
    sessions.throttle(request).succeeded(name, address)
    return sessions.logged_in(engine, user, now, "/")


@router.post("/setup")
def first_admin(
    request: Request,
    engine: EngineDep,
    now: NowDep,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    repeated: Annotated[str, Form(max_length=200)],
    csrf: Csrf,
) -> Response:
    """A new installation's first user, an admin, made from the login page."""
    if not sessions.same(csrf, request.cookies.get(sessions.LOGIN_CSRF_COOKIE)):
        return login_page(request, engine, "This form is stale; try again.")
    try:
        sessions.require_typed_twice(password, repeated)
        user = add_first_admin(engine, name, password, now)
    except DealgateError as e:
        return login_page(request, engine, errors=e.details, status=e.status)
    return sessions.logged_in(engine, user, now, "/import")  # an admin's first step


@router.post("/logout")
def logout(request: Request, engine: EngineDep, p: PageDep, csrf: Csrf) -> Response:
    p.check(csrf)
    sessions.close_session(engine, request.cookies.get(sessions.COOKIE, ""))
    response = redirect("/login")
    response.delete_cookie(sessions.COOKIE)
    return response


# --- the board ------------------------------------------------------------------------------


CARDS_PER_COLUMN = 60  # more than a screen can hold; filters narrow a bigger column


def _board(
    request: Request,
    engine: Engine,
    p: Page,
    now: datetime,
    owner: str | None,
    flag: str | None,
    refused: tuple[int, list[Any]] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Cards and column totals from set-based reads: no aggregate is loaded, and without a
    flag filter only the cards shown are reviewed, so the board stays quick however many
    deals are open (a flag filter reviews every deal in view to find its cards)."""
    scope = p.visibility.owners, owner or None
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        process = uow.processes.active()
        keys = [s.key for s in process.stages]
        totals = {key: StageTotal() for key in keys}
        if flag:
            rows = board_model.open_deals(uow.connection, *scope)
        else:
            also = refused[0] if refused else None
            rows = board_model.first_cards(uow.connection, *scope, keys, CARDS_PER_COLUMN, also)
            for group in board_model.stage_groups(uow.connection, *scope):
                rung = Rung.from_level(group.highest_rung) if group.highest_rung else None
                backed = process.backs(group.stage, rung)
                totals[group.stage].add(group.amount, backed, group.deals)
        reviews = review_pipeline(
            uow.connection,
            process,
            now,
            owner=owner or None,
            owners=p.visibility.owners,
            deal_ids=None if flag else [row.id for row in rows],
        )
        # A manager may filter by any of the team, deals or not; a rep sees their own alone.
        members = uow.users.team_members(p.user.team) if p.user.role is not UserRole.REP else set()
        seen = board_model.owner_names(uow.connection, p.visibility.owners)
    codes = {r.deal_id: r.codes for r in reviews}
    evidenced = {r.deal_id for r in reviews if r.evidenced}
    columns: dict[str, list[dict[str, Any]]] = {key: [] for key in keys}
    for row in rows:
        flags = codes.get(row.id, [])
        if flag:
            if flag not in flags:
                continue
            totals[row.stage].add(row.amount, row.id in evidenced)
        refusal = refused[1] if refused and refused[0] == row.id else None
        if len(columns[row.stage]) >= CARDS_PER_COLUMN and refusal is None:
            continue
        last = row.last_buyer_commitment
        columns[row.stage].append(
            {
                "id": row.id,
                "name": row.name,
                "account": row.account,
                "owner": row.owner,
                "stage": row.stage,
                "amount": views.money_display(row.amount),
                "days": max(0, (now - last).days) if last else None,
                "flags": flags,
                "refusal": refusal,
                "next_stage": process.next_stage(row.stage),
            }
        )
    hidden = {key: totals[key].deals - len(columns[key]) for key in keys}
    owners = by_name(set(seen) | {p.user.name} | set(members))
    return render(
        request,
        "board.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "stages": process.stages,
            "columns": columns,
            "hidden": hidden,
            "totals": totals,
            "owners": owners,
            "owner": owner,
            "flag": flag,
            "flag_codes": FLAG_CODES,
            "notice": notice,
        },
        status,
    )


@router.get("/")
def board(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    owner: Annotated[str | None, Query(max_length=100)] = None,
    flag: Annotated[str | None, Query(max_length=40)] = None,
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    return _board(request, engine, p, now, owner, flag, notice=notice)


@router.post("/deals/{deal_id}/advance")
def advance(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    back: Annotated[str, Form()] = "deal",
    to: Annotated[str, Form(max_length=40)] = "",
    override_reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Move a deal to the next stage, or to `to` (a card dropped on a later column, a stage
    chosen on the deal page), on the buyer's commitment or a manager's written override."""
    p.check(csrf)
    try:
        if override_reason.strip():
            p.user.require_override_right()
        ctx = change_context(engine, now, p.guard)
        deal, move = svc.advance(
            engine,
            deal_id,
            now=now,
            actor=p.user.name,
            to=to or None,
            override_reason=override_reason.strip() or None,
            ctx=ctx,
        )
    except DealgateError as e:
        if back == "board":
            return _board(
                request, engine, p, now, None, None, refused=(deal_id, e.details), status=e.status
            )
        return _deal_page(request, engine, p, now, deal_id, e.details, status=e.status)
    verb = "closed as won" if move.to_stage == "won" else f"moved to {move.to_stage}"
    message = quote(f"{deal.name} {verb}.")
    return redirect(
        f"/?notice={message}" if back == "board" else f"/deals/{deal_id}?notice={message}"
    )


@router.post("/deals/{deal_id}/close")
def close_lost(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Close a deal as lost; the reason is required (won is the gate's last move)."""
    p.check(csrf)

    def change(ctx: svc.ChangeContext) -> Any:
        return svc.close_lost(engine, deal_id, reason, now=now, actor=p.user.name, ctx=ctx)

    return _after(request, engine, p, now, deal_id, change, "Closed as lost.")


@router.post("/deals/{deal_id}/edit")
def edit_deal(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=200)] = "",
    account: Annotated[str, Form(max_length=200)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
    amount: Annotated[str, Form(max_length=40)] = "",
    close_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Change what describes a deal; a field left empty keeps its value. The stage is not
    here: only the gate moves it."""
    p.check(csrf)

    def guard(deal: Deal) -> None:
        p.guard(deal)  # an unseen deal is not found, before anything about its owner
        if owner and owner != deal.owner:
            require_may_own(p.user, p.visibility, owner)

    def change(ctx: svc.ChangeContext) -> Any:
        return svc.update_deal(
            engine,
            deal_id,
            now=now,
            actor=p.user.name,
            name=name or None,
            account=account or None,
            owner=owner or None,
            amount=parse_amount(amount or None),
            close_date=_date(close_date, "close_date"),
            ctx=ctx,
        )

    return _after(request, engine, p, now, deal_id, change, "Details saved.", guard=guard)


# --- deals ----------------------------------------------------------------------------------


@router.get("/deals/new")
def new_deal(request: Request, engine: EngineDep, p: PageDep) -> HTMLResponse:
    return render(request, "new_deal.html", _new_context(engine, p, {}))


def _owner_choices(engine: Engine, p: Page) -> list[str]:
    """Whom the user may give a deal to: themselves, and a manager's team."""
    if p.user.role is UserRole.REP:
        return [p.user.name]
    with UnitOfWork(engine, write=False) as uow:
        return by_name(uow.users.team_members(p.user.team) | {p.user.name})


def _new_context(engine: Engine, p: Page, form: dict[str, Any]) -> dict[str, Any]:
    return {"user": p.user, "csrf": p.csrf, "form": form, "owners": _owner_choices(engine, p)}


@router.post("/deals")
def create_deal(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=200)],
    account: Annotated[str, Form(max_length=200)],
    amount: Annotated[str, Form(max_length=40)] = "",
    close_date: Annotated[str, Form(max_length=10)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    p.check(csrf)
    form = {"name": name, "account": account, "amount": amount, "close_date": close_date}
    try:
        chosen = owner or p.user.name
        require_may_own(p.user, p.visibility, chosen)
        deal = svc.open_deal(
            engine,
            now=now,
            actor=p.user.name,
            name=name,
            account=account,
            owner=chosen,
            amount=parse_amount(amount or None),
            close_date=_date(close_date, "close_date"),
        )
    except DealgateError as e:
        return render(
            request, "new_deal.html", {**_new_context(engine, p, form), "errors": e.details}, 422
        )
    return redirect(f"/deals/{deal.id}?notice={quote('Deal created.')}")


def _date(text: str, field: str) -> date | None:
    return parse_date(text or None, field)  # a form sends "" for an empty date


def _deal_page(
    request: Request,
    engine: Engine,
    p: Page,
    now: datetime,
    deal_id: DealId,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
    notice: str | None = None,
    lose: bool = False,
) -> HTMLResponse:
    try:
        detail = svc.get_deal(engine, deal_id)
        p.guard(detail.deal)
    except DealgateError as e:
        return render(
            request, "_missing.html", {"user": p.user, "csrf": p.csrf, "errors": e.details}, 404
        )
    deal, process = detail.deal, detail.process
    review = review_deal(deal, process, now)
    overdue = set(next((f.facts["commitments"] for f in review.flags if f.code == "overdue"), []))
    rungs = []
    for rung in reversed(list(Rung)):  # drawn as a climb: the top rung first
        on_rung = [c for c in deal.commitments if c.is_buyer and process.rung_of(c.kind) is rung]
        rungs.append(
            {
                "level": rung.level,
                "name": rung.value,
                "commitments": on_rung,
                "held": any(c.is_held for c in on_rung),
            }
        )
    history = [
        {**views.move_view(m, deal, process), "at": m.at.strftime("%Y-%m-%d %H:%M")}
        for m in deal.history
    ]
    notes_stage = read_from_notes(process, review.evidenced_stage, deal.highest_rung_in_notes)
    needed = [s.key for s in process.stages if "dissatisfaction_documented" in s.requires]
    return render(
        request,
        "deal.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "deal": deal,
            "amount": views.money_display(deal.amount),
            "verdict": detail.verdict,
            "later_stages": process.later_stages(deal.stage),
            "owners": by_name({*_owner_choices(engine, p), deal.owner}),
            "flags": review.flags,
            "rungs": rungs,
            "overdue": overdue,
            "unnamed": deal.unnamed_to_confirm(),
            # The stage its notes would evidence once confirmed, when further than now.
            "notes_stage": notes_stage,
            "notes_backs": notes_stage is not None
            and not deal.is_closed
            and notes_back_claim(process, deal.stage, deal.highest_rung_in_notes),
            "unnamed_held": deal.unnamed_held(),
            "lifecycle": {c.number: [s.value for s in c.next_statuses] for c in deal.commitments},
            "dissatisfaction_needed": needed,
            # Past every stage that asks for it: folded away, still there to read and add to.
            "dissatisfaction_behind": deal.is_closed
            or all(process.position(k) < process.position(deal.stage) for k in needed),
            "seller": [c for c in deal.commitments if c.party is Party.SELLER],
            "unranked": [
                c for c in deal.commitments if c.is_buyer and process.rung_of(c.kind) is None
            ],
            "interactions": [(i, deal.outcome(i).value) for i in deal.interactions],
            "history": history,
            "coaching": coach_deal(deal, process) if not deal.is_closed else None,
            "roles": [r.value for r in Role],
            "kinds": sorted(process.kinds.values(), key=lambda k: (k.rung.level, k.key)),
            "errors": errors,
            "notice": notice,
            "today": now.date().isoformat(),
            "lose": lose,
        },
        status,
    )


@router.get("/deals/{deal_id}")
def deal_page(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    notice: Annotated[str | None, Query(max_length=300)] = None,
    lose: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    """`lose`: a card dropped on the board's lost zone; the page opens asking why."""
    return _deal_page(request, engine, p, now, deal_id, notice=notice, lose=lose)


def _after(
    request: Request,
    engine: Engine,
    p: Page,
    now: datetime,
    deal_id: DealId,
    change: Any,
    done: str | Callable[[Any], str],
    to: str | None = None,
    guard: Callable[[Deal], None] | None = None,
) -> Response:
    """Run a change of one deal; then the deal page (or `to`) with `done` as its notice, or
    the deal page with the change's errors. `guard` checks the deal as read (default: that
    the user sees it)."""
    try:
        ctx = change_context(engine, now, guard or p.guard)
        result = change(ctx)
    except DealgateError as e:
        return _deal_page(request, engine, p, now, deal_id, e.details, status=e.status)
    if not isinstance(done, str):  # said of what the change made
        done = done(result)
    target = to or f"/deals/{deal_id}"
    return redirect(f"{target}{'&' if '?' in target else '?'}notice={quote(done)}")


@router.post("/deals/{deal_id}/stakeholders")
def add_stakeholder(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    p.check(csrf)
    return _after(
        request,
        engine,
        p,
        now,
        deal_id,
        lambda ctx: svc.add_stakeholder(
            engine,
            deal_id,
            now=now,
            actor=p.user.name,
            name=name,
            role=parse_role(role),
            title=title or None,
            notes=notes or None,
            ctx=ctx,
        ),
        f"{name} added to the committee.",
    )


@router.post("/deals/{deal_id}/stakeholders/{number}")
def change_stakeholder(
    request: Request,
    deal_id: DealId,
    number: Number,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The committee row's own form sends every field back: only what differs changes."""
    p.check(csrf)
    return _after(
        request,
        engine,
        p,
        now,
        deal_id,
        lambda ctx: svc.change_stakeholder(
            engine,
            deal_id,
            number,
            now=now,
            actor=p.user.name,
            name=name,
            role=parse_role(role),
            title=title,
            notes=notes,
            ctx=ctx,
        ),
        f"{name.strip()} saved.",
    )


@router.post("/deals/{deal_id}/commitments")
def add_commitment(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    party: Annotated[str, Form(max_length=10)],
    action: Annotated[str, Form(max_length=500)],
    kind: Annotated[str, Form(max_length=100)] = "",
    who: Annotated[str, Form(max_length=200)] = "",
    due: Annotated[str, Form(max_length=10)] = "",
    status: Annotated[str, Form(max_length=20)] = "obtained",
) -> Response:
    p.check(csrf)

    def change(ctx: svc.ChangeContext) -> Any:
        chosen = Party.BUYER if party == "buyer" else Party.SELLER
        return svc.add_commitment(
            engine,
            deal_id,
            now=now,
            actor=p.user.name,
            party=chosen,
            action=action,
            kind=(kind or None) if chosen is Party.BUYER else None,
            person=who or None,
            due=_date(due, "due"),
            status=_status(status),
            ctx=ctx,
        )

    return _after(request, engine, p, now, deal_id, change, "Commitment recorded.")


def _status(text: str) -> Status:
    if text not in ("asked", "obtained", "kept"):
        raise invalid("invalid_status", "A new commitment is asked, obtained or kept.", "status")
    return Status(text)


@router.post("/deals/{deal_id}/dissatisfaction")
def document_dissatisfaction(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    dissatisfaction: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The buyer's dissatisfaction with today, in their words: leaving `change` requires it."""
    p.check(csrf)
    return _after(
        request,
        engine,
        p,
        now,
        deal_id,
        lambda ctx: svc.document_dissatisfaction(
            engine, deal_id, dissatisfaction, now=now, actor=p.user.name, ctx=ctx
        ),
        "Dissatisfaction documented.",
    )


# Before the route of any verb below, which would take "status" for an unknown one.
@router.post("/deals/{deal_id}/commitments/{number}/status")
def move_commitment(
    request: Request,
    deal_id: DealId,
    number: Number,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Move a commitment along its lifecycle: obtained, declined, kept, broken, withdrawn."""
    p.check(csrf)
    return _after(
        request,
        engine,
        p,
        now,
        deal_id,
        lambda ctx: svc.set_commitment_status(
            engine, deal_id, number, parse_status(status), now=now, actor=p.user.name, ctx=ctx
        ),
        f"Commitment {number} is now {status}.",
    )


# Before the route of any verb below, which would take "name" for an unknown one.
@router.post("/deals/{deal_id}/commitments/{number}/name")
def name_who_committed(
    request: Request,
    deal_id: DealId,
    number: Number,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    person: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Name the stakeholder who made a buyer commitment that names no one on the committee."""
    p.check(csrf)
    if not person.strip():
        return _deal_page(
            request,
            engine,
            p,
            now,
            deal_id,
            [ErrorDetail("person_required", "Choose who on the committee made it.", "person")],
            status=422,
        )
    return _after(
        request,
        engine,
        p,
        now,
        deal_id,
        lambda ctx: svc.name_who_committed(
            engine, deal_id, number, person, now=now, actor=p.user.name, ctx=ctx
        ),
        f"Commitment {number} is now {person.strip()}'s.",
    )


@router.post("/deals/{deal_id}/commitments/{number}/{verb}")
def confirm_or_reject(
    request: Request,
    deal_id: DealId,
    number: Number,
    verb: str,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    back: Annotated[str, Form(max_length=300)] = "",
    person: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """`back`: the page of commitments to confirm to return to (the deal page otherwise);
    `person`: who on the buyer's side made it, chosen from the committee as it is confirmed."""
    p.check(csrf)
    if verb not in ("confirm", "reject"):
        raise invalid("not_found", f"No action '{verb}': use confirm or reject.", "verb", 404)

    def change(ctx: svc.ChangeContext) -> Any:
        if verb == "reject":
            return svc.reject_commitment(engine, deal_id, number, now=now, actor=actor, ctx=ctx)
        return svc.confirm_commitment(
            engine, deal_id, number, now=now, actor=actor, ctx=ctx, person=person or None
        )

    actor = p.user.name
    done = f"Commitment {number} {'confirmed' if verb == 'confirm' else 'rejected'}."
    if verb == "confirm" and person:
        done = f"Commitment {number} confirmed, made by {person}."
    queue = back if back.startswith("/confirm") and "//" not in back else None
    return _after(request, engine, p, now, deal_id, change, done, to=queue)


@router.post("/deals/{deal_id}/interactions")
def add_interaction(
    request: Request,
    deal_id: DealId,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    kind: Annotated[str, Form(max_length=20)],
    on: Annotated[str, Form(max_length=10)],
    summary: Annotated[str, Form(max_length=2000)],
    author: Annotated[str, Form(max_length=10)] = "seller",
    client_declined: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """`author`: who wrote the summary (a buyer's email says "we" for the buyer);
    `client_declined`: ticked when the buyer said no to going on."""
    p.check(csrf)

    def change(ctx: svc.ChangeContext) -> svc.LoggedInteraction:
        when = _date(on, "on")
        if when is None:
            raise invalid("required", "Give the date of the interaction.", "on")
        return svc.add_interaction(
            engine,
            deal_id,
            now=now,
            actor=p.user.name,
            kind=parse_interaction_kind(kind),
            on=when,
            summary=summary,
            author=parse_author(author),
            client_declined=bool(client_declined),
            ctx=ctx,
        )

    def logged(done: svc.LoggedInteraction) -> str:
        read = len(done.proposed)
        if not read:
            return f"Interaction logged ({done.outcome.value}); its note names no commitment."
        return (
            f"Interaction logged ({done.outcome.value}); {read} commitment"
            f"{'s' if read > 1 else ''} read from it wait below for you to confirm."
        )

    return _after(request, engine, p, now, deal_id, change, logged)


# --- review, coaching, process --------------------------------------------------------------


def _percent_or_ratio(values: dict[str, float]) -> dict[str, str]:
    return {
        k: f"{v:.0%}" if k in ("yield", "seller_only_share", "continuation_ratio") else f"{v:.2f}"
        for k, v in values.items()
    }


@router.get("/coach")
def team_coaching_page(request: Request, engine: EngineDep, p: PageDep) -> Response:
    """Which reps ask for too little: every rep in view against the team, shortfalls first."""
    if p.user.role is UserRole.REP:
        return redirect(f"/coach/{quote(p.user.name)}")
    coached = coaching_svc.coach_team(engine, None, p.visibility.owners)
    return render(
        request,
        "coach_team.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "reps": [(c, _percent_or_ratio(metric_values(c.metrics))) for c in coached],
            "median": _percent_or_ratio(coached[0].team_median) if coached else {},
        },
    )


@router.get("/coach/{rep}")
def coach_page(request: Request, rep: str, engine: EngineDep, p: PageDep) -> HTMLResponse:
    if not p.visibility.sees(rep):
        return render(
            request,
            "_missing.html",
            {
                "user": p.user,
                "csrf": p.csrf,
                "errors": [
                    ErrorDetail(
                        "not_found", "You can see your own coaching and your team's.", "rep"
                    )
                ],
            },
            404,
        )
    try:
        coaching = coaching_svc.coach_for_rep(engine, rep, None)
    except DealgateError as e:
        return render(
            request, "_missing.html", {"user": p.user, "csrf": p.csrf, "errors": e.details}, 404
        )
    with UnitOfWork(engine, write=False) as uow:
        reps = (
            by_name(uow.users.team_members(p.user.team) | {p.user.name})
            if p.user.role is not UserRole.REP
            else [p.user.name]
        )
    metrics = _percent_or_ratio(metric_values(coaching.metrics))
    median = _percent_or_ratio(coaching.team_median)
    asks = [
        (deal, views.money_display(deal.amount), advice)
        for deal, advice in coaching_svc.next_asks(engine, rep, NEXT_ASKS)
    ]
    return render(
        request,
        "coach.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "coaching": coaching,
            "metrics": metrics,
            "median": median,
            "reps": reps,
            "asks": asks,
            "most_asks": NEXT_ASKS,
        },
    )


NEXT_ASKS = 25  # deals on a rep's coaching page: the largest, where an ask matters most
