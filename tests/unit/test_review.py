"""Review flags, each a business rule with the facts a person can check (DESIGN.md §3)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.interaction import InteractionKind
from dealgate.domain.review import (
    describe,
    forecast,
    notes_back_claim,
    read_from_notes,
    review_deal,
)
from dealgate.domain.stakeholder import Role
from dealgate.processes import load_process
from tests.builders import PROCESS, a_deal, at, buyer_commits, seller_promises

RELAXED = load_process(Path(__file__).parents[1] / "data" / "review_process.toml")


def _flags(deal: Deal, days: float, process: object = PROCESS) -> dict[str, dict[str, object]]:
    deal.id = deal.id or 1
    review = review_deal(deal, process, at(days))  # type: ignore[arg-type]
    return {f.code: f.facts for f in review.flags}


def test_a_deal_with_a_fresh_buyer_commitment_has_no_flags() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1)
    assert _flags(deal, 3) == {}


def test_no_new_buyer_commitment_past_the_stall_limit_is_stalled() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1)
    assert "stalled" not in _flags(deal, 15)
    facts = _flags(deal, 15.5)["stalled"]
    assert facts["days_without_buyer_commitment"] == 14 and facts["stall_after_days"] == 14


def test_a_stall_counts_from_entering_the_stage_when_that_is_later() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1)
    deal.advance(PROCESS, now=at(10), actor="alice")
    assert "stalled" not in _flags(deal, 20)
    assert "stalled" in _flags(deal, 24.5)


def test_an_obtained_commitment_past_due_and_not_kept_is_overdue() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1, due=date(2026, 3, 5))
    assert "overdue" not in _flags(deal, 3)
    assert _flags(deal, 5)["overdue"] == {
        "commitments": [1],
        "oldest_due": "2026-03-05",
        "days_overdue": 2,
    }


def test_a_kept_commitment_is_never_overdue() -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", when=1, due=date(2026, 3, 5))
    deal.set_commitment_status(c.number, Status.KEPT, now=at(4), actor="alice")
    assert "overdue" not in _flags(deal, 10)


def test_a_broken_commitment_nothing_replaced_is_flagged_broken() -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", when=1)
    deal.set_commitment_status(c.number, Status.BROKEN, now=at(2), actor="alice")
    assert _flags(deal, 3)["broken"] == {"commitments": [1]}
    buyer_commits(deal, "intro_call_booked", when=2.5)
    assert "broken" not in _flags(deal, 3)


def test_three_interactions_without_buyer_commitment_are_a_continuation_streak() -> None:
    deal = a_deal()
    for day in (1, 2, 3):
        deal.add_interaction(
            kind=InteractionKind.CALL, on=at(day).date(), summary="Chat", now=at(day), actor="alice"
        )
    assert _flags(deal, 4)["continuation_streak"] == {"last": 3, "since": "2026-03-03"}


def test_an_advance_among_the_last_interactions_breaks_the_streak() -> None:
    deal = a_deal()
    for day in (1, 2, 3):
        i = deal.add_interaction(
            kind=InteractionKind.CALL, on=at(day).date(), summary="Chat", now=at(day), actor="alice"
        )
    c = buyer_commits(deal, "first_meeting_accepted", when=3)
    c.interaction = i.number
    assert "continuation_streak" not in _flags(deal, 4)


def test_only_seller_promises_since_the_last_buyer_commitment_is_seller_only() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1)
    seller_promises(deal, when=2)
    seller_promises(deal, when=3)
    facts = _flags(deal, 4)["seller_only"]
    assert facts["seller_commitments"] == 2 and str(facts["since"]).startswith("2026-03-03")


def test_asking_the_buyer_for_something_is_not_seller_only() -> None:
    deal = a_deal()
    seller_promises(deal, when=2)
    buyer_commits(deal, "intro_call_booked", when=3, status=Status.ASKED)
    assert "seller_only" not in _flags(deal, 4)


def test_a_stage_beyond_the_buyers_commitments_is_unevidenced() -> None:
    deal = a_deal("propose")
    buyer_commits(deal, "data_shared", when=1)
    assert _flags(deal, 2)["unevidenced_stage"] == {
        "claimed_stage": "propose",
        "evidenced_stage": "change",
        "highest_rung": "explore",
    }


def test_a_newest_commitment_below_one_already_won_is_a_rung_regression() -> None:
    deal = a_deal("propose")
    buyer_commits(deal, "budget_confirmed", when=1)
    buyer_commits(deal, "intro_call_booked", when=2)
    assert _flags(deal, 3)["rung_regression"] == {
        "newest_commitment": 2,
        "newest_rung": "time",
        "highest_rung_won": "invest",
    }


def test_exiting_on_a_rung_below_what_the_stage_expects_is_an_easy_commitment() -> None:
    deal = Deal.open(
        RELAXED, name="D", account="A", owner="alice", now=at(0), actor="alice", stage="discover"
    )
    deal.add_stakeholder(name="Raj Patel", role=Role.CHAMPION, now=at(0), actor="alice")
    deal.add_commitment(
        RELAXED,
        party=Party.BUYER,
        action="Meet",
        kind="first_meeting_accepted",
        person="Raj Patel",
        due=date(2026, 3, 9),
        now=at(1),
        actor="alice",
    )
    deal.advance(RELAXED, now=at(2), actor="alice")
    assert _flags(deal, 3, RELAXED)["easy_commitment"] == {
        "exits": [["discover", 1, "time", "explore"]]
    }


def test_a_manager_override_keeps_the_deal_flagged() -> None:
    deal = a_deal()
    deal.advance(PROCESS, now=at(1), actor="maria", override_reason="Strategic account")
    assert _flags(deal, 2)["overridden"] == {"reason": "Strategic account"}


def test_closed_deals_are_not_flagged() -> None:
    deal = a_deal()
    deal.close_lost("No budget", now=at(1), actor="alice")
    assert _flags(deal, 60) == {}


FLAG_MESSAGES: list[tuple[str, dict[str, object], str]] = [
    (
        "stalled",
        {"days_without_buyer_commitment": 20, "stall_after_days": 14, "since": "x"},
        "20 days",
    ),
    ("overdue", {"commitments": [2], "oldest_due": "2026-03-05", "days_overdue": 2}, "2026-03-05"),
    (
        "unevidenced_stage",
        {"claimed_stage": "propose", "evidenced_stage": "change", "highest_rung": None},
        "'change'",
    ),
]


@pytest.mark.parametrize(("code", "facts", "needle"), FLAG_MESSAGES)
def test_every_flag_reads_as_a_sentence_with_its_facts(
    code: str, facts: dict[str, object], needle: str
) -> None:
    assert needle in describe(code, facts)


def test_the_forecast_by_evidence_discounts_claimed_stages() -> None:
    honest = a_deal("discover")
    buyer_commits(honest, "first_meeting_accepted", when=1)
    claimed = a_deal("decide")
    for d, amount in ((honest, 1000), (claimed, 1000)):
        d.amount = Decimal(amount)
    honest.id, claimed.id = 1, 2
    reviews = [review_deal(d, PROCESS, at(2)) for d in (honest, claimed)]
    result = forecast(PROCESS, reviews)
    assert result.by_stage > result.by_evidence
    assert result.resting_on_claims == result.by_stage - result.by_evidence


# What the held commitments evidence; the highest rung read from notes; what confirming the
# notes would evidence (None: nothing further).
NOTES = {
    "a_first_meeting_in_the_notes_evidences_discover_once_confirmed": ("prospect", 1, "discover"),
    "a_budget_in_the_notes_evidences_as_far_as_its_rung_exits": ("prospect", 6, "resolve"),
    "notes_on_a_rung_the_held_commitments_already_reach_add_nothing": ("discover", 1, None),
    "no_commitment_read_from_notes_adds_nothing": ("prospect", None, None),
}


@pytest.mark.parametrize(("evidenced", "rung", "read"), NOTES.values(), ids=NOTES)
def test_what_a_deals_notes_would_evidence_once_confirmed(
    evidenced: str, rung: int | None, read: str | None
) -> None:
    assert read_from_notes(PROCESS, evidenced, rung) == read


# The stage a deal claims; the highest rung read from its notes; whether, confirmed, they back it.
NOTES_BACK = {
    "a_budget_in_the_notes_backs_a_proposal": ("propose", 6, True),
    "a_discovery_session_in_the_notes_does_not_back_a_negotiation": ("resolve", 2, False),
    "no_commitment_read_from_notes_backs_nothing_beyond_the_start": ("discover", None, False),
}


@pytest.mark.parametrize(("claimed", "rung", "backs"), NOTES_BACK.values(), ids=NOTES_BACK)
def test_whether_a_deals_notes_once_confirmed_back_the_stage_it_claims(
    claimed: str, rung: int | None, backs: bool
) -> None:
    assert notes_back_claim(PROCESS, claimed, rung) is backs
