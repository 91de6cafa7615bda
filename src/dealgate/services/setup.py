"""Creating or upgrading a database and loading its process."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from dealgate.domain.process import Process
from dealgate.domain.process_change import ProcessChange, ProcessLoad, plan_process_change
from dealgate.processes import DEFAULT_PROCESS_PATH, load_process, parse_process
from dealgate.services.review import PipelineReview
from dealgate.store.db import upgrade
from dealgate.store.deal_document import fill_documents
from dealgate.store.process_store import digest_of
from dealgate.store.review_sql import review_pipeline
from dealgate.store.unit_of_work import UnitOfWork


@dataclass
class InitResult:
    process: Process
    loaded: bool  # false when the same process was already active
    change: ProcessChange
    warnings: list[str] = field(default_factory=list)


def init_database(
    engine: Engine,
    now: datetime,
    process_file: Path | None = None,
    moves: Mapping[str, str] | None = None,
    actor: str = "dealgate",
) -> InitResult:
    """`moves`: for each stage the process loaded leaves out, the stage its open deals go to
    (needed only for stages deals stand in). Refused with nothing changed when one is missing."""
    path = process_file or DEFAULT_PROCESS_PATH
    process = load_process(path)  # validate before touching the database
    source = path.read_text(encoding="utf-8")
    upgrade(engine)
    return _activate(engine, now, process, source, moves, actor)


def load_process_text(
    engine: Engine, now: datetime, source: str, moves: Mapping[str, str], actor: str
) -> InitResult:
    """A process file's text, edited on the pages, made the active process (as `init` does)."""
    return _activate(engine, now, parse_process(source, "the process"), source, moves, actor)


@dataclass(frozen=True)
class ProcessCheck:
    """What loading a process would do, found by loading it in a transaction rolled back."""

    process: Process
    change: ProcessChange
    flags_before: dict[str, int]  # open deals per review flag, judged by the active process
    flags_after: dict[str, int]  # the same, judged by the process checked


def check_process_text(
    engine: Engine, now: datetime, source: str, moves: Mapping[str, str]
) -> ProcessCheck:
    """What loading this process file would do to the pipeline's review, changing nothing:
    refused as a load would be."""
    process = parse_process(source, "the process")
    with UnitOfWork(engine) as uow:  # never committed: rolled back when it ends
        change = _plan(uow, process, source, moves, uow.processes.active_digest())
        before = _flag_counts(uow, uow.processes.active(), now)
        _apply(uow, process, source, change, now, "check")
        return ProcessCheck(process, change, before, _flag_counts(uow, process, now))


def _flag_counts(uow: UnitOfWork, process: Process, now: datetime) -> dict[str, int]:
    reviewed = review_pipeline(uow.connection, process, now)
    return PipelineReview(now, process, reviewed, None).flag_counts


def process_loads(engine: Engine) -> list[ProcessLoad]:
    """Every load of a process, newest first: who changed the process, when, and how."""
    with UnitOfWork(engine, write=False) as uow:
        return uow.processes.loads()


def process_as_loaded(engine: Engine) -> tuple[Process, str, list[ProcessLoad]]:
    """The active process, its file and every load, newest first, read together."""
    with UnitOfWork(engine, write=False) as uow:
        store = uow.processes
        return store.active(), store.active_source(), store.loads()


def active_source(engine: Engine) -> str:
    """The active process's file, for a team to edit."""
    with UnitOfWork(engine, write=False) as uow:
        return uow.processes.active_source()


def _activate(
    engine: Engine,
    now: datetime,
    process: Process,
    source: str,
    moves: Mapping[str, str] | None,
    actor: str,
) -> InitResult:
    warnings = [
        f"Stage '{s.key}' has an empty exit menu: no buyer commitment can move a deal out of it."
        for s in process.stages
        if not s.exit
    ]
    with UnitOfWork(engine) as uow:
        active = uow.processes.active_digest()
        change = _plan(uow, process, source, moves, active)
        # The same process again loads nothing, unless deals stand where it has no stage.
        loaded = active != digest_of(source) or bool(change.moving)
        if loaded:
            _apply(uow, process, source, change, now, actor)
        # Deals stored before documents existed (or whose bulk writes were interrupted)
        # get theirs, so that their reads are one row too.
        fill_documents(uow.connection)
        uow.commit()
    return InitResult(process, loaded, change, warnings)


def _plan(
    uow: UnitOfWork,
    process: Process,
    source: str,
    moves: Mapping[str, str] | None,
    active: str | None,
) -> ProcessChange:
    """`active`: the digest of the active process's source."""
    old = uow.processes.by_digest(active) if active is not None else None
    standing = uow.deals.per_stage()
    asked = dict(moves or {})
    if active == digest_of(source):
        # The same command run again: the moves it made have nothing left to move.
        asked = {k: v for k, v in asked.items() if not process.has_stage(k) and k in standing}
    return plan_process_change(old, process, standing, asked)


def _apply(
    uow: UnitOfWork,
    process: Process,
    source: str,
    change: ProcessChange,
    now: datetime,
    actor: str,
) -> None:
    """Make `process` the active one and move the deals of the stages it leaves out."""
    uow.processes.load(process, source, now, change.moves, actor)
    for stage, to in change.moves.items():
        if change.moving.get(stage):
            for deal in uow.deals.find(stage=stage):
                deal.restage(to, process, now=now, actor=actor)
                uow.deals.save(deal)
