"""Plain-data views of domain objects, shared by the CLI's --json and the API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dealgate.domain.audit import Finding
from dealgate.domain.coaching import Ask, DealCoaching, RepCoaching, metric_values
from dealgate.domain.commitment import Commitment
from dealgate.domain.deal import Deal, Note
from dealgate.domain.events import Event, StageMove
from dealgate.domain.gate import GateVerdict
from dealgate.domain.interaction import Interaction, Outcome
from dealgate.domain.ladder import Rung
from dealgate.domain.process import Process
from dealgate.domain.process_change import ProcessLoad
from dealgate.domain.review import DealReview
from dealgate.domain.stakeholder import Stakeholder
from dealgate.services.review import PipelineChanges, PipelineReview
from dealgate.store.confirm_queue import Waiting


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def money_display(value: Decimal | None) -> str | None:
    """For people: 217,000 rather than 217000.00."""
    if value is None:
        return None
    return f"{value:,.0f}" if value == value.to_integral() else f"{value:,.2f}"


def deal_summary(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.id,
        "name": deal.name,
        "account": deal.account,
        "owner": deal.owner,
        "stage": deal.stage,
        "amount": money(deal.amount),
        "close_date": iso(deal.close_date),
        "created_at": iso(deal.created_at),
        "stage_entered_at": iso(deal.stage_entered_at),
        "close_reason": deal.close_reason,
        "version": deal.version,
    }


def stakeholder_view(s: Stakeholder) -> dict[str, Any]:
    return {
        "number": s.number,
        "name": s.name,
        "role": s.role.value,
        "title": s.title,
        "notes": s.notes,
    }


def commitment_view(c: Commitment) -> dict[str, Any]:
    # The rung the commitment was recorded on: the same one the review counts.
    rung = Rung.from_level(c.rung_level) if c.rung_level else None
    return {
        "number": c.number,
        "party": c.party.value,
        "action": c.action,
        "kind": c.kind,
        "rung": rung.value if rung else None,
        "person": c.person,
        "due": iso(c.due),
        "status": c.status.value,
        "created_at": iso(c.created_at),
        "obtained_at": iso(c.obtained_at),
        "kept_on": iso(c.kept_on),
        "interaction": c.interaction,
        "source": c.source,
    }


def interaction_view(i: Interaction, outcome: Outcome) -> dict[str, Any]:
    return {
        "number": i.number,
        "kind": i.kind.value,
        "on": iso(i.on),
        "summary": i.summary,
        "client_declined": i.client_declined,
        "outcome": outcome.value,
    }


def move_view(m: StageMove, deal: Deal, process: Process) -> dict[str, Any]:
    justified_by: list[dict[str, Any]] = []
    for number in m.commitments:
        found = [c for c in deal.commitments if c.number == number]
        justified_by.extend(commitment_view(c) for c in found)
    return {
        "at": iso(m.at),
        "actor": m.actor,
        "from": m.from_stage,
        "to": m.to_stage,
        "commitments": list(m.commitments),
        "justified_by": justified_by,
        "override_reason": m.override_reason,
        "reason": m.reason,
        "skipped": list(m.skipped),
    }


def verdict_view(v: GateVerdict, process: Process) -> dict[str, Any]:
    return {
        "from": v.from_stage,
        "next_stage": v.to_stage,
        "can_advance": v.allowed,
        "exit_menu": [
            {"kind": k, "rung": process.kinds[k].rung.value, "label": process.kinds[k].label}
            for k in v.exit_menu
            if k in process.kinds
        ],
        "justifying": list(v.justifying),
        "violations": [
            {"code": x.code, "stage": x.stage, "field": x.field, "message": x.message}
            for x in v.violations
        ],
    }


def event_view(e: Event) -> dict[str, Any]:
    return {"at": iso(e.at), "actor": e.actor, "type": e.type, "payload": e.payload}


def note_view(n: Note) -> dict[str, Any]:
    return {"text": n.text, "at": iso(n.at), "actor": n.actor}


def deal_detail(deal: Deal, process: Process, verdict: GateVerdict) -> dict[str, Any]:
    return {
        **deal_summary(deal),
        "stakeholders": [stakeholder_view(s) for s in deal.stakeholders],
        "commitments": [commitment_view(c) for c in deal.commitments],
        "interactions": [interaction_view(i, deal.outcome(i)) for i in deal.interactions],
        "dissatisfaction": [note_view(n) for n in deal.dissatisfaction],
        "stage_history": [move_view(m, deal, process) for m in deal.history],
        "gate": verdict_view(verdict, process),
        "overridden": deal.overridden,
    }


def process_view(process: Process) -> dict[str, Any]:
    return {
        "name": process.name,
        "stages": [
            {
                "key": s.key,
                "name": s.name,
                "exit": [
                    {
                        "kind": k,
                        "rung": process.kinds[k].rung.value,
                        "label": process.kinds[k].label,
                    }
                    for k in s.exit
                ],
                "requires": list(s.requires),
                "stall_after_days": s.stall_after_days,
                "accepts_earlier": s.accepts_earlier,
            }
            for s in process.stages
        ],
        "kinds": [
            {"key": k.key, "rung": k.rung.value, "level": k.rung.level, "label": k.label}
            for k in sorted(process.kinds.values(), key=lambda k: (k.rung.level, k.key))
        ],
    }


def review_view(r: PipelineReview) -> dict[str, Any]:
    return {
        "as_of": iso(r.as_of),
        "summary": review_summary_view(r),
        "deals": [deal_review_view(d) for d in r.shown],
    }


def review_changes_view(r: PipelineChanges) -> dict[str, Any]:
    return {
        "since": iso(r.since),
        "until": iso(r.until),
        "flags": {
            code: {"added": added, "cleared": cleared}
            for code, (added, cleared) in r.flag_moves.items()
        },
        "deals": [
            {
                "id": c.deal_id,
                "name": c.name,
                "owner": c.owner,
                "stage_then": c.stage_then,
                "stage_now": c.stage_now or r.stages.get(c.deal_id),
                "in_review_now": c.stage_now is not None,
                "added": list(c.added),
                "cleared": list(c.cleared),
            }
            for c in r.changes
        ],
    }


def review_summary_view(r: PipelineReview) -> dict[str, Any]:
    f = r.forecast
    return {
        "deals_reviewed": len(r.deals),
        "deals_with_only_inferred_evidence": r.inferred_only,
        "flag_counts": r.flag_counts,
        "value_evidenced": money(r.value_evidenced),
        "value_claimed": money(r.value_claimed),
        "forecast_by_stage": money(f.by_stage),
        "forecast_by_evidence": money(f.by_evidence),
        "forecast_resting_on_claims": money(f.resting_on_claims),
    }


def deal_review_view(d: DealReview) -> dict[str, Any]:
    return {
        "id": d.deal_id,
        "name": d.name,
        "account": d.account,
        "owner": d.owner,
        "stage": d.stage,
        "amount": money(d.amount),
        "evidenced_stage": d.evidenced_stage,
        "highest_rung": Rung.from_level(d.highest_rung).value if d.highest_rung else None,
        "flags": [{"code": f.code, "message": f.message, "facts": f.facts} for f in d.flags],
    }


def load_view(load: ProcessLoad) -> dict[str, Any]:
    return {"process": load.name, "at": iso(load.at), "by": load.by, "moves": load.moves}


def finding_view(f: Finding) -> dict[str, Any]:
    return {"code": f.code, "severity": f.severity.value, "stage": f.stage, "message": f.message}


def ask_view(a: Ask | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "kind": a.kind.key,
        "rung": a.kind.rung.value,
        "label": a.kind.label,
        "exits_stage": a.stage,
        "ask": stakeholder_view(a.ask) if a.ask else None,
        "sentence": a.sentence(),
    }


def deal_coaching_view(c: DealCoaching) -> dict[str, Any]:
    return {
        "deal": c.deal_id,
        "stage": c.stage,
        "can_advance_now": c.can_advance_now,
        "primary": ask_view(c.primary),
        "fallback": ask_view(c.fallback),
        "prerequisites_missing": [
            {"requires": v.field.removeprefix("requires."), "stage": v.stage, "message": v.message}
            for v in c.prerequisites_missing
        ],
    }


def rep_coaching_view(c: RepCoaching) -> dict[str, Any]:
    m = c.metrics
    return {
        "rep": m.rep,
        "interactions": m.interactions,
        "asks": m.asks,
        "obtained": m.obtained,
        "waiting": m.waiting,
        "metrics": metric_values(m),
        "team_median": c.team_median,
        "rungs_asked": m.rungs_asked,
        "verdict": c.verdict,
        "reasons": c.reasons,
    }


def waiting_view(w: Waiting) -> dict[str, Any]:
    """A commitment read from text, waiting for a person to confirm or reject it."""
    return {
        "deal_id": w.deal_id,
        "deal": w.deal,
        "account": w.account,
        "owner": w.owner,
        "stage": w.stage,
        "amount": money(w.amount),
        "number": w.number,
        "party": w.party,
        "kind": w.kind,
        "person": w.person,
        "action": w.action,
        "due": iso(w.due),
        "source": w.source,
        "committee": list(w.committee),
        "likely": w.to_name,
    }
