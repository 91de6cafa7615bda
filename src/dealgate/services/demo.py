"""A seeded, realistic demo pipeline: honest advances, stalls, claimed stages without evidence."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.process import Process
from dealgate.domain.review import review_deal
from dealgate.domain.stakeholder import Role
from dealgate.services.deals import propose_inferred
from dealgate.store.unit_of_work import UnitOfWork

REPS = ("alice", "bruno", "chen", "dana")
ACCOUNTS = (
    "Acme Logistics",
    "Borealis Health",
    "Cobalt Insurance",
    "Delta Foods",
    "Evergreen Schools",
    "Fjord Shipping",
    "Granite Bank",
    "Helios Energy",
    "Iris Retail",
    "Juniper Labs",
    "Kestrel Air",
    "Lumen Media",
    "Meridian Hotels",
    "Nimbus Cloud",
    "Orchid Pharma",
    "Pioneer Mining",
    "Quartz Telecom",
    "Riverside Council",
    "Summit Outdoor",
    "Tidal Water",
)
FIRST = (
    "Maria",
    "Raj",
    "Ken",
    "Priya",
    "Dana",
    "Luis",
    "Sofia",
    "Tom",
    "Aisha",
    "Jonas",
    "Mei",
    "Omar",
    "Elena",
    "Victor",
    "Grace",
    "Hugo",
)
LAST = ("Lopez", "Patel", "Okafor", "Schmidt", "Nguyen", "Rossi", "Kowalski", "Haddad")
TITLES = {
    Role.ECONOMIC_BUYER: "CFO",
    Role.CHAMPION: "Operations Manager",
    Role.DECISION_MAKER: "VP Operations",
    Role.TECHNICAL: "IT Director",
    Role.USER: "Team Lead",
    Role.PROCUREMENT: "Procurement Lead",
}
PRODUCTS = (
    "Fleet tracking",
    "Claims automation",
    "Analytics suite",
    "Field service",
    "Billing platform",
    "Scheduling",
)
SELLER_PROMISES = (
    "Send references",
    "Send the proposal",
    "Share a case study",
    "Follow up next week",
    "Send pricing",
)


def fill_demo(engine: Engine, now: datetime, seed: int = 7, deals: int = 64) -> int:
    """Create the demo pipeline in an empty database; returns how many deals were created."""
    rng = random.Random(seed)
    with UnitOfWork(engine) as uow:
        if uow.deals.count():
            return 0
        process = uow.processes.active()
        made = [_demo_deal(process, rng, now, n) for n in range(deals)]
        # A manager pushed one stalled deal through a gate: it stays flagged.
        pushed = next(
            d
            for d in made
            if not d.is_closed and not d.can_advance(process) and d.stage != process.stages[-1].key
        )
        pushed.advance(
            process,
            now=now - timedelta(days=2),
            actor="maria",
            override_reason="Strategic account; the CEO asked to show it in forecast",
        )
        for deal in made:
            uow.deals.add(deal)
        for deal in _notes_to_confirm(made, process, now):
            uow.deals.save(deal)
        uow.commit()
    return deals


# Next steps as a CRM holds them: what the page "To confirm" shows until a person says.
NEXT_STEPS = (
    "{first} agreed to a discovery session next week.",
    "{first} will share last quarter's churn data by Friday; I'll send the references.",
    "Legal will send redlines by the 30th.",
    "{first} will bring the steering committee to review our proposal on the 15th.",
    "Finance confirmed a budget of $80k.",
    "{first} will set up a meeting with the CFO next Tuesday.",
)


def _notes_to_confirm(made: list[Deal], process: Process, now: datetime) -> list[Deal]:
    """Read a next step into inferred commitments on the first open deals the buyer is
    committing on, as an import's text pass would. Deals flagged seller-only are left out (a
    buyer commitment read from notes would clear the flag the coaching story needs); no random
    draws: the rest of the demo stays as it was."""
    chosen = [
        d
        for d in made
        if not d.is_closed
        and d.stakeholders
        and any(c.is_buyer and c.is_held for c in d.commitments)
        and "seller_only" not in review_deal(d, process, now).codes
    ]
    for deal, step in zip(chosen, NEXT_STEPS, strict=False):
        first = deal.stakeholders[0].name.split()[0]
        written = (now - timedelta(days=2)).date()
        propose_inferred(
            deal, process, step.format(first=first), "seller", written, now, deal.owner
        )
    return chosen[: len(NEXT_STEPS)]


def _demo_deal(process: Process, rng: random.Random, now: datetime, n: int) -> Deal:
    owner = REPS[n % len(REPS)]
    account = ACCOUNTS[n % len(ACCOUNTS)]
    open_keys = [s.key for s in process.stages]
    target = rng.choice([*open_keys, *open_keys[:3], "won", "lost"])
    # dana leans on her own promises: the rep the coaching page should catch.
    weights = [3, 2, 1, 4] if owner == "dana" else [5, 2, 2, 1]
    story = rng.choices(["honest", "stalled", "claimed", "seller_only"], weights)[0]
    start = now - timedelta(days=rng.randint(30, 150))
    amount = Decimal(rng.randrange(8, 240) * 1000)
    deal = Deal.open(
        process,
        name=f"{rng.choice(PRODUCTS)} for {account}",
        account=account,
        owner=owner,
        now=start,
        actor=owner,
        stage=target if story == "claimed" and target not in ("won", "lost") else None,
        amount=amount,
        close_date=(now + timedelta(days=rng.randint(10, 120))).date(),
    )
    people = _committee(deal, rng, start, owner)
    if story == "claimed" and target not in ("won", "lost"):
        # An imported-looking deal: the stage is claimed, only seller activity behind it.
        _seller_step(deal, process, rng, start + timedelta(days=2), owner)
        return deal
    steps = open_keys.index(target) if target in open_keys else len(open_keys)
    if target == "lost":
        steps = rng.randint(0, 4)
    # Stalled deals stopped getting commitments long ago; honest ones recently.
    span_end = now - timedelta(
        days=rng.randint(25, 60) if story == "stalled" else rng.randint(1, 9)
    )
    at = start
    step_days = max(1, (span_end - start).days // max(steps, 1))
    for _ in range(steps):
        stage = process.stage(deal.stage)
        # Never past now: a demo's history has already happened.
        at = max(
            at + timedelta(minutes=10),
            min(
                at + timedelta(days=rng.randint(max(1, step_days - 3), step_days + 2), hours=2),
                now - timedelta(hours=2 * (steps + 1)),
            ),
        )
        _keep_what_was_promised(deal, at, owner)
        if "dissatisfaction_documented" in stage.requires:
            deal.document_dissatisfaction(
                "Manual re-keying costs two people a week and causes billing errors.",
                now=at,
                actor=owner,
            )
        if "buying_committee_mapped" in stage.requires and not any(
            s.role is Role.ECONOMIC_BUYER for s in deal.stakeholders
        ):
            deal.add_stakeholder(
                name=_name(rng, people), role=Role.ECONOMIC_BUYER, title="CFO", now=at, actor=owner
            )
        _buyer_step(deal, process, rng, at, owner)
        deal.advance(process, now=at + timedelta(minutes=5), actor=owner)
    if target == "lost":
        deal.close_lost(
            rng.choice(["Chose a competitor", "No budget this year", "Project cancelled"]),
            now=at + timedelta(days=3),
            actor=owner,
        )
    elif story == "stalled" and not deal.is_closed and deal.commitments:
        # The buyer went quiet: calls without commitments, and sometimes a promise broken.
        for k in range(3):
            deal.add_interaction(
                kind=InteractionKind.CALL,
                on=(at + timedelta(days=3 + 4 * k)).date(),
                summary="Checked in; they are still thinking about it.",
                now=at + timedelta(days=3 + 4 * k),
                actor=owner,
            )
        last = deal.commitments[-1]
        if last.is_buyer and last.status is Status.OBTAINED and rng.random() < 0.5:
            deal.set_commitment_status(
                last.number, Status.BROKEN, now=at + timedelta(days=12), actor=owner
            )
    elif story == "seller_only" and not deal.is_closed:
        _seller_step(
            deal, process, rng, min(now - timedelta(days=1), at + timedelta(days=4)), owner
        )
        _seller_step(deal, process, rng, min(now, at + timedelta(days=8)), owner)
    elif story == "honest" and not deal.is_closed and rng.random() < 0.4:
        # The buyer has already given the commitment that exits this stage.
        _buyer_step(
            deal, process, rng, min(now - timedelta(hours=6), at + timedelta(days=3)), owner
        )
    elif story == "honest" and not deal.is_closed and rng.random() < 0.5:
        # The next ask is already on the table.
        next_stage = process.stage(deal.stage)
        deal.add_commitment(
            process,
            party=Party.BUYER,
            action="Asked for the next step",
            kind=rng.choice(next_stage.exit),
            person=deal.stakeholders[0].name,
            due=(now + timedelta(days=7)).date(),
            status=Status.ASKED,
            now=now - timedelta(hours=3),
            actor=owner,
        )
    return deal


def _keep_what_was_promised(deal: Deal, at: datetime, owner: str) -> None:
    for c in deal.commitments:
        if c.is_buyer and c.status is Status.OBTAINED and c.due is not None and c.due <= at.date():
            deal.set_commitment_status(c.number, Status.KEPT, now=at, actor=owner)


def _committee(deal: Deal, rng: random.Random, at: datetime, owner: str) -> list[str]:
    used: list[str] = []
    roles = [Role.CHAMPION, *rng.sample([Role.TECHNICAL, Role.USER, Role.DECISION_MAKER], 2)]
    for role in roles:
        deal.add_stakeholder(
            name=_name(rng, used),
            role=role,
            title=TITLES[role],
            now=at,
            actor=owner,
            notes=rng.choice(
                [None, "Prefers short written summaries", "Wants numbers, not slides"]
            ),
        )
    return used


def _name(rng: random.Random, used: list[str]) -> str:
    while True:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in used:
            used.append(name)
            return name


def _buyer_step(deal: Deal, process: Process, rng: random.Random, at: datetime, owner: str) -> None:
    stage = process.stage(deal.stage)
    interaction = deal.add_interaction(
        kind=rng.choice(list(InteractionKind)[:3]),
        on=at.date(),
        summary=f"Worked on {stage.name.lower()} with the client.",
        now=at,
        actor=owner,
    )
    kind = rng.choice(stage.exit)
    person = rng.choice(deal.stakeholders).name
    due: date = (at + timedelta(days=rng.randint(3, 14))).date()
    deal.add_commitment(
        process,
        party=Party.BUYER,
        action=process.kinds[kind].label,
        kind=kind,
        person=person,
        due=due,
        status=Status.OBTAINED,
        interaction=interaction.number,
        now=at,
        actor=owner,
    )
    if owner == "dana":
        # Meetings that end with "I'll send you something" instead of an ask.
        _seller_step(
            deal, process, rng, at, owner, InteractionKind.MEETING, "Walked them through the demo."
        )
    if rng.random() < 0.4:
        deal.add_commitment(
            process,
            party=Party.SELLER,
            action=rng.choice(SELLER_PROMISES),
            now=at,
            actor=owner,
            interaction=interaction.number,
        )


def _seller_step(
    deal: Deal,
    process: Process,
    rng: random.Random,
    at: datetime,
    owner: str,
    kind: InteractionKind = InteractionKind.EMAIL,
    summary: str = "Sent material, waiting to hear back.",
) -> None:
    """An interaction that ends with our own promise and nothing from the buyer."""
    interaction = deal.add_interaction(
        kind=kind,
        on=at.date(),
        summary=summary,
        now=at,
        actor=owner,
    )
    deal.add_commitment(
        process,
        party=Party.SELLER,
        action=rng.choice(SELLER_PROMISES),
        now=at,
        actor=owner,
        interaction=interaction.number,
    )


DEMO_PASSWORD = "dealgate-demo"
DEMO_ADMIN = "ada"


def demo_users(engine: Engine, now: datetime) -> list[str]:
    """A manager and the four demo reps on one team, and an admin, to log in to the pages;
    only when the database has no users yet. Returns the names created."""
    from dealgate.domain.access import UserRole
    from dealgate.services.users import add_user
    from dealgate.store import tables as t

    with UnitOfWork(engine, write=False) as uow:
        if uow.connection.execute(t.users.select().limit(1)).first() is not None:
            return []
    made = []
    for name, role in (("maria", UserRole.MANAGER), *((rep, UserRole.REP) for rep in REPS)):
        add_user(engine, name, role, now, "east", DEMO_PASSWORD)
        made.append(name)
    # Imports are an admin's (they bring in every owner's deals): one to try the import page.
    add_user(engine, DEMO_ADMIN, UserRole.ADMIN, now, None, DEMO_PASSWORD)
    return [*made, DEMO_ADMIN]
