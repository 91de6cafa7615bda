"""Correcting the buying committee as the rep learns it, as business rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.domain.stakeholder import Role
from tests.builders import PROCESS, a_deal, at, buyer_commits

Correct = Callable[[Deal], Any]


def _correct(**fields: Any) -> Correct:
    return lambda deal: deal.change_stakeholder(1, now=at(3), actor="alice", **fields)


def _design_with_raj_committed() -> Deal:
    deal = a_deal("design")  # Raj Patel, champion
    buyer_commits(deal, "economic_buyer_meeting", when=2)
    return deal


CORRECTIONS: list[tuple[str, Correct, list[str], str]] = [
    # rule, the correction, the gate's codes after it, what the committee then says of him
    (
        "a champion found to hold the budget becomes the economic buyer: the committee is mapped",
        _correct(role=Role.ECONOMIC_BUYER),
        [],
        "Raj Patel/economic_buyer/None",
    ),
    (
        "a name spelled anew keeps the commitments they made theirs",
        _correct(name="Rajesh Patel", role=Role.ECONOMIC_BUYER),
        [],
        "Rajesh Patel/economic_buyer/None",
    ),
    (
        "a title learned is recorded and the gate is as before",
        _correct(title="CFO"),
        ["prerequisite_missing"],
        "Raj Patel/champion/CFO",
    ),
    (
        "the values a form sends back unchanged change nothing",
        _correct(name="Raj Patel", role=Role.CHAMPION, title="", notes=""),
        ["prerequisite_missing"],
        "Raj Patel/champion/None",
    ),
]


@pytest.mark.parametrize(
    ("rule", "correct", "codes", "listed"), CORRECTIONS, ids=[c[0] for c in CORRECTIONS]
)
def test_correcting_a_stakeholder(
    rule: str, correct: Correct, codes: list[str], listed: str
) -> None:
    deal = _design_with_raj_committed()
    events = len(deal.new_events)
    correct(deal)
    raj = deal.stakeholders[0]
    assert f"{raj.name}/{raj.role.value}/{raj.title}" == listed, rule
    assert deal.gate(PROCESS).codes == codes, rule
    assert deal.commitments[0].person == raj.name
    changed = deal.new_events[events:]
    assert [e.type for e in changed] == (
        [] if listed == "Raj Patel/champion/None" else ["stakeholder.changed"]
    ), rule


REFUSALS: list[tuple[str, Callable[[Deal], Any], str]] = [
    (
        "a name another stakeholder has is refused",
        lambda deal: deal.change_stakeholder(1, now=at(3), actor="alice", name="maria lopez"),
        "duplicate_stakeholder",
    ),
    ("an empty name is refused", _correct(name="  "), "required"),
    ("a title of more than 200 characters is refused", _correct(title="x" * 201), "too_long"),
    (
        "someone not on the committee is not found",
        lambda deal: deal.change_stakeholder(9, now=at(3), actor="alice", title="CFO"),
        "not_found",
    ),
    (
        "a closed deal's committee stays as it closed",
        lambda deal: (
            deal.close_lost("No budget", now=at(2), actor="alice"),
            deal.change_stakeholder(1, now=at(3), actor="alice", title="CFO"),
        ),
        "deal_closed",
    ),
]


@pytest.mark.parametrize(("rule", "correct", "code"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refused_correction_changes_nothing(
    rule: str, correct: Callable[[Deal], Any], code: str
) -> None:
    deal = _design_with_raj_committed()
    deal.add_stakeholder(name="Maria Lopez", role=Role.USER, now=at(1), actor="alice")
    with pytest.raises(DealgateError) as refused:
        correct(deal)
    assert refused.value.codes == [code], rule
    raj = deal.stakeholders[0]
    assert (raj.name, raj.role, raj.title) == ("Raj Patel", Role.CHAMPION, None), rule
