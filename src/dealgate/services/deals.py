"""Deal use cases. Each opens a unit of work, calls the aggregate and commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine

from dealgate.domain.commitment import Commitment, Party, Status
from dealgate.domain.deal import Deal, Note
from dealgate.domain.errors import conflict
from dealgate.domain.events import Event, StageMove
from dealgate.domain.gate import GateVerdict
from dealgate.domain.interaction import Interaction, InteractionKind
from dealgate.domain.process import Process
from dealgate.domain.stakeholder import Role, Stakeholder
from dealgate.extract import extract
from dealgate.store.unit_of_work import UnitOfWork

T = TypeVar("T")


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
    with UnitOfWork(engine) as uow:
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


def get_deal(engine: Engine, deal_id: int) -> DealDetail:
    with UnitOfWork(engine, write=False) as uow:
        process = uow.processes.active()
        deal = uow.deals.get(deal_id)
        return DealDetail(deal, process, deal.gate(process), uow.deals.events(deal_id))


def active_process(engine: Engine) -> Process:
    with UnitOfWork(engine, write=False) as uow:
        return uow.processes.active()


def _change(
    engine: Engine,
    deal_id: int,
    change: Callable[[Deal, Process], T],
    expected_version: int | None = None,
) -> T:
    """Load, change through the aggregate, save with the version check, commit."""
    with UnitOfWork(engine) as uow:
        process = uow.processes.active()
        deal = uow.deals.get(deal_id)
        if expected_version is not None and expected_version != deal.version:
            raise conflict(
                f"Deal {deal_id} is at version {deal.version}, not {expected_version}; "
                "reload it and try again."
            )
        result = change(deal, process)
        uow.deals.save(deal)
        uow.commit()
        return result


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
) -> Stakeholder:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.add_stakeholder(
            name=name, role=role, title=title, notes=notes, now=now, actor=actor
        ),
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
    )


def set_commitment_status(
    engine: Engine, deal_id: int, number: int, status: Status, *, now: datetime, actor: str
) -> Commitment:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.set_commitment_status(number, status, now=now, actor=actor),
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
) -> tuple[Interaction, list[Commitment]]:
    """Log an interaction; the commitments its note mentions are proposed as `inferred`."""

    def log(deal: Deal, process: Process) -> tuple[Interaction, list[Commitment]]:
        interaction = deal.add_interaction(
            kind=kind, on=on, summary=summary, client_declined=client_declined, now=now, actor=actor
        )
        proposed = (
            propose_inferred(deal, process, summary, author, on, now, actor, interaction.number)
            if infer
            else []
        )
        return interaction, proposed

    return _change(engine, deal_id, log)


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
    wanted = person.casefold()
    for s in deal.stakeholders:
        name = s.name.casefold()
        if name == wanted or name.split()[0] == wanted:
            return s.name
    return person


def confirm_commitment(
    engine: Engine, deal_id: int, number: int, *, now: datetime, actor: str
) -> Commitment:
    return _change(
        engine, deal_id, lambda deal, _p: deal.confirm_commitment(number, now=now, actor=actor)
    )


def reject_commitment(
    engine: Engine, deal_id: int, number: int, *, now: datetime, actor: str
) -> Commitment:
    return _change(
        engine,
        deal_id,
        lambda deal, _p: deal.set_commitment_status(number, Status.REJECTED, now=now, actor=actor),
    )


def document_dissatisfaction(
    engine: Engine, deal_id: int, text: str, *, now: datetime, actor: str
) -> Note:
    return _change(
        engine, deal_id, lambda deal, _p: deal.document_dissatisfaction(text, now=now, actor=actor)
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
) -> tuple[Deal, StageMove]:
    def move(deal: Deal, process: Process) -> tuple[Deal, StageMove]:
        return deal, deal.advance(
            process, now=now, actor=actor, to=to, override_reason=override_reason
        )

    return _change(engine, deal_id, move, expected_version)


def close_won(
    engine: Engine,
    deal_id: int,
    *,
    now: datetime,
    actor: str,
    override_reason: str | None = None,
) -> tuple[Deal, StageMove]:
    return advance(engine, deal_id, now=now, actor=actor, to="won", override_reason=override_reason)


def close_lost(
    engine: Engine, deal_id: int, reason: str, *, now: datetime, actor: str
) -> tuple[Deal, StageMove]:
    def close(deal: Deal, _p: Process) -> tuple[Deal, StageMove]:
        return deal, deal.close_lost(reason, now=now, actor=actor)

    return _change(engine, deal_id, close)
