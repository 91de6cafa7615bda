"""What changed between two reviews of the pipeline: each case a rule of the weekly meeting."""

from __future__ import annotations

import pytest

from dealgate.domain.review import DealReview, Flag
from dealgate.domain.review_changes import ReviewChange, flag_moves, review_changes


def reviewed(deal_id: int, stage: str, *codes: str) -> DealReview:
    return DealReview(
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        account="Acme",
        owner="maria",
        stage=stage,
        amount=None,
        highest_rung=None,
        evidenced_stage="prospect",
        flags=tuple(Flag(code, {}) for code in codes),
    )


@pytest.mark.parametrize(
    ("then", "now", "expected"),
    [
        pytest.param(
            [reviewed(1, "design")],
            [reviewed(1, "design", "stalled")],
            [ReviewChange(1, "Deal 1", "maria", "design", "design", ("stalled",), ())],
            id="a_deal_newly_stalled_is_listed_with_the_flag_added",
        ),
        pytest.param(
            [reviewed(1, "design", "stalled", "overdue")],
            [reviewed(1, "propose", "overdue")],
            [ReviewChange(1, "Deal 1", "maria", "design", "propose", (), ("stalled",))],
            id="a_deal_that_advanced_out_of_a_stall_is_listed_with_the_flag_cleared",
        ),
        pytest.param(
            [reviewed(1, "design", "stalled")],
            [reviewed(1, "design", "stalled")],
            [],
            id="a_deal_with_the_same_flags_in_the_same_stage_is_not_listed",
        ),
        pytest.param(
            [reviewed(1, "design")],
            [reviewed(1, "propose", "unevidenced_stage")],
            [ReviewChange(1, "Deal 1", "maria", "design", "propose", ("unevidenced_stage",), ())],
            id="a_deal_moved_ahead_of_its_evidence_shows_the_claimed_stage_as_new",
        ),
        pytest.param(
            [reviewed(1, "decide", "overdue")],
            [],
            [ReviewChange(1, "Deal 1", "maria", "decide", None, (), ("overdue",))],
            id="a_deal_closed_since_has_every_flag_cleared_and_no_stage_now",
        ),
        pytest.param(
            [],
            [reviewed(2, "prospect", "seller_only")],
            [ReviewChange(2, "Deal 2", "maria", None, "prospect", ("seller_only",), ())],
            id="a_deal_opened_since_has_its_flags_as_added",
        ),
        pytest.param(
            [],
            [reviewed(2, "prospect")],
            [ReviewChange(2, "Deal 2", "maria", None, "prospect", (), ())],
            id="a_deal_opened_since_without_flags_is_listed_as_new",
        ),
    ],
)
def test_review_changes(
    then: list[DealReview], now: list[DealReview], expected: list[ReviewChange]
) -> None:
    assert review_changes(then, now) == expected


def test_flags_are_listed_in_the_reviews_order_and_counted_per_flag() -> None:
    changes = review_changes(
        [reviewed(1, "design", "overdue"), reviewed(2, "design")],
        [reviewed(1, "design", "stalled", "broken"), reviewed(2, "design", "stalled")],
    )
    assert [c.added for c in changes] == [("stalled", "broken"), ("stalled",)]
    moves = flag_moves(changes)
    assert moves["stalled"] == (2, 0) and moves["overdue"] == (0, 1) and moves["broken"] == (1, 0)
    assert moves["rung_regression"] == (0, 0)
