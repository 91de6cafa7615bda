"""What to ask a deal's buyer for next, and what the deal itself still lacks, as business rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dealgate.domain.coaching import coach_deal
from dealgate.domain.deal import Deal
from dealgate.domain.stakeholder import Role
from tests.builders import PROCESS, a_deal, at, buyer_commits


def _numbered(stage: str | None = None) -> Deal:
    deal = a_deal(stage)
    deal.id = 7
    return deal


def _prospect() -> Deal:
    return _numbered()


def _discover() -> Deal:
    return _numbered("discover")


def _change_documented() -> Deal:
    deal = _numbered("change")
    deal.document_dissatisfaction("Month-end close takes nine days", now=at(1), actor="alice")
    return deal


def _design() -> Deal:
    return _numbered("design")


def _design_mapped() -> Deal:
    deal = _numbered("design")
    deal.add_stakeholder(name="Lena Ross", role=Role.ECONOMIC_BUYER, now=at(0), actor="alice")
    return deal


def _ready() -> Deal:
    deal = _numbered()
    buyer_commits(deal, "first_meeting_accepted")
    return deal


RULES: list[tuple[str, Callable[[], Deal], str, str, list[str], bool]] = [
    # rule, deal, the primary ask's stage, the fallback's, prerequisites missing, may advance
    (
        "a prospect is asked for the next stage's exit, with its own least exit to fall back on",
        _prospect,
        "discover",
        "prospect",
        [],
        False,
    ),
    (
        "a deal heading into change is told leaving it needs the buyer's dissatisfaction",
        _discover,
        "change",
        "discover",
        ["change:dissatisfaction_documented"],
        False,
    ),
    (
        "a documented dissatisfaction is not asked for again",
        _change_documented,
        "design",
        "change",
        ["design:buying_committee_mapped"],
        False,
    ),
    (
        "a deal in design is told to map the committee's economic buyer",
        _design,
        "propose",
        "design",
        ["design:buying_committee_mapped"],
        False,
    ),
    ("a mapped committee leaves nothing missing", _design_mapped, "propose", "design", [], False),
    (
        "a deal whose buyer has committed may advance now",
        _ready,
        "discover",
        "prospect",
        [],
        True,
    ),
]


@pytest.mark.parametrize(
    ("rule", "deal", "primary", "fallback", "missing", "ready"), RULES, ids=[r[0] for r in RULES]
)
def test_coaching_a_deal(
    rule: str,
    deal: Callable[[], Deal],
    primary: str,
    fallback: str,
    missing: list[str],
    ready: bool,
) -> None:
    advice = coach_deal(deal(), PROCESS)
    assert advice.primary is not None and advice.primary.stage == primary, rule
    assert advice.fallback is not None and advice.fallback.stage == fallback, rule
    assert [
        f"{v.stage}:{v.field.removeprefix('requires.')}" for v in advice.prerequisites_missing
    ] == missing, rule
    assert advice.can_advance_now is ready, rule


def test_a_closed_deal_is_asked_for_nothing() -> None:
    deal = _numbered()
    deal.close_lost("No budget", now=at(1), actor="alice")
    advice = coach_deal(deal, PROCESS)
    assert (advice.primary, advice.fallback, advice.prerequisites_missing) == (None, None, ())
