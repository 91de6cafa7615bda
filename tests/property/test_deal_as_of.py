"""A deal rewound to a past moment is the deal it was then, over random deal histories: the
review "as of" a past day judges what was recorded by that day, not today's statuses."""

from __future__ import annotations

import contextlib
import copy
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dealgate.domain.as_of import deal_as_of
from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.domain.review import review_deal
from dealgate.domain.stakeholder import Role
from tests.property.test_review_equivalence import PEOPLE, PROCESS, apply, build, op, step

# Besides what the review equivalence draws: the deal's own fields change, and deals close.
later_op = st.one_of(
    op,
    op,
    st.tuples(
        st.just("update"),
        st.sampled_from(["alice", "bob", None]),
        st.one_of(st.none(), st.integers(min_value=1, max_value=90).map(lambda k: k * 1000)),
        st.sampled_from(["Renamed", None]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
    ),
    st.tuples(st.just("lose")),
    # Who made a commitment named: as it is confirmed, or afterwards.
    st.tuples(
        st.sampled_from(["confirm", "name"]),
        st.integers(min_value=1, max_value=6),
        st.sampled_from(PEOPLE),
    ),
    # A stakeholder corrected: renamed (their commitments follow), a new role, a title.
    st.tuples(
        st.just("correct"),
        st.integers(min_value=1, max_value=3),
        st.sampled_from([None, "Raj Patel-Shah", "raj patel", *PEOPLE]),
        st.sampled_from([None, *Role]),
        st.sampled_from([None, "", "CFO"]),
    ),
)


def go_on(deal: Deal, ops: list[tuple[int, Any]], now: datetime) -> None:
    for hours, (name, *args) in ops:
        now = now + timedelta(hours=hours)
        with contextlib.suppress(DealgateError):
            if name == "update":
                owner, amount, rename, close_in = args
                deal.update(
                    now=now,
                    actor="manager",
                    owner=owner,
                    amount=Decimal(amount) if amount is not None else None,
                    name=rename,
                    close_date=date(2027, 1, 1) + timedelta(days=close_in)
                    if close_in is not None
                    else None,
                )
            elif name == "confirm":
                deal.confirm_commitment(args[0], now=now, actor="manager", person=args[1])
            elif name == "name":
                deal.name_who_committed(args[0], args[1], now=now, actor="manager")
            elif name == "correct":
                number, rename, role, title = args
                deal.change_stakeholder(
                    number, now=now, actor="manager", name=rename, role=role, title=title
                )
            else:
                apply(deal, name, args, now)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([s.key for s in PROCESS.stages]),
    st.lists(st.tuples(step, op), min_size=0, max_size=30),
    st.lists(st.tuples(step, later_op), min_size=1, max_size=30),
    st.integers(min_value=0, max_value=24 * 20),
)
def test_a_deal_rewound_to_a_past_moment_is_the_deal_it_was_then(
    start_stage: str,
    before: list[tuple[int, Any]],
    after: list[tuple[int, Any]],
    review_hours_later: int,
) -> None:
    deal, moment = build(start_stage, before)
    then = copy.deepcopy(deal)
    first_hours, first_op = after[0]
    # What comes after the moment comes strictly after it.
    go_on(deal, [(max(first_hours, 1), first_op), *after[1:]], moment)

    rewound = deal_as_of(deal, moment, deal.new_events)

    assert rewound is not None
    for name in (
        "name",
        "account",
        "owner",
        "amount",
        "close_date",
        "stage",
        "stage_entered_at",
        "close_reason",
        "stakeholders",
        "commitments",
        "interactions",
        "dissatisfaction",
        "history",
    ):
        assert getattr(rewound, name) == getattr(then, name), name
    deal.id = then.id = rewound.id = 1
    as_of = moment + timedelta(hours=review_hours_later)
    assert review_deal(rewound, PROCESS, as_of) == review_deal(then, PROCESS, as_of)


def test_a_deal_opened_after_the_moment_did_not_exist_then() -> None:
    deal, moment = build("prospect", [])
    assert deal_as_of(deal, moment - timedelta(seconds=1), deal.new_events) is None
    assert deal_as_of(deal, moment, deal.new_events) is not None


def test_who_made_a_commitment_is_rewound_through_confirming_naming_and_renaming() -> None:
    """Drawn histories rarely reach these: a person named as a note is confirmed, named on a
    recorded commitment, then spelled anew with the stakeholder."""
    deal, moment = build("prospect", [])
    for person, status in ((None, Status.INFERRED), ("Legal", Status.INFERRED), ("CTO", None)):
        deal.add_commitment(
            PROCESS,
            party=Party.BUYER,
            action="Meet",
            kind="first_meeting_accepted",
            person=person,
            status=status or Status.OBTAINED,
            now=moment,
            actor="alice",
        )
    then = copy.deepcopy(deal)
    at = [moment + timedelta(hours=h) for h in range(1, 5)]
    deal.confirm_commitment(1, now=at[0], actor="bob", person="raj patel")
    deal.confirm_commitment(2, now=at[0], actor="bob", person="Raj Patel")
    deal.name_who_committed(3, "Raj Patel", now=at[1], actor="bob")
    named = copy.deepcopy(deal)
    deal.change_stakeholder(1, now=at[2], actor="bob", name="Rajesh Patel")
    assert [c.person for c in deal.commitments] == ["Rajesh Patel"] * 3

    for moment_then, was in ((moment, then), (at[1], named)):
        rewound = deal_as_of(deal, moment_then, deal.new_events)
        assert rewound is not None
        assert rewound.commitments == was.commitments
        assert rewound.stakeholders == was.stakeholders
    assert [c.person for c in then.commitments] == [None, "Legal", "CTO"]
