"""Pipeline review: the flags of one deal as of a given time (DESIGN.md §3).

This is the pure reference. `store/review_sql.py` computes the same flags for a whole
pipeline in the database; a property test holds the two to the same answers.

"As of" evaluates the records it is given at the given time: time-based rules (stalled,
overdue) use it as now. For a past moment, give it the deal as it was then (`as_of.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dealgate.domain.commitment import LOST_STATUSES, Commitment, Status
from dealgate.domain.deal import Deal
from dealgate.domain.ladder import Rung
from dealgate.domain.process import CLOSED_STAGES, Process

STALLED = "stalled"
OVERDUE = "overdue"
BROKEN = "broken"
CONTINUATION_STREAK = "continuation_streak"
SELLER_ONLY = "seller_only"
UNEVIDENCED_STAGE = "unevidenced_stage"
RUNG_REGRESSION = "rung_regression"
EASY_COMMITMENT = "easy_commitment"
OVERRIDDEN = "overridden"

FLAG_CODES = (
    STALLED,
    OVERDUE,
    BROKEN,
    CONTINUATION_STREAK,
    SELLER_ONLY,
    UNEVIDENCED_STAGE,
    RUNG_REGRESSION,
    EASY_COMMITMENT,
    OVERRIDDEN,
)
DEFAULT_STREAK = 3


# Plain slotted dataclasses: the pipeline review builds one per deal, and frozen ones cost 2x.
@dataclass(slots=True)
class Flag:
    code: str
    facts: dict[str, Any]

    @property
    def message(self) -> str:
        return describe(self.code, self.facts)


@dataclass(slots=True)
class DealReview:
    deal_id: int
    name: str
    account: str
    owner: str
    stage: str
    amount: Decimal | None
    highest_rung: int | None  # the highest rung the buyer holds (obtained or kept)
    evidenced_stage: str
    flags: tuple[Flag, ...] = ()

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.flags]

    @property
    def evidenced(self) -> bool:
        return UNEVIDENCED_STAGE not in self.codes


def read_from_notes(process: Process, evidenced: str, notes_rung: int | None) -> str | None:
    """The stage a deal's commitments read from notes would evidence once a person confirms
    them (`notes_rung`: the highest of their rungs), when that is further than what its held
    commitments evidence (`evidenced`); None when the notes add nothing."""
    if notes_rung is None:
        return None
    stage = process.evidenced_stage(Rung.from_level(notes_rung))
    return stage if process.position(stage) > process.position(evidenced) else None


def notes_back_claim(process: Process, claimed: str, notes_rung: int | None) -> bool:
    """Whether a deal's commitments read from notes (their highest rung), once a person
    confirms them, back the stage it claims."""
    return notes_rung is not None and process.backs(claimed, Rung.from_level(notes_rung))


def review_deal(
    deal: Deal, process: Process, as_of: datetime, streak: int = DEFAULT_STREAK
) -> DealReview:
    assert deal.id is not None
    buyer = [c for c in deal.commitments if c.is_buyer]
    obtained = [c for c in buyer if c.obtained_at is not None]
    last_obtained = max((c.obtained_at for c in obtained if c.obtained_at), default=None)
    held_levels = [c.rung_level for c in buyer if c.is_held and c.rung_level is not None]
    highest = max(held_levels, default=None)
    rung = Rung.from_level(highest) if highest else None
    evidenced = process.evidenced_stage(rung)
    flags: list[Flag] = []
    if deal.stage not in CLOSED_STAGES:
        stage = process.stage(deal.stage)
        flags += _stalled(stage.stall_after_days, last_obtained, deal.stage_entered_at, as_of)
        flags += _overdue(buyer, as_of.date())
        flags += _broken(buyer, last_obtained)
        flags += _streak(deal, streak)
        flags += _seller_only(deal.commitments, last_obtained)
        if not process.backs(deal.stage, rung):
            flags.append(
                Flag(
                    UNEVIDENCED_STAGE,
                    {
                        "claimed_stage": deal.stage,
                        "evidenced_stage": evidenced,
                        "highest_rung": rung.value if rung else None,
                    },
                )
            )
        flags += _regression(obtained, highest)
        flags += _easy(deal, process)
        if deal.override_reason is not None:
            flags.append(Flag(OVERRIDDEN, {"reason": deal.override_reason}))
    return DealReview(
        deal_id=deal.id,
        name=deal.name,
        account=deal.account,
        owner=deal.owner,
        stage=deal.stage,
        amount=deal.amount,
        highest_rung=highest,
        evidenced_stage=evidenced,
        flags=tuple(flags),
    )


def _stalled(
    stall_after_days: int | None,
    last_obtained: datetime | None,
    entered: datetime,
    as_of: datetime,
) -> list[Flag]:
    if stall_after_days is None:
        return []
    since = max(last_obtained, entered) if last_obtained else entered
    if since >= as_of - timedelta(days=stall_after_days):
        return []
    return [
        Flag(
            STALLED,
            {
                "since": since.isoformat(),
                "days_without_buyer_commitment": (as_of - since).days,
                "stall_after_days": stall_after_days,
            },
        )
    ]


def _overdue(buyer: list[Commitment], today: date) -> list[Flag]:
    late = sorted(
        (c for c in buyer if c.status is Status.OBTAINED and c.due is not None and c.due < today),
        key=lambda c: c.number,
    )
    if not late:
        return []
    oldest = min(c.due for c in late if c.due is not None)
    return [
        Flag(
            OVERDUE,
            {
                "commitments": [c.number for c in late],
                "oldest_due": oldest.isoformat(),
                "days_overdue": (today - oldest).days,
            },
        )
    ]


def _broken(buyer: list[Commitment], last_obtained: datetime | None) -> list[Flag]:
    # Broken or withdrawn, and no buyer commitment obtained at or after that moment.
    lost = sorted(
        (
            c
            for c in buyer
            if c.status in LOST_STATUSES
            and c.lost_at is not None
            and (last_obtained is None or c.lost_at > last_obtained)
        ),
        key=lambda c: c.number,
    )
    if not lost:
        return []
    return [Flag(BROKEN, {"commitments": [c.number for c in lost]})]


def _streak(deal: Deal, streak: int) -> list[Flag]:
    recent = sorted(deal.interactions, key=lambda i: (i.on, i.number))[-streak:]
    if len(recent) < streak:
        return []
    if any(i.client_declined or _produced_buyer_evidence(deal, i.number) for i in recent):
        return []
    return [
        Flag(
            CONTINUATION_STREAK,
            {"last": len(recent), "since": recent[0].on.isoformat()},
        )
    ]


def _produced_buyer_evidence(deal: Deal, interaction: int) -> bool:
    return any(c.is_buyer and c.is_held and c.interaction == interaction for c in deal.commitments)


def _seller_only(commitments: list[Commitment], last_obtained: datetime | None) -> list[Flag]:
    after = [c for c in commitments if last_obtained is None or c.created_at > last_obtained]
    if not after or any(c.is_buyer for c in after):
        return []
    return [
        Flag(
            SELLER_ONLY,
            {
                "seller_commitments": len(after),
                "since": last_obtained.isoformat() if last_obtained else None,
            },
        )
    ]


def _regression(obtained: list[Commitment], highest: int | None) -> list[Flag]:
    ranked = [c for c in obtained if c.rung_level is not None]
    if not ranked or highest is None:
        return []
    newest = max(ranked, key=lambda c: (c.obtained_at, c.number))
    assert newest.rung_level is not None
    if newest.rung_level >= highest:
        return []
    return [
        Flag(
            RUNG_REGRESSION,
            {
                "newest_commitment": newest.number,
                "newest_rung": Rung.from_level(newest.rung_level).value,
                "highest_rung_won": Rung.from_level(highest).value,
            },
        )
    ]


def _easy(deal: Deal, process: Process) -> list[Flag]:
    easy: list[list[Any]] = []
    for move in deal.history:
        for stage_key, number in move.exits:
            expected = (
                process.expected_rung(process.stage(stage_key))
                if stage_key not in CLOSED_STAGES and process.has_stage(stage_key)
                else None
            )
            found = [c for c in deal.commitments if c.number == number]
            level = found[0].rung_level if found else None
            if expected is not None and level is not None and level < expected.level:
                easy.append([stage_key, number, Rung.from_level(level).value, expected.value])
    if not easy:
        return []
    return [Flag(EASY_COMMITMENT, {"exits": sorted(easy, key=lambda e: (e[1], e[0]))})]


def describe(code: str, facts: dict[str, Any]) -> str:
    """One line a manager can check against the deal."""
    match code:
        case "stalled":
            return (
                f"No new buyer commitment for {facts['days_without_buyer_commitment']} days "
                f"(limit {facts['stall_after_days']})."
            )
        case "overdue":
            return (
                f"Buyer commitment {_numbers(facts['commitments'])} past due since "
                f"{facts['oldest_due']} ({facts['days_overdue']} days) and not kept."
            )
        case "broken":
            return (
                f"Buyer commitment {_numbers(facts['commitments'])} broken or withdrawn and "
                "nothing replaced it."
            )
        case "continuation_streak":
            return (
                f"The last {facts['last']} interactions since {facts['since']} "
                "produced no buyer commitment."
            )
        case "seller_only":
            return (
                f"{facts['seller_commitments']} seller promise(s) and no buyer commitment since "
                f"{facts['since'][:10] if facts['since'] else 'the deal opened'}."
            )
        case "unevidenced_stage":
            return (
                f"Claimed '{facts['claimed_stage']}' but the buyer's commitments only justify "
                f"'{facts['evidenced_stage']}' (highest rung: {facts['highest_rung'] or 'none'})."
            )
        case "rung_regression":
            return (
                f"Newest buyer commitment ({facts['newest_rung']}) is below one already won "
                f"({facts['highest_rung_won']})."
            )
        case "easy_commitment":
            parts = [f"left {s} on {r} (expects {e})" for s, _, r, e in facts["exits"]]
            return "Exited on a lower rung than the stage expects: " + "; ".join(parts) + "."
        case "overridden":
            return f"Passed a gate by manager override: {facts['reason']}"
    return code


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def stage_weight(process: Process, stage: str) -> float:
    """Probability by stage position, the usual CRM weighting: later stages weigh more."""
    if stage == "won":
        return 1.0
    if stage == "lost":
        return 0.0
    return (process.position(stage) + 1) / (len(process.stages) + 1)


@dataclass(frozen=True)
class Forecast:
    by_stage: Decimal
    by_evidence: Decimal

    @property
    def resting_on_claims(self) -> Decimal:
        return self.by_stage - self.by_evidence


def forecast(process: Process, reviews: list[DealReview]) -> Forecast:
    """Weighted pipeline value by claimed stage beside the same by evidenced stage."""
    by_stage = Decimal(0)
    by_evidence = Decimal(0)
    weight = {key: Decimal(str(round(stage_weight(process, key), 4))) for key in process.stage_keys}
    for r in reviews:
        if r.stage in CLOSED_STAGES or r.amount is None:
            continue
        evidenced = r.evidenced_stage
        if process.position(evidenced) > process.position(r.stage):
            evidenced = r.stage  # evidence ahead of the CRM does not inflate the forecast
        by_stage += r.amount * weight[r.stage]
        by_evidence += r.amount * weight[evidenced]
    return Forecast(by_stage.quantize(Decimal("0.01")), by_evidence.quantize(Decimal("0.01")))


@dataclass(frozen=True)
class DealSignals:
    """What the review rules read from a deal's commitments and interactions, in a few values.

    Storage keeps these beside each deal, current on every write, so the pipeline review reads
    one row per deal instead of every commitment.
    """

    last_buyer_obtained_at: datetime | None
    highest_rung: int | None
    open_due_min: date | None  # earliest due date of an obtained, not yet kept, commitment
    last_lost_at: datetime | None
    last_seller_created_at: datetime | None
    last_buyer_created_at: datetime | None
    newest_commitment: int | None  # the newest obtained buyer commitment with a rung
    newest_rung: int | None
    streak_since: date | None  # set when the last DEFAULT_STREAK interactions were continuations


def signals_of(deal: Deal) -> DealSignals:
    buyer = [c for c in deal.commitments if c.is_buyer]
    seller = [c for c in deal.commitments if not c.is_buyer]
    obtained = [c for c in buyer if c.obtained_at is not None]
    ranked = [c for c in obtained if c.rung_level is not None]
    newest = max(ranked, key=lambda c: (c.obtained_at, c.number)) if ranked else None
    held = [c.rung_level for c in buyer if c.is_held and c.rung_level is not None]
    open_dues = [c.due for c in buyer if c.status is Status.OBTAINED and c.due is not None]
    lost = [c.lost_at for c in buyer if c.status in LOST_STATUSES and c.lost_at is not None]
    streak = _streak(deal, DEFAULT_STREAK)
    return DealSignals(
        last_buyer_obtained_at=max(
            (c.obtained_at for c in obtained if c.obtained_at), default=None
        ),
        highest_rung=max(held, default=None),
        open_due_min=min(open_dues, default=None),
        last_lost_at=max(lost, default=None),
        last_seller_created_at=max((c.created_at for c in seller), default=None),
        last_buyer_created_at=max((c.created_at for c in buyer), default=None),
        newest_commitment=newest.number if newest else None,
        newest_rung=newest.rung_level if newest else None,
        streak_since=date.fromisoformat(streak[0].facts["since"]) if streak else None,
    )
