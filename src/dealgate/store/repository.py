"""Deal repository: turns rows into Deal aggregates and back, with optimistic concurrency."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Row,
    Table,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from dealgate.domain.commitment import Commitment, Party, Status
from dealgate.domain.deal import Deal, Note
from dealgate.domain.errors import conflict, not_found
from dealgate.domain.events import STAGE_EVENTS, Event, StageMove
from dealgate.domain.interaction import Interaction, InteractionKind
from dealgate.domain.process import CLOSED_STAGES
from dealgate.domain.review import signals_of
from dealgate.domain.stakeholder import Role, Stakeholder
from dealgate.store import deal_document as document
from dealgate.store import one_statement_save
from dealgate.store import tables as t
from dealgate.store.integrity import duplicate_key


@dataclass(frozen=True)
class Document:
    deal: Deal
    process_digest: str | None  # of the active process (`ProcessStore.by_digest`)
    stage_events: list[Any]  # the rows of the deal's stage events, in order
    from_tables: bool = False  # its document built from the tables, none being stored


def document_of(row: Any, deal_id: int) -> Document:
    """The deal of a document row (`deal_document`), whichever driver read it."""
    if row is None:
        raise not_found("deal", deal_id, "List deals with `dealgate deal list`.")
    lists = document.children_of(row)
    children = {name: {row.id: rows} for name, rows in lists.items()}
    deal = DealRepository._deal(row, children)
    return Document(deal, row.process_digest, lists["events"], bool(row.from_tables))


class DealRepository:
    def __init__(self, connection: Connection, *, tracks_changes: bool = True) -> None:
        self.conn = connection
        # The child rows of each deal as read, so that save() writes only the difference;
        # a unit of work that only reads does not keep them.
        self.tracks_changes = tracks_changes
        # With them, its stage events as read (which the document written with it holds as
        # well), or None when its document was built from the tables: saved without one.
        self._read: dict[int, tuple[ChildRows, list[dict[str, Any]] | None]] = {}

    # --- reads --------------------------------------------------------------------------------

    def get(self, deal_id: int) -> Deal:
        return self.read(deal_id).deal

    def read(self, deal_id: int) -> Document:
        """The deal with its children and the active process's digest, in one statement."""
        found = document_of(document.read_row(self.conn, deal_id), deal_id)
        if self.tracks_changes:
            events = None if found.from_tables else [_event_row(e) for e in found.stage_events]
            self._read[deal_id] = (_child_rows(found.deal), events)
        return found

    def find_by_external_id(self, external_id: str) -> Deal | None:
        deals = self._load(select(*t.deal_columns).where(t.deals.c.external_id == external_id))
        return deals[0] if deals else None

    def find(
        self,
        stage: str | None = None,
        owner: str | None = None,
        *,
        owners: frozenset[str] | None = None,
        after_id: int | None = None,
        limit: int | None = None,
        ids: Iterable[int] | None = None,
        text: str | None = None,
    ) -> list[Deal]:
        """Deals in id order; `owners` limits to what a user may see, `after_id` pages,
        `text` keeps those whose name or account contains it (any case)."""
        query = select(*t.deal_columns).order_by(t.deals.c.id)
        if text:
            # Taken as typed: a % or _ in it is that character, not a wildcard.
            pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
            query = query.where(
                or_(
                    t.deals.c.name.ilike(pattern, escape="\\"),
                    t.deals.c.account.ilike(pattern, escape="\\"),
                )
            )
        if stage is not None:
            query = query.where(t.deals.c.stage == stage)
        if owner is not None:
            query = query.where(t.deals.c.owner == owner)
        if owners is not None:
            query = query.where(t.deals.c.owner.in_(sorted(owners)))
        if after_id is not None:
            query = query.where(t.deals.c.id > after_id)
        if ids is not None:
            query = query.where(t.deals.c.id.in_(list(ids)))
        if limit is not None:
            query = query.limit(limit)
        return self._load(query)

    def largest_open(self, owner: str, limit: int) -> list[Deal]:
        """`owner`'s open deals, the largest amount first (those without one last)."""
        d = t.deals
        query = (
            select(*t.deal_columns)
            .where(d.c.owner == owner, d.c.stage.not_in(CLOSED_STAGES))
            .order_by(d.c.amount.desc().nulls_last(), d.c.id)
            .limit(limit)
        )
        return self._load(query)

    def count(self) -> int:
        return len(self.conn.execute(select(t.deals.c.id).limit(1)).all())

    def per_stage(self) -> dict[str, int]:
        """How many deals stand in each stage (closed ones too)."""
        query = select(t.deals.c.stage, func.count()).group_by(t.deals.c.stage)
        return {str(stage): int(n) for stage, n in self.conn.execute(query)}

    def events(self, deal_id: int) -> list[Event]:
        rows = self.conn.execute(
            select(t.events).where(t.events.c.deal_id == deal_id).order_by(t.events.c.id)
        )
        return [Event(r.type, r.at, r.actor, dict(r.payload)) for r in rows]

    def events_of(self, ids: list[int], types: Iterable[str]) -> dict[int, list[Event]]:
        """The events of these types of each of these deals, oldest first."""
        found: dict[int, list[Event]] = defaultdict(list)
        kinds = sorted(types)
        for chunk in _chunks(ids, 500):
            query = select(t.events).where(
                t.events.c.deal_id.in_(chunk), t.events.c.type.in_(kinds)
            )
            for r in self.conn.execute(query.order_by(t.events.c.id)):
                found[r.deal_id].append(Event(r.type, r.at, r.actor, dict(r.payload)))
        return found

    def _load(self, query: Any) -> list[Deal]:
        rows = self.conn.execute(query).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        children = self._children(ids)
        return [self._deal(r, children) for r in rows]

    def _children(self, ids: list[int]) -> dict[str, dict[int, list[Row[Any]]]]:
        out: dict[str, dict[int, list[Row[Any]]]] = {}
        specs: Sequence[tuple[str, Any, Any]] = (
            ("stakeholders", t.stakeholders, t.stakeholders.c.number),
            ("commitments", t.commitments, t.commitments.c.number),
            ("interactions", t.interactions, t.interactions.c.number),
            ("notes", t.notes, t.notes.c.number),
        )
        for name, table, order in specs:
            grouped: dict[int, list[Row[Any]]] = defaultdict(list)
            for chunk in _chunks(ids, 500):
                for row in self.conn.execute(
                    select(table).where(table.c.deal_id.in_(chunk)).order_by(order)
                ):
                    grouped[row.deal_id].append(row)
            out[name] = grouped
        grouped_events: dict[int, list[Row[Any]]] = defaultdict(list)
        for chunk in _chunks(ids, 500):
            for row in self.conn.execute(
                select(t.events)
                .where(t.events.c.deal_id.in_(chunk), t.events.c.type.in_(STAGE_EVENTS))
                .order_by(t.events.c.at, t.events.c.id)
            ):
                grouped_events[row.deal_id].append(row)
        out["events"] = grouped_events
        return out

    @staticmethod
    def _deal(r: Any, children: dict[str, dict[int, list[Any]]]) -> Deal:
        return Deal(
            id=r.id,
            name=r.name,
            account=r.account,
            owner=r.owner,
            stage=r.stage,
            amount=r.amount,
            close_date=r.close_date,
            created_at=r.created_at,
            stage_entered_at=r.stage_entered_at,
            close_reason=r.close_reason,
            version=r.version,
            external_id=r.external_id,
            stakeholders=[
                Stakeholder(s.number, s.name, _ROLES[s.role], s.title, s.notes)
                for s in children["stakeholders"].get(r.id, [])
            ],
            commitments=[_commitment(c) for c in children["commitments"].get(r.id, [])],
            interactions=[
                Interaction(
                    i.number,
                    _INTERACTION_KINDS[i.kind],
                    i.on_date,
                    i.summary,
                    i.created_at,
                    i.client_declined,
                )
                for i in children["interactions"].get(r.id, [])
            ],
            dissatisfaction=[Note(n.text, n.at, n.actor) for n in children["notes"].get(r.id, [])],
            history=[
                StageMove.from_event(Event(e.type, e.at, e.actor, dict(e.payload)))
                for e in children["events"].get(r.id, [])
            ],
        )

    # --- writes -------------------------------------------------------------------------------

    def add(self, deal: Deal) -> Deal:
        rows = _child_rows(deal)
        values = {**_deal_values(deal), "children": _document(rows, _stage_events([], deal))}
        if self.conn.dialect.name == "postgresql":
            deal.id = self._in_one_statement(
                one_statement_save.INSERT, deal, values, _all_new(rows)
            )
        else:
            deal.id = int(self.conn.execute(_INSERT_DEAL, {**values, "version": 1}).scalar_one())
            for by_number in rows.values():
                for row in by_number.values():
                    row["deal_id"] = deal.id
            self._write_changes(deal, _all_new(rows))
        deal.version = 1
        deal.new_events = []
        return deal

    def save(self, deal: Deal) -> Deal:
        """Write a changed deal; fails with `conflict` when someone else saved it first.

        Only the child rows that differ from what was read are written: a commitment added
        to a deal is one insert, not a rewrite of everything the deal holds."""
        assert deal.id is not None, "save() is for stored deals; use add() for new ones"
        now = _child_rows(deal)
        read, prior = self._read.pop(deal.id, (None, None))
        # A deal not read through this repository is written whole, its document left to
        # be built from the tables.
        events = None if read is None or prior is None else _stage_events(prior, deal)
        values = {
            **_deal_values(deal),
            "children": None if events is None else _document(now, events),
        }
        try:
            if read is not None and self.conn.dialect.name == "postgresql":
                changes = _changes(read, now)
                saved = self._in_one_statement(one_statement_save.UPDATE, deal, values, changes)
            else:
                saved = self._save_statement_by_statement(deal, values, read, now)
        except IntegrityError as e:
            # A child numbered as one written meanwhile by a bulk import, which leaves the
            # version alone (its rows go in without reading the deal): someone else's change.
            if not duplicate_key(e):
                raise
            saved = 0
        if not saved:
            raise conflict(
                f"Deal {deal.id} was changed by someone else since it was read "
                f"(version {deal.version}); reload it and try again."
            )
        deal.version += 1
        self._read[deal.id] = (now, events)
        deal.new_events = []
        return deal

    def _save_statement_by_statement(
        self, deal: Deal, values: dict[str, Any], read: ChildRows | None, now: ChildRows
    ) -> bool:
        params = {**values, "b_id": deal.id, "b_version": deal.version}
        if self.conn.execute(_UPDATE_DEAL, params).rowcount != 1:
            return False
        if read is None:
            # Deletes child-first: commitments point at interactions.
            for table in reversed(now):
                self.conn.execute(delete(table).where(table.c.deal_id == deal.id))
        self._write_changes(deal, _all_new(now) if read is None else _changes(read, now))
        return True

    def _write_changes(self, deal: Deal, changes: list[Change]) -> None:
        """A statement per kind of change and table, then the new events and stage exits."""
        for table, gone, _, _ in reversed(changes):  # child-first
            if gone:
                self.conn.execute(
                    delete(table).where(table.c.deal_id == deal.id, table.c.number.in_(gone))
                )
        for table, _, changed, fresh in changes:
            if changed:
                self.conn.execute(
                    _update_child(table),
                    [{**row, "b_deal_id": deal.id, "b_number": row["number"]} for row in changed],
                )
            if fresh:
                self.conn.execute(_insert(table), fresh)
        if deal.new_events:
            self.conn.execute(
                _insert(t.events),
                [{"deal_id": deal.id, **_event_row(e)} for e in deal.new_events],
            )
        if exits := _exits(deal):
            self.conn.execute(_insert(t.stage_exits), exits)

    def _in_one_statement(
        self, head: str, deal: Deal, values: dict[str, Any], changes: list[Change]
    ) -> int:
        """PostgreSQL: the whole write in one round trip (`one_statement_save`); for a save,
        how many deal rows it changed (0 or 1), for a new deal its id."""
        parts: list[one_statement_save.Part] = []
        params: dict[str, Any] = dict(values)
        if head == one_statement_save.UPDATE:
            params |= {"b_id": deal.id, "b_version": deal.version}

        def part(table: Table, op: str, rows: list[dict[str, Any]]) -> None:
            name = f"p{len(parts)}"
            columns = tuple(k for k in rows[0] if k != "deal_id")
            parts.append((str(table.name), op, columns))
            params[name] = one_statement_save.rows_json(
                [{k: row[k] for k in columns} for row in rows]
            )

        for table, gone, changed, fresh in changes:
            if gone:
                parts.append((str(table.name), one_statement_save.DELETE, ()))
                params[f"p{len(parts) - 1}"] = gone
            if changed:
                part(table, one_statement_save.UPDATE, changed)
            if fresh:
                part(table, one_statement_save.INSERT, fresh)
        if deal.new_events:
            part(t.events, one_statement_save.INSERT, [_event_row(e) for e in deal.new_events])
        if exits := _exits(deal):
            part(t.stage_exits, one_statement_save.INSERT, exits)
        query = one_statement_save.statement(head, tuple(values), tuple(parts))
        return int(self.conn.execute(query, params).scalar_one())


