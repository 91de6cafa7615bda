"""A rep's coaching verdict against the team, as business rules: whether a shortfall looks like
the process, the rep's commitment gaining, or cannot be judged yet."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dealgate.domain.audit import Finding, Severity
from dealgate.domain.coaching import RepMetrics, coach_rep, rep_metrics
from dealgate.domain.commitment import Party, Status
from tests.builders import PROCESS, a_deal, at, buyer_commits

# Ten interactions, eight buyer asks (six obtained), two promises of ours, mostly on rung 4.
STEADY = RepMetrics("bob", 10, 8, 6, 2, 10, 4, {"collaborate": 8})
TEAM = [STEADY, replace(STEADY, rep="cy"), replace(STEADY, rep="di")]

VERDICTS = {
    "a_rep_level_with_the_team_has_no_shortfall": (STEADY, [], "neither", ""),
    "asking_at_fewer_than_half_the_interactions_is_asking_too_rarely": (
        replace(STEADY, asks=4, obtained=3, commitments=6),
        [],
        "commitment_gaining",
        "Asks too rarely",
    ),
    "asking_two_rungs_below_the_team_is_asking_too_low": (
        replace(STEADY, rungs_asked={"time": 8}),
        [],
        "commitment_gaining",
        "Asks too low on the ladder",
    ),
    "mostly_our_own_promises_is_a_shortfall": (
        replace(STEADY, seller_commitments=12, commitments=20),
        [],
        "commitment_gaining",
        "the rep's own promises",
    ),
    "more_commitments_waiting_for_confirmation_than_confirmed_cannot_be_judged_yet": (
        RepMetrics("bob", 10, 0, 0, 0, 0, 10, {}, waiting=12),
        [],
        "unconfirmed",
        "12 commitments read from their notes wait",
    ),
    "a_few_waiting_among_many_confirmed_are_judged_on_the_confirmed": (
        replace(STEADY, waiting=3),
        [],
        "neither",
        "",
    ),
    "a_broken_process_is_blamed_before_anything_else": (
        RepMetrics("bob", 10, 0, 0, 0, 0, 10, {}, waiting=12),
        [Finding("empty_exit_menu", Severity.ERROR, "discover", "Stage discover has no exit.")],
        "process",
        "Stage discover has no exit.",
    ),
}


@pytest.mark.parametrize(("rep", "findings", "verdict", "said"), VERDICTS.values(), ids=VERDICTS)
def test_a_reps_verdict(rep: RepMetrics, findings: list[Finding], verdict: str, said: str) -> None:
    coached = coach_rep(rep, TEAM, findings)
    assert coached.verdict == verdict
    if said:
        assert said in coached.reasons[0]
    else:
        assert coached.reasons == []


def test_commitments_read_from_notes_wait_apart_from_asks_and_rejected_ones_count_nowhere() -> None:
    deal = a_deal()
    buyer_commits(deal, "intro_call_booked", status=Status.ASKED)
    buyer_commits(deal, "demo_accepted", status=Status.INFERRED)
    buyer_commits(deal, "data_shared", status=Status.INFERRED)
    deal.set_commitment_status(3, Status.REJECTED, now=at(2), actor="bob")
    deal.add_commitment(
        PROCESS,
        party=Party.SELLER,
        action="We'll send the deck",
        status=Status.INFERRED,
        now=at(1),
        actor="import",
    )
    m = rep_metrics("alice", [deal], PROCESS, None)
    assert (m.asks, m.commitments, m.waiting) == (1, 1, 2)
