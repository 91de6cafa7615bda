"""The set-based review in the database gives the same flags as the pure rules, deal by deal,
over random deal histories."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from dealgate.domain.coaching import rep_metrics
from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.review import DealSignals, review_deal
from dealgate.domain.stakeholder import Role
from dealgate.processes import load_process
from dealgate.services.setup import init_database
from dealgate.store import tables as t
from dealgate.store.async_documents import AsyncDocuments
from dealgate.store.coaching_sql import team_metrics
from dealgate.store.deal_document import fill_documents, forget_documents
from dealgate.store.review_sql import Scope, inferred_only, review_pipeline
from dealgate.store.signals_sql import refresh_signals
from dealgate.store.unit_of_work import UnitOfWork
from tests.builders import T0

PROCESS_FILE = Path(__file__).parents[1] / "data" / "review_process.toml"
PROCESS = load_process(PROCESS_FILE)
# Every kind of the catalogue, with the kinds on this process's menus drawn more often.
KINDS = sorted(PROCESS.kinds) + [k for s in PROCESS.stages for k in s.exit] * 3
PEOPLE = ["Raj Patel", "Maria Lopez", "Ken Okafor"]

step = st.integers(min_value=0, max_value=24 * 6)  # hours between two events
commit = st.tuples(
    st.just("commit"),
    st.sampled_from([Party.BUYER, Party.BUYER, Party.SELLER]),
    st.one_of(st.none(), st.sampled_from(KINDS)),
    st.sampled_from([PEOPLE[0], PEOPLE[0], PEOPLE[1], None]),
    st.one_of(st.none(), st.integers(min_value=-10, max_value=30)),
    st.sampled_from([Status.ASKED, Status.OBTAINED, Status.KEPT, Status.INFERRED]),
    st.booleans(),
)
status = st.tuples(
    st.just("status"),
    st.integers(min_value=1, max_value=6),
    st.sampled_from(
        [Status.OBTAINED, Status.KEPT, Status.BROKEN, Status.WITHDRAWN, Status.DECLINED]
    ),
)
# Commitments and status changes are drawn more often: they make most flags.
op = st.one_of(
    st.tuples(st.just("stakeholder"), st.sampled_from(PEOPLE), st.sampled_from(list(Role))),
    st.tuples(st.just("interaction"), st.sampled_from(list(InteractionKind)), st.booleans()),
    commit,
    commit,
    commit,
    status,
    status,
    st.tuples(
        st.just("advance"),
        st.integers(min_value=1, max_value=2),
        st.sampled_from([False, False, False, True]),
    ),
    st.tuples(st.just("dissatisfaction")),
)
history = st.tuples(
    st.sampled_from([s.key for s in PROCESS.stages]),
    st.lists(st.tuples(step, op), min_size=8, max_size=40),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=24 * 3),
)


def build(
    start_stage: str, ops: list[tuple[int, Any]], owner: str = "alice"
) -> tuple[Deal, datetime]:
    now = T0
    deal = Deal.open(
        PROCESS,
        name="Generated",
        account="Acme",
        owner=owner,
        now=now,
        actor="alice",
        stage=start_stage,
        amount=Decimal("1000"),
    )
    deal.add_stakeholder(name=PEOPLE[0], role=Role.CHAMPION, now=now, actor="alice")
    for hours, (name, *args) in ops:
        now = now + timedelta(hours=hours)
        # An operation the domain refuses is simply not part of this history.
        with contextlib.suppress(DealgateError):
            apply(deal, name, args, now)
    return deal, now


def apply(deal: Deal, name: str, args: list[Any], now: datetime) -> None:
    if name == "stakeholder":
        deal.add_stakeholder(name=args[0], role=args[1], now=now, actor="alice")
    elif name == "interaction":
        deal.add_interaction(
            kind=args[0],
            on=now.date(),
            summary="Met",
            client_declined=args[1],
            now=now,
            actor="alice",
        )
    elif name == "commit":
        party, kind, person, due_in, status, linked = args
        due: date | None = (now + timedelta(days=due_in)).date() if due_in is not None else None
        deal.add_commitment(
            PROCESS,
            party=party,
            action="Do something",
            kind=kind if party is Party.BUYER else None,
            person=person,
            due=due,
            status=status,
            interaction=deal.interactions[-1].number if linked and deal.interactions else None,
            now=now,
            actor="alice",
        )
    elif name == "status":
        deal.set_commitment_status(args[0], args[1], now=now, actor="alice")
    elif name == "advance":
        position = PROCESS.position(deal.stage) + args[0]
        to = PROCESS.stage_keys[min(position, len(PROCESS.stages))]
        deal.advance(
            PROCESS,
            now=now,
            actor="manager",
            to=to,
            override_reason="Board call" if args[1] else None,
        )
    elif name == "dissatisfaction":
        deal.document_dissatisfaction("Too slow", now=now, actor="alice")
    elif name == "lose":
        deal.close_lost("Went elsewhere", now=now, actor="alice")


AsyncRead = Callable[[int], Deal] | None
T = TypeVar("T")


@pytest.fixture
def read_on_event_loop(engine: Engine) -> Iterator[AsyncRead]:
    """The API's event-loop read of one deal (PostgreSQL only), over one pool for the test.
    The loop runs in its own thread: a browser test's Playwright may hold this one's."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    try:
        documents = run(AsyncDocuments.open(_engine_with_process(engine)))
        if documents is None:
            yield None
            return
        try:
            yield lambda deal_id: run(documents.read(deal_id)).deal
        finally:
            run(documents.close())
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def check(
    engine: Engine,
    generated: tuple[str, list[tuple[int, Any]], int, int],
    read_async: AsyncRead = None,
) -> None:
    start_stage, ops, days_later, hours_later = generated
    deal, last = build(start_stage, ops)
    deal.owner = f"rep-{uuid.uuid4().hex[:12]}"  # the coaching counts below see this deal alone
    as_of = last + timedelta(days=days_later, hours=hours_later)
    with UnitOfWork(engine) as uow:
        uow.deals.add(deal)
        uow.commit()
        stored = uow.deals.get(deal.id or 0)
        # The one-statement read (JSON children) builds the same aggregate as the
        # table-by-table read used for lists.
        assert stored == uow.deals.find(ids=[stored.id or 0])[0]
        if read_async is not None:  # and so does the API's read through asyncpg
            assert read_async(stored.id or 0) == stored
        # A document the database builds (after bulk writes), and none at all, read as the
        # one the repository wrote.
        deal_id = stored.id or 0
        written_document = _document_of(uow, deal_id)
        forget_documents(uow.connection, [deal_id])
        stored.version += 1  # clearing it is a change: whoever read the deal before reloads
        assert _document_of(uow, deal_id) is None
        assert uow.deals.get(deal_id) == stored
        fill_documents(uow.connection)
        assert _document_of(uow, deal_id) is not None
        assert uow.deals.get(deal_id) == stored
        if read_async is not None:
            uow.commit()
            assert read_async(deal_id) == stored
            forget_documents(uow.connection, [deal_id])
            stored.version += 1
            uow.commit()
            assert read_async(deal_id) == stored
        assert written_document is not None
        expected = review_deal(stored, PROCESS, as_of)
        in_memory = review_deal(deal, PROCESS, as_of)
        found = review_pipeline(uow.connection, PROCESS, as_of, deal_ids=[stored.id or 0])
        only_inferred = inferred_only(uow.connection, Scope(deal_ids=(stored.id or 0,)))
        assert only_inferred == int(stored.rests_only_on_inferred_evidence)
        # The signals recomputed in SQL (bulk writes) equal those written from the aggregate.
        written = _signals_row(uow, stored.id or 0)
        refresh_signals(uow.connection, [stored.id or 0])
        assert _signals_row(uow, stored.id or 0) == written
        # The coaching counts in SQL equal the pure rule's, over all time and from a midpoint.
        midpoint = deal.created_at + (last - deal.created_at) / 2
        for since in (None, midpoint):
            counted = {m.rep: m for m in team_metrics(uow.connection, PROCESS, since)}
            assert counted[deal.owner] == rep_metrics(deal.owner, [stored], PROCESS, since)
    assert expected.flags == in_memory.flags  # storage keeps everything the rules read
    for code in expected.codes:
        event(code)
    if deal.is_closed:
        assert found == []
    else:
        assert len(found) == 1
        assert found[0].flags == expected.flags
        assert (found[0].highest_rung, found[0].evidenced_stage) == (
            expected.highest_rung,
            expected.evidenced_stage,
        )


def _document_of(uow: UnitOfWork, deal_id: int) -> str | None:
    query = select(t.deals.c.children).where(t.deals.c.id == deal_id)
    found: str | None = uow.connection.execute(query).scalar_one()
    return found


def _signals_row(uow: UnitOfWork, deal_id: int) -> tuple[Any, ...]:
    names = [f.name for f in fields(DealSignals)]
    row = uow.connection.execute(
        select(*(t.deals.c[n] for n in names)).where(t.deals.c.id == deal_id)
    ).one()
    return tuple(row)


def _engine_with_process(engine: Engine) -> Engine:
    init_database(engine, T0, PROCESS_FILE)
    return engine


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(generated=history)
def test_set_based_review_equals_the_pure_rules(
    engine: Engine, read_on_event_loop: AsyncRead, generated: Any
) -> None:
    check(_engine_with_process(engine), generated, read_on_event_loop)