ChildRows = dict[Table, dict[int, dict[str, Any]]]  # each child table's rows, by number


def _child_rows(deal: Deal) -> ChildRows:
    """Each child table's rows for a deal, by number: what is written, and what a save
    compares against to write only what changed."""
    return {
        t.stakeholders: {
            s.number: {
                "deal_id": deal.id,
                "number": s.number,
                "name": s.name,
                "role": s.role.value,
                "title": s.title,
                "notes": s.notes,
            }
            for s in deal.stakeholders
        },
        t.interactions: {
            i.number: {
                "deal_id": deal.id,
                "number": i.number,
                "kind": i.kind.value,
                "on_date": i.on,
                "summary": i.summary,
                "created_at": i.created_at,
                "client_declined": i.client_declined,
            }
            for i in deal.interactions
        },
        t.commitments: {c.number: _commitment_values(deal, c) for c in deal.commitments},
        t.notes: {
            n: {
                "deal_id": deal.id,
                "number": n,
                "kind": "dissatisfaction",
                "text": note.text,
                "at": note.at,
                "actor": note.actor,
            }
            for n, note in enumerate(deal.dissatisfaction, start=1)
        },
    }


# A child table's difference between two reads: the numbers gone, the rows changed, the new.
Change = tuple[Table, list[int], list[dict[str, Any]], list[dict[str, Any]]]


