"""The gate, as a table of business rules (DESIGN.md §3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from dealgate.domain.commitment import Status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.domain.stakeholder import Role
from tests.builders import PROCESS, a_deal, at, buyer_commits, seller_promises

Setup = Callable[[], Deal]


def _nothing() -> Deal:
    return a_deal()


def _seller_only() -> Deal:
    deal = a_deal()
    seller_promises(deal, "Send references")
    seller_promises(deal, "Send the proposal")
    return deal


def _off_menu() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "budget_confirmed")
    return deal


def _undated() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", due=None)
    return deal


def _no_person() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", person=None)
    return deal


def _stranger() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", person="Someone Else")
    return deal


def _only_asked() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", status=Status.ASKED)
    return deal


def _broken() -> Deal:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted")
    deal.set_commitment_status(c.number, Status.BROKEN, now=at(2), actor="alice")
    return deal


def _withdrawn() -> Deal:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted")
    deal.set_commitment_status(c.number, Status.WITHDRAWN, now=at(2), actor="alice")
    return deal


def _kept() -> Deal:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted", due=None)
    deal.set_commitment_status(c.number, Status.KEPT, now=at(2), actor="alice")
    return deal


def _obtained() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted")
    return deal


def _undated_and_anonymous() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", due=None, person=None)
    return deal


def _change_without_dissatisfaction() -> Deal:
    deal = a_deal("change")
    buyer_commits(deal, "change_priority_confirmed")
    return deal


def _change_with_only_dissatisfaction() -> Deal:
    deal = a_deal("change")
    deal.document_dissatisfaction("Billing errors every month", now=at(1), actor="alice")
    return deal


def _change_complete() -> Deal:
    deal = a_deal("change")
    deal.document_dissatisfaction("Billing errors every month", now=at(1), actor="alice")
    buyer_commits(deal, "change_priority_confirmed")
    return deal


def _design_without_economic_buyer() -> Deal:
    deal = a_deal("design")
    buyer_commits(deal, "economic_buyer_meeting")
    return deal


def _design_with_economic_buyer() -> Deal:
    deal = a_deal("design")
    deal.add_stakeholder(name="Lena Ross", role=Role.ECONOMIC_BUYER, now=at(0), actor="alice")
    buyer_commits(deal, "economic_buyer_meeting")
    return deal


def _obtained_before_entering_stage() -> Deal:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", when=1)
    deal.advance(PROCESS, now=at(2), actor="alice")
    buyer_commits(deal, "discovery_session_booked", when=1.5)  # recorded late, but obtained before
    return deal


def _closed() -> Deal:
    deal = a_deal()
    deal.close_lost("No budget", now=at(1), actor="alice")
    return deal


RULES: list[tuple[str, Setup, list[str]]] = [
    ("a deal with no commitments cannot leave its stage", _nothing, ["no_buyer_commitment"]),
    ("seller promises never open the gate", _seller_only, ["only_seller_commitments"]),
    ("a kind off the exit menu never opens the gate", _off_menu, ["kind_not_on_exit_menu"]),
    ("an undated buyer commitment does not open the gate", _undated, ["commitment_undated"]),
    ("a buyer commitment needs a named person", _no_person, ["no_buyer_person"]),
    ("the person must be on the buying committee", _stranger, ["no_buyer_person"]),
    ("an asked commitment is not yet evidence", _only_asked, ["no_buyer_commitment"]),
    ("a broken commitment no longer counts", _broken, ["no_buyer_commitment"]),
    ("a withdrawn commitment no longer counts", _withdrawn, ["no_buyer_commitment"]),
    ("a kept commitment is dated by when it was kept", _kept, []),
    ("an obtained, dated commitment from a stakeholder opens the gate", _obtained, []),
    (
        "the gate returns every violation at once",
        _undated_and_anonymous,
        ["commitment_undated", "no_buyer_person"],
    ),
    (
        "a missing prerequisite blocks even with the commitment",
        _change_without_dissatisfaction,
        ["prerequisite_missing"],
    ),
    (
        "a prerequisite alone never opens the gate",
        _change_with_only_dissatisfaction,
        ["no_buyer_commitment"],
    ),
    ("commitment and prerequisite together open the gate", _change_complete, []),
    (
        "leaving design needs the economic buyer mapped",
        _design_without_economic_buyer,
        ["prerequisite_missing"],
    ),
    ("design opens with the committee mapped", _design_with_economic_buyer, []),
    (
        "a commitment obtained before the deal entered the stage does not count",
        _obtained_before_entering_stage,
        ["no_buyer_commitment"],
    ),
    ("a closed deal does not move", _closed, ["deal_closed"]),
]


@pytest.mark.parametrize(("rule", "setup", "codes"), RULES, ids=[r[0] for r in RULES])
def test_gate_rule(rule: str, setup: Setup, codes: list[str]) -> None:
    verdict = setup().gate(PROCESS)
    assert verdict.codes == codes, rule
    assert verdict.allowed == (not codes)


def test_every_violation_says_how_to_fix_it() -> None:
    for _, setup, codes in RULES:
        for violation in setup().gate(PROCESS).violations:
            assert len(violation.message) > 30
            assert violation.code in codes


def test_the_menu_is_named_in_the_refusal_by_what_the_buyer_does_and_its_key() -> None:
    message = a_deal().gate(PROCESS).violations[0].message
    assert "Accepted a dated first meeting (first_meeting_accepted)" in message
    assert "Booked an intro call (intro_call_booked)" in message


def test_skipping_a_stage_needs_the_exit_commitment_of_every_skipped_stage() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted")
    verdict = deal.gate(PROCESS, to="change")
    assert verdict.codes == ["stage_skipped"]
    assert verdict.violations[0].stage == "discover"
    buyer_commits(deal, "data_shared")
    assert deal.can_advance(PROCESS, to="change")
    move = deal.advance(PROCESS, now=at(3), actor="alice", to="change")
    assert move.skipped == ("discover",)
    assert move.commitments == (1, 2)


def test_a_skip_also_needs_the_prerequisites_of_skipped_stages() -> None:
    deal = a_deal("discover")
    buyer_commits(deal, "data_shared")
    buyer_commits(deal, "change_priority_confirmed")
    assert deal.gate(PROCESS, to="design").codes == ["prerequisite_missing"]


def test_the_gate_only_moves_forward() -> None:
    deal = a_deal("discover")
    assert deal.gate(PROCESS, to="prospect").codes == ["not_forward"]
    assert deal.gate(PROCESS, to="lost").codes == ["not_forward"]


def test_an_unknown_target_stage_is_refused_with_the_list_of_stages() -> None:
    with pytest.raises(DealgateError) as caught:
        a_deal().gate(PROCESS, to="negotiation")
    assert caught.value.codes == ["unknown_stage"]
    assert "prospect" in caught.value.details[0].message


def test_advance_refuses_with_every_violation_and_changes_nothing() -> None:
    deal = a_deal()
    events_before = len(deal.new_events)
    with pytest.raises(DealgateError) as caught:
        deal.advance(PROCESS, now=at(1), actor="alice")
    assert caught.value.codes == ["no_buyer_commitment"]
    assert deal.stage == "prospect"
    assert len(deal.new_events) == events_before


def test_advance_records_the_justifying_commitment() -> None:
    deal = a_deal()
    c = buyer_commits(deal, "first_meeting_accepted")
    move = deal.advance(PROCESS, now=at(2), actor="alice")
    assert (move.from_stage, move.to_stage, move.commitments) == ("prospect", "discover", (1,))
    assert deal.stage == "discover" and deal.stage_entered_at == at(2)
    assert deal.new_events[-1].payload["commitments"] == [c.number]


def test_a_manager_override_is_recorded_with_its_reason() -> None:
    deal = a_deal()
    move = deal.advance(PROCESS, now=at(1), actor="maria", override_reason="Board asked for it")
    assert move.overridden and deal.overridden
    event = deal.new_events[-1]
    assert event.actor == "maria"
    assert event.payload["override_reason"] == "Board asked for it"
    assert event.payload["overridden_violations"] == ["no_buyer_commitment"]


def test_an_override_needs_a_written_reason() -> None:
    with pytest.raises(DealgateError) as caught:
        a_deal().advance(PROCESS, now=at(1), actor="maria", override_reason="  ")
    assert caught.value.codes == ["required"]


def test_an_override_cannot_reopen_a_closed_deal() -> None:
    deal = _closed()
    with pytest.raises(DealgateError) as caught:
        deal.advance(PROCESS, now=at(2), actor="maria", override_reason="Reopen")
    assert caught.value.codes == ["deal_closed"]


def test_leaving_decide_means_won() -> None:
    deal = a_deal("decide")
    buyer_commits(deal, "contract_signed")
    move = deal.advance(PROCESS, now=at(2), actor="alice")
    assert move.to_stage == "won" and deal.is_closed


def test_losing_a_deal_needs_a_reason() -> None:
    with pytest.raises(DealgateError) as caught:
        a_deal().close_lost(" ", now=at(1), actor="alice")
    assert caught.value.codes == ["reason_required"]


def test_a_stage_that_accepts_earlier_commitments_counts_them() -> None:
    from dataclasses import replace

    from dealgate.domain.process import Process

    relaxed = Process(
        PROCESS.name,
        PROCESS.kinds,
        tuple(replace(s, accepts_earlier=True) if s.key == "discover" else s for s in PROCESS),
    )
    deal = _obtained_before_entering_stage()
    assert deal.gate(relaxed).allowed


def test_due_date_in_the_past_still_dates_the_commitment() -> None:
    deal = a_deal()
    buyer_commits(deal, "first_meeting_accepted", due=date(2020, 1, 1))
    assert deal.can_advance(PROCESS)
