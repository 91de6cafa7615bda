"""Coaching and audit use cases."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from dealgate.domain.audit import Finding, audit_process
from dealgate.domain.coaching import DealCoaching, RepCoaching, coach_deal, coach_rep
from dealgate.domain.deal import Deal
from dealgate.domain.errors import not_found
from dealgate.domain.process import Process
from dealgate.processes import load_process
from dealgate.store.coaching_sql import team_metrics
from dealgate.store.unit_of_work import UnitOfWork


def audit(engine: Engine | None, process_file: Path | None) -> tuple[Process, list[Finding]]:
    """Audit a process file, or the database's active process when no file is given."""
    if process_file is not None:
        process = load_process(process_file)
    else:
        assert engine is not None
        with UnitOfWork(engine, write=False) as uow:
            process = uow.processes.active()
    return process, audit_process(process)


def coach_for_deal(engine: Engine, deal_id: int) -> tuple[Deal, DealCoaching]:
    with UnitOfWork(engine, write=False) as uow:
        deal, process = uow.load_deal(deal_id)
    return deal, coach_deal(deal, process)


def coach_for_rep(engine: Engine, rep: str, since: datetime | None) -> RepCoaching:
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        process = uow.processes.active()
        team = team_metrics(uow.connection, process, since)
    mine = next((m for m in team if m.rep == rep), None)
    if mine is None:
        reps = ", ".join(m.rep for m in team) or "none"
        raise not_found("rep", rep, f"Reps with deals: {reps}.")
    return coach_rep(mine, team, audit_process(process))


def coach_team(
    engine: Engine, since: datetime | None, owners: frozenset[str] | None
) -> list[RepCoaching]:
    """Every rep in view (`owners`; None: all), measured against every rep with deals: those
    with a shortfall first, the fewest asks per interaction first."""
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        process = uow.processes.active()
        team = team_metrics(uow.connection, process, since)
    findings = audit_process(process)
    coached = [coach_rep(m, team, findings) for m in team if owners is None or m.rep in owners]
    return sorted(coached, key=lambda c: (not c.reasons, c.metrics.ask_rate, c.metrics.rep))


def next_asks(engine: Engine, rep: str, limit: int) -> list[tuple[Deal, DealCoaching]]:
    """What to ask each buyer for next on `rep`'s largest open deals, the largest first."""
    with UnitOfWork(engine, write=False, snapshot=True) as uow:
        process = uow.processes.active()
        deals = uow.deals.largest_open(rep, limit)
    return [(deal, coach_deal(deal, process)) for deal in deals]