def _changes(read: ChildRows, now: ChildRows) -> list[Change]:
    """Per child table, in the order inserts must go (parents first): what a save writes."""
    changes = []
    for table, rows in now.items():
        before = read[table]
        changes.append(
            (
                table,
                [n for n in before if n not in rows],
                [row for n, row in rows.items() if n in before and before[n] != row],
                [row for n, row in rows.items() if n not in before],
            )
        )
    return changes


def _all_new(rows: ChildRows) -> list[Change]:
    """Every child row as new: a deal written whole."""
    return _changes({table: {} for table in rows}, rows)


def _exits(deal: Deal) -> list[dict[str, Any]]:
    """The stage exits of the deal's new events (which commitment let it leave each stage)."""
    return [
        {"deal_id": deal.id, "stage": stage, "commitment": number, "at": e.at}
        for e in deal.new_events
        for stage, number in e.payload.get("exits", ())
    ]


def _stage_events(prior: list[dict[str, Any]], deal: Deal) -> list[dict[str, Any]]:
    """The deal's stage events once its new ones are written, in the order the table gives
    them: by time, then by id, which grows with each insert (the sort is stable)."""
    added = [_event_row(e) for e in deal.new_events if e.type in STAGE_EVENTS]
    return sorted([*prior, *added], key=lambda e: e["at"])


