"""Deal use cases. Each opens a unit of work, calls the aggregate and commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine

from dealgate import clock
from dealgate.domain.commitment import Commitment, Party, Status
from dealgate.domain.deal import Deal, Note
from dealgate.domain.errors import DealgateError, conflict, invalid
from dealgate.domain.events import Event, StageMove
from dealgate.domain.gate import GateVerdict
from dealgate.domain.interaction import Interaction, InteractionKind, Outcome
from dealgate.domain.process import Process
from dealgate.domain.review import review_deal
from dealgate.domain.stakeholder import Role, Stakeholder, likely_member
from dealgate.extract import extract
from dealgate.services.outbox import OutboxEvent, queue_deliveries
from dealgate.store.async_documents import AsyncDocuments
from dealgate.store.process_store import cached
from dealgate.store.unit_of_work import UnitOfWork

T = TypeVar("T")


@dataclass
class ChangeContext:
    """What a front end adds to a change: who may see the deal, and where events go."""

    guard: Callable[[Deal], None] | None = None  # raises (404) when the caller may not see it
    outbox: list[OutboxEvent] = field(default_factory=list)  # webhook events, as queued
    as_of: datetime | None = None  # when the change happens (the clock's now when None)
    # The events anyone listens to: the review of the deal before and after a change is
    # computed only when someone wants to hear of new flags.
    wanted: frozenset[str] = frozenset({"deal.advanced", "deal.flagged"})


@dataclass(frozen=True)
class LoggedInteraction:
    interaction: Interaction
    proposed: list[Commitment]  # read from its note, `inferred` until a person confirms
    outcome: Outcome


@dataclass(frozen=True)
class DealDetail:
    deal: Deal
    process: Process
    verdict: GateVerdict
    events: list[Event]


def open_deal(
    engine: Engine,
    *,
    now: datetime,
    actor: str,
    name: str,
    account: str,
    owner: str,
    stage: str | None = None,
    amount: Decimal | None = None,
    close_date: date | None = None,
) -> Deal:
    with UnitOfWork(engine, one_deal=True) as uow:
        process = uow.processes.active()
        deal = Deal.open(
            process,
            name=name,
            account=account,
            owner=owner,
            now=now,
            actor=actor,
            stage=stage,
            amount=amount,
            close_date=close_date,
        )
        uow.deals.add(deal)
        uow.commit()
        return deal


def list_deals(
    engine: Engine, *, stage: str | None = None, owner: str | None = None
) -> tuple[Process, list[Deal]]:
    with UnitOfWork(engine, write=False) as uow:
        process = uow.processes.active()
        if stage is not None:
            process.position(stage)  # an unknown stage is an error, not an empty list
        return process, uow.deals.find(stage=stage, owner=owner)


def deal_page(
    engine: Engine,
    *,
    owners: frozenset[str] | None,
    stage: str | None = None,
    owner: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
    ids: Iterable[int] | None = None,
    text: str | None = None,
) -> tuple[list[Deal], int | None]:
    """One page of the deals a user may see, and the id to continue after (or None);
    `text`: only those whose name or account contains it."""
    with UnitOfWork(engine, write=False) as uow:
        if stage is not None:
            uow.processes.active().position(stage)
        deals = uow.deals.find(
            stage, owner, owners=owners, after_id=after_id, limit=limit + 1, ids=ids, text=text
        )
    more = len(deals) > limit
    deals = deals[:limit]
    return deals, (deals[-1].id if more and deals else None)


def update_deal(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    name: str | None = None,
    account: str | None = None,
    owner: str | None = None,
    amount: Decimal | None = None,
    close_date: date | None = None,
    ctx: ChangeContext | None = None,
) -> Deal:
    def change(deal: Deal, _p: Process) -> Deal:
        deal.update(
            now=now,
            actor=actor,
            name=name,
            account=account,
            owner=owner,
            amount=amount,
            close_date=close_date,
        )
        return deal

    return _change(engine, deal_id, change, ctx=ctx)


def get_deal(engine: Engine, deal_id: int, *, with_events: bool = False) -> DealDetail:
    with UnitOfWork(engine, write=False) as uow:
        deal, process = uow.load_deal(deal_id)
        events = uow.deals.events(deal_id) if with_events else []
        return DealDetail(deal, process, deal.gate(process), events)


async def read_deal(documents: AsyncDocuments, deal_id: int) -> tuple[Deal, Process]:
    """A deal and its process read on the event loop (PostgreSQL; see `AsyncDocuments`)."""
    found = await documents.read(deal_id)
    process = cached(found.process_digest)
    if process is None:
        process = await documents.process(found.process_digest)
    return found.deal, process


def load_deal(engine: Engine, deal_id: int) -> tuple[Deal, Process]:
    """A deal and its process, for callers that judge it themselves."""
    with UnitOfWork(engine, write=False) as uow:
        return uow.load_deal(deal_id)


def active_process(engine: Engine) -> Process:
    with UnitOfWork(engine, write=False) as uow:
        return uow.processes.active()


def _change(
    engine: Engine,
    deal_id: int,
    change: Callable[[Deal, Process], T],
    expected_version: int | None = None,
    ctx: ChangeContext | None = None,
) -> T:
    """Load, change through the aggregate, save with the version check and the events
    webhooks listen to, commit."""
    # Without listeners the save is the unit of work's only write (on PostgreSQL one
    # statement, no transaction); with them the outbox's rows go in its transaction.
    announces = ctx is not None and bool(ctx.wanted)
    with UnitOfWork(engine, one_deal=not announces) as uow:
        try:
            deal, process = uow.load_deal(deal_id)
            if ctx is not None and ctx.guard is not None:
                ctx.guard(deal)
            if expected_version is not None and expected_version != deal.version:
                raise conflict(
                    f"Deal {deal_id} is at version {deal.version}, not {expected_version}; "
                    "reload it and try again."
                )
            before = _codes(deal, process, ctx)
            stage_before = deal.stage
            result = change(deal, process)
        except DealgateError:
            uow.end_read_only()  # refused before anything was written
            raise
        uow.deals.save(deal)
        if ctx is not None and announces:
            _collect_events(deal, process, ctx, before, stage_before)
            queue_deliveries(uow.connection, ctx.outbox, ctx.as_of or clock.now())
        uow.commit()
    return result


def _codes(deal: Deal, process: Process, ctx: ChangeContext | None) -> set[str]:
    if ctx is None or "deal.flagged" not in ctx.wanted:
        return set()
    return set(review_deal(deal, process, ctx.as_of or deal.created_at).codes)


def _collect_events(
    deal: Deal, process: Process, ctx: ChangeContext, before: set[str], stage_before: str
) -> None:
    if deal.stage != stage_before and "deal.advanced" in ctx.wanted:
        move = deal.history[-1]
        ctx.outbox.append(
            (
                "deal.advanced",
                {
                    "deal": deal.id,
                    "from": move.from_stage,
                    "to": move.to_stage,
                    "actor": move.actor,
                    "commitments": list(move.commitments),
                    "override_reason": move.override_reason,
                },
            )
        )
    if "deal.flagged" not in ctx.wanted:
        return
    after = review_deal(deal, process, ctx.as_of or deal.created_at)
    new = [f for f in after.flags if f.code not in before]
    if new:
        ctx.outbox.append(
            (
                "deal.flagged",
                {
                    "deal": deal.id,
                    "flags": [
                        {"code": f.code, "message": f.message, "facts": f.facts} for f in new
                    ],
                },
            )
        )


def add_stakeholder(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    name: str,
    role: Role,
    title: str | None = None,
    notes: str | None = None,
    ctx: ChangeContext | None = None,
) -> Stakeholder:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.add_stakeholder(
            name=name, role=role, title=title, notes=notes, now=now, actor=actor
        ),
        ctx=ctx,
    )


def change_stakeholder(
    engine: Engine,
    deal_id: int,
    number: int,
    *,
    now: datetime,
    actor: str,
    name: str | None = None,
    role: Role | None = None,
    title: str | None = None,
    notes: str | None = None,
    ctx: ChangeContext | None = None,
) -> Stakeholder:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.change_stakeholder(
            number, name=name, role=role, title=title, notes=notes, now=now, actor=actor
        ),
        ctx=ctx,
    )


def add_commitment(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    party: Party,
    action: str,
    kind: str | None = None,
    person: str | None = None,
    due: date | None = None,
    status: Status = Status.OBTAINED,
    interaction: int | None = None,
    ctx: ChangeContext | None = None,
) -> Commitment:
    return _change(
        engine,
        deal_id,
        lambda deal, process: deal.add_commitment(
            process,
            party=party,
            action=action,
            kind=kind,
            person=person,
            due=due,
            status=status,
            interaction=interaction,
            now=now,
            actor=actor,
        ),
        ctx=ctx,
    )


def set_commitment_status(
    engine: Engine,
    deal_id: int,
    number: int,
    status: Status,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
) -> Commitment:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.set_commitment_status(number, status, now=now, actor=actor),
        ctx=ctx,
    )


def add_interaction(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    kind: InteractionKind,
    on: date,
    summary: str,
    client_declined: bool = False,
    infer: bool = True,
    author: str = "seller",
    ctx: ChangeContext | None = None,
) -> LoggedInteraction:
    """Log an interaction; the commitments its note mentions are proposed as `inferred`."""

    def log(deal: Deal, process: Process) -> LoggedInteraction:
        interaction = deal.add_interaction(
            kind=kind, on=on, summary=summary, client_declined=client_declined, now=now, actor=actor
        )
        proposed = (
            propose_inferred(deal, process, summary, author, on, now, actor, interaction.number)
            if infer
            else []
        )
        return LoggedInteraction(interaction, proposed, deal.outcome(interaction))

    return _change(engine, deal_id, log, ctx=ctx)


def propose_inferred(
    deal: Deal,
    process: Process,
    text: str,
    author: str,
    written: date,
    now: datetime,
    actor: str,
    interaction: int | None = None,
) -> list[Commitment]:
    """Record what the text says was committed, as `inferred`, for a person to confirm."""
    proposed = []
    for found in extract(text, author, written):
        kind = found.kind if found.kind in process.kinds else None
        proposed.append(
            deal.add_commitment(
                process,
                party=found.party,
                action=found.action or text[found.span[0] : found.span[1]],
                kind=kind if found.party is Party.BUYER else None,
                person=_stakeholder_named(deal, found.person),
                due=found.due,
                status=Status.INFERRED,
                kept_on=found.due if found.kept else None,
                interaction=interaction,
                source=text[found.span[0] : found.span[1]],
                now=now,
                actor=actor,
            )
        )
    return proposed


def _stakeholder_named(deal: Deal, person: str | None) -> str | None:
    """Match "Raj" in a note to the stakeholder "Raj Patel"."""
    if person is None:
        return None
    return likely_member(person, [s.name for s in deal.stakeholders]) or person


def update_commitment_status(
    engine: Engine,
    deal_id: int,
    number: int,
    status: Status | None,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
    person: str | None = None,
) -> Commitment:
    """A change from the API: obtaining or keeping an inferred commitment confirms it, naming
    `person` (a stakeholder) as who made it when given; a person alone names who made a
    recorded one that names no one on the committee."""

    def change(deal: Deal, _p: Process) -> Commitment:
        if status is None:
            if person is None:
                raise invalid("nothing_to_change", "Send a status, a person, or both.", "status")
            return deal.name_who_committed(number, person, now=now, actor=actor)
        held = status is Status.OBTAINED or status is Status.KEPT
        if held and deal.commitment(number).status is Status.INFERRED:
            return deal.confirm_commitment(number, now=now, actor=actor, person=person)
        if person is not None:
            raise invalid(
                "person_not_changed",
                f"Commitment {number} names who made it as it is confirmed, or alone (a "
                "person without a status); send them apart.",
                "person",
            )
        return deal.set_commitment_status(number, status, now=now, actor=actor)

    return _change(engine, deal_id, change, ctx=ctx)


def confirm_commitment(
    engine: Engine,
    deal_id: int,
    number: int,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
    person: str | None = None,
) -> Commitment:
    """`person`: who on the buyer's side made it, a stakeholder, when the text named no one
    the committee holds."""
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.confirm_commitment(number, now=now, actor=actor, person=person),
        ctx=ctx,
    )


def reject_commitment(
    engine: Engine,
    deal_id: int,
    number: int,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
) -> Commitment:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.set_commitment_status(number, Status.REJECTED, now=now, actor=actor),
        ctx=ctx,
    )


def name_who_committed(
    engine: Engine,
    deal_id: int,
    number: int,
    person: str,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
) -> Commitment:
    """Name the stakeholder who made a buyer commitment recorded naming no one on the
    committee, so that the gate can take it."""
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.name_who_committed(number, person, now=now, actor=actor),
        ctx=ctx,
    )


@dataclass(frozen=True)
class Settled:
    """What settling picked commitments did: how many were confirmed (or rejected), on how
    many deals; how many were passed over (settled meanwhile, or their deal closed or out of
    the caller's sight); and how many of those confirmed name no one on the committee."""

    commitments: int
    deals: int
    passed_over: int
    unnamed: int = 0  # of those confirmed, naming no one on the committee


# Codes that pass a deal's picks over instead of stopping the rest: each deal is settled in
# its own unit of work, as if its buttons had been pressed one deal after another.
_PASSED_OVER = frozenset({"not_found", "deal_closed"})


def settle_inferred(
    engine: Engine,
    picks: dict[int, set[int]],
    *,
    confirm: bool,
    now: datetime,
    actor: str,
    context: Callable[[], ChangeContext],
    persons: dict[tuple[int, int], str] | None = None,
) -> Settled:
    """Confirm (or reject) the picked commitments, deal by deal (`picks`: deal id -> numbers);
    `context` makes each deal's change context (its guard and webhook outbox); `persons`: who
    made a commitment, chosen for a note naming no one on the committee, by (deal, number)."""
    settled = deals = passed_over = unnamed = 0
    for deal_id, numbers in sorted(picks.items()):
        chosen = {n: who for (d, n), who in (persons or {}).items() if d == deal_id}
        done = _settle_one(engine, deal_id, numbers, confirm, now, actor, context, chosen)
        if done is None:
            passed_over += len(numbers)
            continue
        settled += len(done[0])
        deals += bool(done[0])
        unnamed += done[1]
        passed_over += len(numbers) - len(done[0])
    return Settled(settled, deals, passed_over, unnamed)


def _settle_one(
    engine: Engine,
    deal_id: int,
    numbers: set[int],
    confirm: bool,
    now: datetime,
    actor: str,
    context: Callable[[], ChangeContext],
    persons: dict[int, str],
) -> tuple[list[Commitment], int] | None:
    """The commitments settled on one deal and how many of them name no one on the
    committee; None when the whole deal is passed over."""

    def settle(deal: Deal, _p: Process) -> tuple[list[Commitment], int]:
        done = deal.settle_inferred(numbers, confirm=confirm, now=now, actor=actor, persons=persons)
        # Confirmed naming no one on the committee: the gate takes them once someone is named.
        unnamed = set(deal.unnamed_held()) & {c.number for c in done}
        return done, len(unnamed) if confirm else 0

    for attempt in range(3):
        try:
            return _change(engine, deal_id, settle, ctx=context())
        except DealgateError as e:
            if set(e.codes) & _PASSED_OVER:
                return None
            if e.codes != ["conflict"] or attempt == 2:
                raise
            # Someone saved the deal between our read and our write: read it again.
    return None


def document_dissatisfaction(
    engine: Engine,
    deal_id: int,
    text: str,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
) -> Note:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.document_dissatisfaction(text, now=now, actor=actor),
        ctx=ctx,
    )


def advance(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    to: str | None = None,
    override_reason: str | None = None,
    expected_version: int | None = None,
    ctx: ChangeContext | None = None,
) -> tuple[Deal, StageMove]:
    def move(deal: Deal, process: Process) -> tuple[Deal, StageMove]:
        return deal, deal.advance(
            process, now=now, actor=actor, to=to, override_reason=override_reason
        )

    return _change(engine, deal_id, move, expected_version, ctx)


def close_won(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    override_reason: str | None = None,
    ctx: ChangeContext | None = None,
) -> tuple[Deal, StageMove]:
    return advance(
        engine, deal_id, now=now, actor=actor, to="won", override_reason=override_reason, ctx=ctx
    )


def close_lost(
    engine: Engine,
    deal_id: int,
    reason: str,
    *,
    now: datetime,
    actor: str,
    ctx: ChangeContext | None = None,
) -> tuple[Deal, StageMove]:
    def close(deal: Deal, _p: Process) -> tuple[Deal, StageMove]:
        return deal, deal.close_lost(reason, now=now, actor=actor)

    return _change(engine, deal_id, close, ctx=ctx)
