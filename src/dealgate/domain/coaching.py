"""Coaching: the next commitment to ask a buyer for, and how a rep gains commitments."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from dealgate.domain.audit import Finding, has_errors
from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.gate import Violation, missing_prerequisites
from dealgate.domain.ladder import Rung
from dealgate.domain.process import CLOSED_STAGES, CommitmentKind, Process
from dealgate.domain.stakeholder import Role, Stakeholder

# Who on the buying committee is usually best placed to give a commitment on each rung.
BEST_PLACED: dict[Rung, tuple[Role, ...]] = {
    Rung.TIME: (Role.CHAMPION, Role.USER, Role.TECHNICAL),
    Rung.EXPLORE: (Role.CHAMPION, Role.USER, Role.TECHNICAL),
    Rung.CHANGE: (Role.DECISION_MAKER, Role.ECONOMIC_BUYER, Role.CHAMPION),
    Rung.COLLABORATE: (Role.TECHNICAL, Role.CHAMPION, Role.USER),
    Rung.CONSENSUS: (Role.CHAMPION, Role.DECISION_MAKER),
    Rung.INVEST: (Role.ECONOMIC_BUYER, Role.DECISION_MAKER),
    Rung.REVIEW: (Role.CHAMPION, Role.DECISION_MAKER),
    Rung.RESOLVE: (Role.LEGAL, Role.PROCUREMENT, Role.TECHNICAL),
    Rung.DECIDE: (Role.ECONOMIC_BUYER, Role.DECISION_MAKER, Role.PROCUREMENT),
    Rung.EXECUTE: (Role.TECHNICAL, Role.CHAMPION),
}


@dataclass(frozen=True)
class Ask:
    kind: CommitmentKind
    stage: str  # the stage whose exit this commitment is
    ask: Stakeholder | None

    def sentence(self) -> str:
        who = f"{self.ask.name} ({self.ask.role.value})" if self.ask else "the buyer"
        kind = self.kind
        return f"Ask {who} to commit: {kind.label.lower()} [{kind.key}, {kind.rung.value}]."


@dataclass(frozen=True)
class DealCoaching:
    deal_id: int
    stage: str
    can_advance_now: bool
    primary: Ask | None  # the highest the deal can realistically reach: the next stage's exit
    fallback: Ask | None  # the least that still exits the current stage
    # What the deal itself still lacks to leave the stages these asks exit (an economic buyer
    # on the committee, the buyer's dissatisfaction): no commitment makes up for it.
    prerequisites_missing: tuple[Violation, ...] = ()


def coach_deal(deal: Deal, process: Process) -> DealCoaching:
    assert deal.id is not None
    if deal.stage in CLOSED_STAGES:
        return DealCoaching(deal.id, deal.stage, False, None, None)
    current = process.stage(deal.stage)
    following = process.next_stage(current.key)
    verdict = deal.gate(process)
    held = {c.kind for c in deal.commitments if c.is_buyer and c.is_held}

    def pick(menu: tuple[str, ...], highest: bool) -> CommitmentKind | None:
        kinds = [process.kinds[k] for k in menu if k not in held] or [
            process.kinds[k] for k in menu
        ]
        if not kinds:
            return None
        ranked = sorted(kinds, key=lambda k: k.rung.level, reverse=highest)
        return ranked[0]

    primary = fallback = None
    if following is not None and following not in CLOSED_STAGES:
        kind = pick(process.stage(following).exit, highest=True)
        if kind is not None:
            primary = Ask(kind, following, best_placed(deal, kind.rung))
    kind = pick(current.exit, highest=False)
    if kind is not None:
        fallback = Ask(kind, current.key, best_placed(deal, kind.rung))
    if primary is None:  # in the last stage, the exit is the primary ask
        primary, fallback = fallback, None
    exited = [current] + [
        process.stage(a.stage) for a in (primary,) if a is not None and a.stage != current.key
    ]
    missing = tuple(v for stage in exited for v in missing_prerequisites(deal, stage))
    return DealCoaching(deal.id, deal.stage, verdict.allowed, primary, fallback, missing)


def best_placed(deal: Deal, rung: Rung) -> Stakeholder | None:
    for role in BEST_PLACED[rung]:
        for person in deal.stakeholders:
            if person.role is role:
                return person
    return None


@dataclass(frozen=True)
class RepMetrics:
    rep: str
    interactions: int
    asks: int  # buyer commitments recorded, whatever came of them: each was asked for
    obtained: int
    seller_commitments: int
    commitments: int
    continuations: int
    rungs_asked: dict[str, int] = field(default_factory=dict)
    waiting: int = 0  # read from notes (inferred), not counted above until a person confirms

    @property
    def ask_rate(self) -> float:
        return self.asks / self.interactions if self.interactions else 0.0

    @property
    def yield_(self) -> float:
        return self.obtained / self.asks if self.asks else 0.0

    @property
    def seller_only_share(self) -> float:
        return self.seller_commitments / self.commitments if self.commitments else 0.0

    @property
    def continuation_ratio(self) -> float:
        return self.continuations / self.interactions if self.interactions else 0.0

    @property
    def mean_rung_asked(self) -> float:
        total = sum(self.rungs_asked.values())
        if not total:
            return 0.0
        return sum(Rung(r).level * n for r, n in self.rungs_asked.items()) / total


NOT_ASKED = frozenset({Status.INFERRED, Status.REJECTED})


def rep_metrics(
    rep: str, deals: list[Deal], process: Process, since: datetime | None
) -> RepMetrics:
    interactions = asks = obtained = seller = commitments = continuations = waiting = 0
    rungs: Counter[str] = Counter()
    for deal in deals:
        for i in deal.interactions:
            if since is None or i.created_at >= since:
                interactions += 1
                continuations += deal.outcome(i).value == "continuation"
        for c in deal.commitments:
            if since is not None and c.created_at < since:
                continue
            waiting += c.status is Status.INFERRED
            if c.status in NOT_ASKED:
                continue
            commitments += 1
            if c.party is Party.SELLER:
                seller += 1
                continue
            asks += 1
            obtained += c.obtained_at is not None
            rung = process.rung_of(c.kind)
            if rung is not None:
                rungs[rung.value] += 1
    ordered = dict(sorted(rungs.items(), key=lambda kv: Rung(kv[0]).level))
    return RepMetrics(
        rep, interactions, asks, obtained, seller, commitments, continuations, ordered, waiting
    )


@dataclass(frozen=True)
class RepCoaching:
    metrics: RepMetrics
    team_median: dict[str, float]
    verdict: str  # process | unconfirmed | commitment_gaining | neither
    reasons: list[str]


METRIC_NAMES = ("ask_rate", "yield", "seller_only_share", "continuation_ratio", "mean_rung_asked")


def metric_values(m: RepMetrics) -> dict[str, float]:
    return {
        "ask_rate": m.ask_rate,
        "yield": m.yield_,
        "seller_only_share": m.seller_only_share,
        "continuation_ratio": m.continuation_ratio,
        "mean_rung_asked": m.mean_rung_asked,
    }


def coach_rep(rep: RepMetrics, team: list[RepMetrics], findings: list[Finding]) -> RepCoaching:
    """Say whether a shortfall looks like the process or the rep's commitment gaining."""
    values = [metric_values(m) for m in team] or [metric_values(rep)]
    median = {name: statistics.median(v[name] for v in values) for name in METRIC_NAMES}
    mine = metric_values(rep)
    reasons: list[str] = []
    if has_errors(findings):
        errors = [f.message for f in findings if f.severity.value == "error"]
        return RepCoaching(rep, median, "process", errors)
    if rep.waiting > rep.commitments:
        # An imported pipeline's notes, not yet confirmed: judging its asks would blame the
        # rep for what nobody has read yet.
        return RepCoaching(
            rep,
            median,
            "unconfirmed",
            [
                f"{rep.waiting} commitments read from their notes wait for a person to "
                f"confirm them, against {rep.commitments} recorded or confirmed: confirm or "
                "reject them first; until then their asks and yield cannot be judged."
            ],
        )
    if mine["ask_rate"] < 0.5 or mine["ask_rate"] < 0.75 * median["ask_rate"]:
        reasons.append(
            f"Asks too rarely: {mine['ask_rate']:.2f} buyer asks per interaction "
            f"(team median {median['ask_rate']:.2f}). End every meeting with a concrete ask."
        )
    if mine["mean_rung_asked"] and mine["mean_rung_asked"] < median["mean_rung_asked"] - 1:
        reasons.append(
            f"Asks too low on the ladder: mean rung {mine['mean_rung_asked']:.1f} "
            f"(team median {median['mean_rung_asked']:.1f}). Ask for the next stage's exit first."
        )
    if mine["seller_only_share"] > max(0.5, median["seller_only_share"] * 1.5):
        reasons.append(
            f"{mine['seller_only_share']:.0%} of commitments are the rep's own promises "
            f"(team median {median['seller_only_share']:.0%}); trade each for a buyer action."
        )
    verdict = "commitment_gaining" if reasons else "neither"
    return RepCoaching(rep, median, verdict, reasons)
