"""Test builders: deals in a known state, with the clock passed in explicitly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dealgate.domain.commitment import Commitment, Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.process import Process
from dealgate.domain.stakeholder import Role
from dealgate.processes import default_process

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROCESS: Process = default_process()


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def a_deal(stage: str | None = None, *, with_buyer: bool = True) -> Deal:
    deal = Deal.open(
        PROCESS,
        name="Fleet tracking",
        account="Acme",
        owner="alice",
        now=T0,
        actor="alice",
        stage=stage,
    )
    if with_buyer:
        deal.add_stakeholder(name="Raj Patel", role=Role.CHAMPION, now=T0, actor="alice")
    return deal


def buyer_commits(
    deal: Deal,
    kind: str,
    *,
    when: float = 1,
    person: str | None = "Raj Patel",
    due: date | None = date(2026, 3, 20),
    status: Status = Status.OBTAINED,
) -> Commitment:
    return deal.add_commitment(
        PROCESS,
        party=Party.BUYER,
        action=f"Will do {kind}",
        kind=kind,
        person=person,
        due=due,
        status=status,
        now=at(when),
        actor="alice",
    )


def seller_promises(deal: Deal, action: str = "Send references", when: float = 1) -> Commitment:
    return deal.add_commitment(
        PROCESS, party=Party.SELLER, action=action, now=at(when), actor="alice"
    )