def _event_row(e: Any) -> dict[str, Any]:
    """An event (or an event row as read) as the events table holds it, less its ids."""
    return {"type": e.type, "at": e.at, "actor": e.actor, "payload": e.payload}


def _document(rows: ChildRows, events: list[dict[str, Any]]) -> str:
    """`deals.children`: the child rows as `deal_document` reads them (what the database
    builds from the tables), less the deal id they all share; events numbered in order."""
    lists: dict[str, list[dict[str, Any]]] = {
        str(table.name): [{k: v for k, v in row.items() if k != "deal_id"} for row in by.values()]
        for table, by in rows.items()
    }
    lists["events"] = [{"id": n, **e} for n, e in enumerate(events, start=1)]
    return orjson.dumps(lists).decode()


# Statements built once: values given as parameters, not in the statement, so SQLAlchemy
# finds it in its cache without walking every value (a fifth of a deal's creation).
_INSERT_DEAL = insert(t.deals).returning(t.deals.c.id)

_UPDATE_DEAL = (
    update(t.deals)
    .where(t.deals.c.id == bindparam("b_id"), t.deals.c.version == bindparam("b_version"))
    .values(version=bindparam("b_version") + 1)
)


@cache
def _insert(table: Table) -> Any:
    return insert(table)


@cache
def _update_child(table: Table) -> Any:
    return update(table).where(
        table.c.deal_id == bindparam("b_deal_id"), table.c.number == bindparam("b_number")
    )


