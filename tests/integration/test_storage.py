"""Repositories, unit of work, migrations and concurrency, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from dealgate.domain.commitment import Party, Status
from dealgate.domain.errors import DealgateError
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.stakeholder import Role
from dealgate.processes import DEFAULT_PROCESS_PATH
from dealgate.services import deals as svc
from dealgate.store import bulk, deal_document, tables
from dealgate.store.async_documents import APPLICATION_NAME, SESSION_SETTINGS, AsyncDocuments
from dealgate.store.db import alembic_config, make_engine, schema_state, upgrade
from dealgate.store.deal_document import fill_documents
from dealgate.store.repository import Document
from dealgate.store.unit_of_work import UnitOfWork
from tests.async_support import run_apart
from tests.builders import PROCESS, a_deal, at, buyer_commits, seller_promises


def _stored_deal(engine: Engine) -> int:
    deal = a_deal()
    deal.amount = Decimal("12000.50")
    deal.add_stakeholder(
        name="Lena Ross",
        role=Role.ECONOMIC_BUYER,
        title="CFO",
        notes="Wants numbers",
        now=at(0),
        actor="alice",
    )
    i = deal.add_interaction(
        kind=InteractionKind.CALL, on=at(1).date(), summary="Intro call", now=at(1), actor="alice"
    )
    c = buyer_commits(deal, "first_meeting_accepted")
    c.interaction = i.number
    seller_promises(deal)
    deal.document_dissatisfaction("Too many spreadsheets", now=at(1), actor="alice")
    deal.advance(PROCESS, now=at(2), actor="alice")
    with UnitOfWork(engine) as uow:
        uow.deals.add(deal)
        uow.commit()
    assert deal.id is not None
    return deal.id


def test_migrations_create_exactly_the_declared_tables(engine: Engine) -> None:
    assert schema_state(engine) == "current"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), tables.metadata)
    assert diff == []


def test_a_deal_round_trips_through_the_repository(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
    assert deal.stage == "discover" and deal.version == 1
    assert deal.amount == Decimal("12000.50")
    assert [s.name for s in deal.stakeholders] == ["Raj Patel", "Lena Ross"]
    assert deal.stakeholders[1].notes == "Wants numbers"
    assert [(c.party.value, c.kind) for c in deal.commitments] == [
        ("buyer", "first_meeting_accepted"),
        ("seller", None),
    ]
    assert deal.commitments[0].obtained_at == at(1)
    assert deal.commitments[0].interaction == 1
    assert deal.dissatisfaction[0].text == "Too many spreadsheets"
    assert deal.stage_entered_at == at(2)


def test_a_save_keeps_every_change_and_rewrites_no_unchanged_row(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        deal.set_commitment_status(1, Status.KEPT, now=at(3), actor="alice")
        deal.add_stakeholder(name="Ola Berg", role=Role.TECHNICAL, now=at(3), actor="alice")
        uow.deals.save(deal)
        # A second save in the same unit of work compares with what the first one wrote.
        buyer_commits(deal, "data_shared")
        uow.deals.save(deal)
        # An untouched row is not rewritten: a value changed behind the aggregate's back
        # survives the save, which a rewrite of every row would have put back.
        uow.connection.execute(
            tables.stakeholders.update()
            .where(tables.stakeholders.c.deal_id == deal_id, tables.stakeholders.c.number == 1)
            .values(title="Head of Ops")
        )
        deal.add_interaction(
            kind=InteractionKind.EMAIL, on=at(4).date(), summary="Recap", now=at(4), actor="alice"
        )
        uow.deals.save(deal)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        stored = uow.deals.get(deal_id)
        title = uow.connection.execute(
            select(tables.stakeholders.c.title).where(
                tables.stakeholders.c.deal_id == deal_id, tables.stakeholders.c.number == 1
            )
        ).scalar_one()
    assert stored.version == 4
    assert stored.commitments == deal.commitments and len(stored.commitments) == 3
    assert stored.commitments[0].status is Status.KEPT
    assert [s.name for s in stored.stakeholders] == ["Raj Patel", "Lena Ross", "Ola Berg"]
    assert title == "Head of Ops"
    assert [i.summary for i in stored.interactions] == ["Intro call", "Recap"]
    assert stored.dissatisfaction == deal.dissatisfaction


def test_any_text_comes_back_exactly_from_the_one_statement_read(engine: Engine) -> None:
    text = 'Ölçü "quoted" \\ back\\slash\nnew line\ttab \u2028 sep 🚀 <b>&amp;</b> \'; --'
    deal = a_deal()
    deal.add_stakeholder(name=text, role=Role.CHAMPION, notes=text, now=at(0), actor="alice")
    deal.add_interaction(
        kind=InteractionKind.NOTE, on=at(1).date(), summary=text, now=at(1), actor="alice"
    )
    deal.add_commitment(PROCESS, party=Party.SELLER, action=text, now=at(1), actor="alice")
    deal.document_dissatisfaction(text, now=at(1), actor="alice")
    with UnitOfWork(engine) as uow:
        uow.deals.add(deal)
        uow.commit()
        stored = uow.deals.get(deal.id or 0)
    assert stored.stakeholders[-1].name == text and stored.stakeholders[-1].notes == text
    assert stored.interactions[-1].summary == text
    assert stored.commitments[-1].action == text
    assert stored.dissatisfaction[-1].text == text
    if engine.dialect.name == "postgresql":  # and so does the API's read on the event loop
        assert run_apart(_read_on_event_loop(engine, deal.id or 0)) == stored


async def _read_on_event_loop(engine: Engine, deal_id: int) -> Any:
    documents = await AsyncDocuments.open(engine, size=1)
    assert documents is not None
    try:
        return (await documents.read(deal_id)).deal
    finally:
        await documents.close()


def test_rows_written_in_bulk_beside_the_repository_are_read_with_the_deal(
    engine: Engine,
) -> None:
    deal_id = _stored_deal(engine)
    written = _document_of(engine, deal_id)
    assert written is not None and "Intro call" in written  # the repository wrote one
    _bulk_interaction(engine, deal_id, 2, "Imported later")
    assert _document_of(engine, deal_id) is None  # it no longer holds every row
    with UnitOfWork(engine, write=False) as uow:
        read = uow.deals.get(deal_id)
    assert [i.summary for i in read.interactions] == ["Intro call", "Imported later"]
    with UnitOfWork(engine) as uow:
        fill_documents(uow.connection)
        uow.commit()
        assert uow.deals.get(deal_id) == read
    assert "Imported later" in (_document_of(engine, deal_id) or "")


def test_the_document_written_with_each_change_reads_as_the_tables_do(engine: Engine) -> None:
    deal_id = _stored_deal(engine)  # moved one stage at day 2
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        buyer_commits(deal, "data_shared", when=3)
        deal.advance(PROCESS, now=at(3), actor="bob")
        uow.deals.save(deal)
        # A second change in the same unit of work, its move at the same moment: the table
        # orders the two by id, and so must the document.
        buyer_commits(deal, "change_priority_confirmed", when=3)
        deal.advance(PROCESS, now=at(3), actor="carol")
        uow.deals.save(deal)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        from_document = uow.deals.get(deal_id)
        from_tables = uow.deals.find(ids=[deal_id])[0]
        written = uow.connection.execute(
            select(tables.deals.c.children).where(tables.deals.c.id == deal_id)
        ).scalar_one()
    assert written is not None  # read from the document, not built from the tables
    assert from_document == from_tables
    assert [m.actor for m in from_document.history][-3:] == ["alice", "bob", "carol"]


def _document_of(engine: Engine, deal_id: int) -> str | None:
    query = select(tables.deals.c.children).where(tables.deals.c.id == deal_id)
    with engine.connect() as conn:
        found: str | None = conn.execute(query).scalar_one()
        return found


def _bulk_interaction(
    engine: Engine, deal_id: int, number: int, summary: str | None = None
) -> None:
    """An interaction written as an import writes it, beside the repository."""
    row = {
        "deal_id": deal_id,
        "number": number,
        "kind": "email",
        "on_date": at(5).date(),
        "summary": summary or f"Imported {number}",
        "created_at": at(5),
        "client_declined": False,
    }
    with UnitOfWork(engine) as uow:
        bulk.insert_rows(uow.connection, tables.interactions, [row])
        uow.commit()


# SQLite takes the write lock when a writing unit of work begins, so a bulk write cannot
# land between its read and its save there.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_deal_saved_back_after_a_bulk_write_beside_it_conflicts_rather_than_hide_the_rows(
    engine: Engine,
) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)  # read from its stored document
        _bulk_interaction(engine, deal_id, 2)  # committed meanwhile
        deal.document_dissatisfaction("Slow", now=at(6), actor="alice")
        with pytest.raises(DealgateError) as refused:
            uow.deals.save(deal)
    assert refused.value.status == 409
    with UnitOfWork(engine, write=False) as uow:
        read = uow.deals.get(deal_id)
    assert [i.summary for i in read.interactions] == ["Intro call", "Imported 2"]


def test_a_deal_read_from_its_tables_is_saved_without_a_document(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    _bulk_interaction(engine, deal_id, 2)  # its document cleared
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        deal.document_dissatisfaction("Slow", now=at(6), actor="alice")
        uow.deals.save(deal)
        uow.commit()
    assert _document_of(engine, deal_id) is None  # a later bulk write would find none to clear
    with UnitOfWork(engine) as uow:
        read = uow.deals.get(deal_id)
        fill_documents(uow.connection)
        uow.commit()
    assert [n.text for n in read.dissatisfaction][-1] == "Slow"
    assert "Imported 2" in (_document_of(engine, deal_id) or "")


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite runs one writer at a time
def test_filling_documents_skips_a_deal_changed_while_it_ran(engine: Engine) -> None:
    changed, untouched = _stored_deal(engine), _stored_deal(engine)
    _bulk_interaction(engine, changed, 2)
    _bulk_interaction(engine, untouched, 2)
    holder = engine.connect()
    holder.begin()
    # Hold the row so that the fill finds it locked, then change the deal and commit.
    holder.execute(text("SELECT id FROM deals WHERE id = :id FOR UPDATE"), {"id": changed})

    def fill() -> None:
        with UnitOfWork(engine) as uow:
            fill_documents(uow.connection)
            uow.commit()

    filling = threading.Thread(target=fill)
    filling.start()
    deadline = time.monotonic() + 10
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
            if waiting:
                break
            time.sleep(0.02)
    holder.execute(text("UPDATE deals SET version = version + 1 WHERE id = :id"), {"id": changed})
    holder.commit()
    holder.close()
    filling.join(30)
    assert _document_of(engine, untouched) is not None
    assert _document_of(engine, changed) is None  # it keeps reading from the tables


def test_times_read_back_in_utc_whatever_the_sessions_time_zone(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine, write=False) as uow:
        expected = uow.deals.get(deal_id)
    # PostgreSQL renders the JSON of a deal's children in the session's zone.
    elsewhere = (
        create_engine(engine.url, connect_args={"options": "-c timezone=America/New_York"})
        if engine.dialect.name == "postgresql"
        else engine  # SQLite keeps no zone: stored naive UTC is all there is
    )
    with UnitOfWork(elsewhere, write=False) as uow:
        there = uow.deals.get(deal_id)
    if elsewhere is not engine:
        elsewhere.dispose()
    assert there == expected
    assert there.commitments[0].obtained_at == at(1)
    assert all(c.created_at.utcoffset() == timedelta(0) for c in there.commitments)
    assert all(m.at.utcoffset() == timedelta(0) for m in there.history)


def test_a_snapshot_read_sees_every_table_as_of_one_moment(engine: Engine) -> None:
    _stored_deal(engine)
    count = select(func.count()).select_from(tables.deals)
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        before = uow.connection.execute(count).scalar_one()
        svc.open_deal(engine, now=at(5), actor="alice", name="Late", account="Y", owner="alice")
        assert uow.connection.execute(count).scalar_one() == before  # written meanwhile
    with UnitOfWork(engine, write=False) as uow:
        assert uow.connection.execute(count).scalar_one() == before + 1


def test_stage_history_is_read_from_the_event_log(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        events = uow.deals.events(deal_id)
    assert [(m.from_stage, m.to_stage, m.commitments) for m in deal.history] == [
        (None, "prospect", ()),
        ("prospect", "discover", (1,)),
    ]
    assert [e.type for e in events] == [
        "deal.opened",
        "stakeholder.added",
        "stakeholder.added",
        "interaction.added",
        "commitment.added",
        "commitment.added",
        "deal.dissatisfaction_documented",
        "deal.advanced",
    ]
    assert all(e.actor == "alice" for e in events)


def test_the_unit_of_work_rolls_back_unless_committed(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.deals.add(a_deal())
    with UnitOfWork(engine) as uow:
        assert uow.deals.find() == []


def test_an_error_midway_writes_nothing(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with pytest.raises(DealgateError), UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        deal.add_stakeholder(name="Someone", role=Role.USER, now=at(3), actor="alice")
        uow.deals.save(deal)
        deal.set_commitment_status(1, Status.ASKED, now=at(3), actor="alice")  # illegal
        uow.commit()
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
    assert len(deal.stakeholders) == 2 and deal.version == 1


def test_a_refused_change_leaves_the_connection_its_prepared_statements(
    pg_engine: Engine,
) -> None:
    # psycopg deallocates every prepared statement after a ROLLBACK: a gate's refusal
    # ending that way made the next requests on the connection plan the deal's read again.
    engine = create_engine(pg_engine.url, pool_size=1, max_overflow=0)
    try:
        deal_id = _stored_deal(engine)
        for _ in range(6):  # psycopg prepares a statement on its fifth execution
            svc.load_deal(engine, deal_id)

        def prepared() -> int:
            # In autocommit: a transaction of its own would end in the ROLLBACK it checks.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return int(
                    conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
                )

        before = prepared()
        with pytest.raises(DealgateError):
            svc.advance(engine, deal_id, now=at(4), actor="alice", to="won")
        assert before > 0 and prepared() == before
    finally:
        engine.dispose()


def test_a_stale_write_fails_with_conflict_and_writes_nothing(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine, write=False) as reader:
        theirs = reader.deals.get(deal_id)  # read, then someone else saves first
    with UnitOfWork(engine) as first:
        mine = first.deals.get(deal_id)
        mine.add_stakeholder(name="First", role=Role.USER, now=at(3), actor="alice")
        first.deals.save(mine)
        first.commit()
    theirs.add_stakeholder(name="Second", role=Role.USER, now=at(3), actor="bruno")
    with UnitOfWork(engine) as second:
        with pytest.raises(DealgateError) as caught:
            second.deals.save(theirs)
        assert caught.value.codes == ["conflict"] and caught.value.status == 409
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        events = uow.deals.events(deal_id)
    assert [s.name for s in deal.stakeholders][-1] == "First"
    assert deal.version == 2
    assert not any(e.payload.get("name") == "Second" for e in events)


def _deal_with_the_commitment_to_leave_discover(engine: Engine) -> int:
    deal_id = _stored_deal(engine)
    svc.add_commitment(
        engine,
        deal_id,
        now=at(3),
        actor="alice",
        party=Party.BUYER,
        action="Shares data",
        kind="data_shared",
        person="Raj Patel",
        due=at(9).date(),
    )
    return deal_id


def _rows_of(engine: Engine, deal_id: int) -> dict[str, list[Any]]:
    """Every stored row of a deal, table by table."""
    children = (
        tables.stakeholders,
        tables.interactions,
        tables.commitments,
        tables.notes,
        tables.events,
        tables.stage_exits,
    )
    with engine.connect() as conn:
        rows = {
            table.name: sorted(
                tuple(r) for r in conn.execute(select(table).where(table.c.deal_id == deal_id))
            )
            for table in children
        }
        rows["deals"] = [tuple(conn.execute(select(tables.deals).filter_by(id=deal_id)).one())]
    return rows


# SQLite's unit of work holds the write lock from its read on: no one saves in between there.
@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_save_that_lost_the_race_writes_not_one_row_of_its_change(engine: Engine) -> None:
    deal_id = _deal_with_the_commitment_to_leave_discover(engine)
    with UnitOfWork(engine, one_deal=True) as late:
        deal = late.deals.get(deal_id)  # read; then someone else saves first
        svc.add_stakeholder(engine, deal_id, now=at(3), actor="bruno", name="Ola", role=Role.USER)
        before = _rows_of(engine, deal_id)
        # A change touching every kind of row: a deal column, an update, inserts, a stage
        # move (its event and its stage exit).
        deal.set_commitment_status(1, Status.KEPT, now=at(4), actor="alice")
        deal.add_interaction(
            kind=InteractionKind.EMAIL, on=at(4).date(), summary="Recap", now=at(4), actor="alice"
        )
        deal.document_dissatisfaction("Slow reports", now=at(4), actor="alice")
        deal.advance(PROCESS, now=at(4), actor="alice", to="change")
        with pytest.raises(DealgateError) as caught:
            late.deals.save(deal)
        late.commit()
    assert caught.value.codes == ["conflict"] and caught.value.status == 409
    assert _rows_of(engine, deal_id) == before


def test_child_rows_taken_out_of_the_aggregate_are_deleted_by_its_save(engine: Engine) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        deal.stakeholders.pop(0)  # no use case removes one yet; the repository must still
        deal.commitments.pop()
        uow.deals.save(deal)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        stored = uow.deals.get(deal_id)
    assert [s.name for s in stored.stakeholders] == [s.name for s in deal.stakeholders]
    assert stored.commitments == deal.commitments
    assert stored.stakeholders == deal.stakeholders


def test_a_commitment_and_the_interaction_it_came_from_are_saved_in_one_change(
    engine: Engine,
) -> None:
    deal_id = _stored_deal(engine)
    with UnitOfWork(engine, one_deal=True) as uow:
        deal = uow.deals.get(deal_id)
        i = deal.add_interaction(
            kind=InteractionKind.MEETING, on=at(3).date(), summary="Demo", now=at(3), actor="al"
        )
        c = buyer_commits(deal, "data_shared")
        c.interaction = i.number
        uow.deals.save(deal)
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        stored = uow.deals.get(deal_id)
    assert stored.commitments[-1].interaction == i.number == 2
    assert stored.interactions == deal.interactions


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite's statements make no round trip
def test_each_change_of_one_deal_writes_in_one_statement_outside_any_transaction(
    engine: Engine,
) -> None:
    """On PostgreSQL a deal's whole write (deal row, child rows, events, stage exits) is one
    statement, sent with no transaction open (no BEGIN, no COMMIT): round trips cost more
    than the writes they carry. Deal reads go through the driver, unseen here."""
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        sent.append((statement, conn.connection.driver_connection.info.transaction_status))

    event.listen(engine, "before_cursor_execute", record)
    try:
        deal = svc.open_deal(
            engine, now=at(0), actor="alice", name="Renewal", account="Acme", owner="alice"
        )
        assert deal.id is not None
        svc.add_stakeholder(
            engine, deal.id, now=at(1), actor="alice", name="Raj Patel", role=Role.CHAMPION
        )
        svc.add_commitment(
            engine,
            deal.id,
            now=at(1),
            actor="alice",
            party=Party.BUYER,
            action="Meet the team",
            kind="first_meeting_accepted",
            person="Raj Patel",
            due=at(9).date(),
        )
        svc.advance(engine, deal.id, now=at(2), actor="alice")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    writes = [statement for statement, _ in sent if not statement.startswith("SELECT")]
    assert len(writes) == 4 and all(w.startswith("WITH u AS (") for w in writes), writes
    assert {status for _, status in sent} == {TransactionStatus.IDLE}
    with UnitOfWork(engine, write=False) as uow:
        stored = uow.deals.get(deal.id)
        exits = uow.connection.execute(
            select(tables.stage_exits.c.stage).where(tables.stage_exits.c.deal_id == deal.id)
        ).scalars()
        history = uow.deals.events(deal.id)
    assert stored.stage == "discover" and list(exits) == ["prospect"]
    assert [s.name for s in stored.stakeholders] == ["Raj Patel"]
    assert (history[0].type, history[-1].type) == ("deal.opened", "deal.advanced")


def test_concurrent_advances_move_the_deal_exactly_once(engine: Engine) -> None:
    deal_id = _deal_with_the_commitment_to_leave_discover(engine)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            svc.advance(engine, deal_id, now=at(4), actor="alice", to="change")
            outcomes.append("ok")
        except DealgateError as e:
            outcomes.append(e.codes[0])

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert set(outcomes) <= {"ok", "conflict", "not_forward"}
    with engine.connect() as conn:
        moves = conn.execute(
            select(func.count())
            .select_from(tables.events)
            .where(tables.events.c.deal_id == deal_id, tables.events.c.type == "deal.advanced")
        ).scalar_one()
    assert moves == 2


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1


def test_the_process_is_stored_for_every_command(engine: Engine) -> None:
    with UnitOfWork(engine, one_deal=True) as uow:
        process = uow.processes.active()
    assert [s.key for s in process] == [s.key for s in PROCESS]


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite compresses nothing
def test_deal_documents_are_compressed_with_lz4_where_the_server_has_it(engine: Engine) -> None:
    with engine.connect() as conn:
        has_lz4 = conn.execute(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                "WHERE name = 'default_toast_compression'"
            )
        ).scalar()
        method = conn.execute(
            text(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'deals'::regclass AND attname = 'children'"
            )
        ).scalar()
    assert method == ("l" if has_lz4 else "")


def test_a_schema_made_by_a_newer_dealgate_is_refused_and_left_as_it_is(
    pg_url_or_none: str | None, tmp_path: Path
) -> None:
    engine = make_engine(pg_url_or_none or f"sqlite:///{tmp_path / 'newer.db'}")
    try:
        assert schema_state(engine) == "empty"
        command.upgrade(alembic_config(engine), "0007")
        assert schema_state(engine) == "older"
        upgrade(engine)
        assert schema_state(engine) == "current"
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        with pytest.raises(DealgateError) as refused:
            upgrade(engine)
        assert [e["code"] for e in refused.value.to_dict()["errors"]] == ["schema_newer"]
        assert refused.value.status == 409
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        assert version == "0099"  # untouched
    finally:
        engine.dispose()


def test_a_database_made_before_process_digests_gets_them_on_upgrade(
    pg_url_or_none: str | None, tmp_path: Path
) -> None:
    engine = make_engine(pg_url_or_none or f"sqlite:///{tmp_path / 'old.db'}")
    try:
        command.upgrade(alembic_config(engine), "0006")
        source = DEFAULT_PROCESS_PATH.read_text(encoding="utf-8")
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO processes (name, source, loaded_at) VALUES ('Old', :s, :at)"),
                {"s": source, "at": at(0)},
            )
        upgrade(engine)
        with UnitOfWork(engine, write=False) as uow:
            digest = uow.connection.execute(select(tables.processes.c.digest)).scalar_one()
            process = uow.processes.active()
        assert digest == hashlib.sha256(source.encode()).hexdigest()
        assert [s.key for s in process] == [s.key for s in PROCESS]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])  # the event-loop reads are PostgreSQL's
def test_the_event_loop_reads_reach_every_table_by_its_index_even_while_it_is_empty(
    engine: Engine,
) -> None:
    # A plan cached while a table is empty would scan it whole for the connection's life.
    dialect = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
    query = deal_document.statement("postgresql").compile(dialect=dialect)
    values = query.construct_params({"deal_id": 1})
    params = [values[name] for name in query.positiontup or []]
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))  # the statistics now say the child tables are empty

    async def scanned_whole(settings: dict[str, str]) -> set[str]:
        conn = await asyncpg.connect(dsn, server_settings=settings)
        try:
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            plan = json.loads(await conn.fetchval(f"EXPLAIN (FORMAT JSON) {query}", *params))
        finally:
            await conn.close()
        found: set[str] = set()
        nodes = [plan[0]["Plan"]]
        while nodes:
            node = nodes.pop()
            if node["Node Type"] == "Seq Scan":
                found.add(node["Relation Name"])
            nodes.extend(node.get("Plans", []))
        return found

    assert run_apart(scanned_whole(SESSION_SETTINGS)) == set()
    assert "events" in run_apart(scanned_whole({}))  # what PostgreSQL plans by default


@pytest.mark.parametrize("backend", ["postgresql"])  # the event-loop reads are PostgreSQL's
def test_the_event_loop_reads_share_few_connections_among_many_readers_and_cancellations(
    engine: Engine,
) -> None:
    deal_id = _stored_deal(engine)

    def connections_open() -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE application_name = :n AND datname = current_database()"
                    ),
                    {"n": APPLICATION_NAME},
                ).scalar_one()
            )

    async def scenario() -> tuple[int, int, int]:
        documents = await AsyncDocuments.open(engine, size=2)
        assert documents is not None
        try:
            read = await asyncio.gather(*(documents.read(deal_id) for _ in range(50)))
            assert {d.deal.id for d in read} == {deal_id}
            at_most = connections_open()
            # Readers given up while they wait (a client hung up) hold nothing afterwards.
            readers = [asyncio.create_task(documents.read(deal_id)) for _ in range(20)]
            await asyncio.sleep(0)
            for reader in readers[::2]:
                reader.cancel()
            outcomes = await asyncio.gather(*readers, return_exceptions=True)
            cancelled = sum(isinstance(o, asyncio.CancelledError) for o in outcomes)
            served = [o.deal.id for o in outcomes if isinstance(o, Document)]
            assert len(served) + cancelled == len(readers) and set(served) <= {deal_id}
            again = await asyncio.gather(*(documents.read(deal_id) for _ in range(10)))
            assert {d.deal.id for d in again} == {deal_id}
            return at_most, cancelled, connections_open()
        finally:
            await documents.close()

    async def closed_while_waiting() -> list[Any]:
        documents = await AsyncDocuments.open(engine, size=1)
        assert documents is not None
        readers = [asyncio.create_task(documents.read(deal_id)) for _ in range(5)]
        await asyncio.sleep(0)
        await documents.close()
        return await asyncio.gather(*readers, return_exceptions=True)

    at_most, cancelled, after = run_apart(asyncio.wait_for(scenario(), 60))
    # Closing the reader (a worker stopping) leaves nobody waiting for a connection forever.
    ends = run_apart(asyncio.wait_for(closed_while_waiting(), 60))
    assert all(
        isinstance(e, Document) or (isinstance(e, DealgateError) and e.status == 503) for e in ends
    )
    assert at_most == after == 2 and cancelled > 0  # never more, and back to two after
    # A backend leaves pg_stat_activity a moment after its client hung up, so wait for it.
    deadline = time.monotonic() + 10
    while connections_open() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert connections_open() == 0  # closed with the reader
