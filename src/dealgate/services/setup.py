"""Creating or upgrading a database and loading its process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from dealgate.domain.process import Process
from dealgate.processes import DEFAULT_PROCESS_PATH, load_process
from dealgate.store.db import upgrade
from dealgate.store.deal_document import fill_documents
from dealgate.store.process_store import digest_of
from dealgate.store.unit_of_work import UnitOfWork


@dataclass
class InitResult:
    process: Process
    loaded: bool  # false when the same process was already active
    warnings: list[str] = field(default_factory=list)


def init_database(engine: Engine, now: datetime, process_file: Path | None = None) -> InitResult:
    path = process_file or DEFAULT_PROCESS_PATH
    process = load_process(path)  # validate before touching the database
    source = path.read_text(encoding="utf-8")
    upgrade(engine)
    warnings = [
        f"Stage '{s.key}' has an empty exit menu: no buyer commitment can move a deal out of it."
        for s in process.stages
        if not s.exit
    ]
    with UnitOfWork(engine) as uow:
        loaded = False
        if uow.processes.active_digest() != digest_of(source):
            uow.processes.load(process, source, now)
            loaded = True
        # Deals stored before documents existed (or whose bulk writes were interrupted)
        # get theirs, so that their reads are one row too.
        fill_documents(uow.connection)
        uow.commit()
    return InitResult(process, loaded, warnings)