def _deal_values(deal: Deal) -> dict[str, Any]:
    return {
        # Shallow: asdict() deep-copies every date, a tenth of a save's CPU.
        **vars(signals_of(deal)),
        "name": deal.name,
        "account": deal.account,
        "owner": deal.owner,
        "stage": deal.stage,
        "amount": deal.amount,
        "close_date": deal.close_date,
        "created_at": deal.created_at,
        "stage_entered_at": deal.stage_entered_at,
        "close_reason": deal.close_reason,
        "external_id": deal.external_id,
        "override_reason": deal.override_reason,
    }


def _commitment_values(deal: Deal, c: Commitment) -> dict[str, Any]:
    return {
        "deal_id": deal.id,
        "number": c.number,
        "party": c.party.value,
        "action": c.action,
        "kind": c.kind,
        "rung_level": c.rung_level,
        "person": c.person,
        "due": c.due,
        "status": c.status.value,
        "created_at": c.created_at,
        "obtained_at": c.obtained_at,
        "kept_on": c.kept_on,
        "lost_at": c.lost_at,
        "interaction": c.interaction,
        "source": c.source,
    }


# Stored values to members by dictionary: calling the Enum class costs more, once per row read.
_ROLES = {m.value: m for m in Role}
_INTERACTION_KINDS = {m.value: m for m in InteractionKind}
_PARTIES = {m.value: m for m in Party}
_STATUSES = {m.value: m for m in Status}


def _commitment(c: Any) -> Commitment:
    return Commitment(
        number=c.number,
        party=_PARTIES[c.party],
        action=c.action,
        status=_STATUSES[c.status],
        created_at=c.created_at,
        kind=c.kind,
        rung_level=c.rung_level,
        person=c.person,
        due=c.due,
        obtained_at=c.obtained_at,
        kept_on=c.kept_on,
        lost_at=c.lost_at,
        interaction=c.interaction,
        source=c.source,
    )


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
