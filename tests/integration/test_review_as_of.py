"""The review as of a past moment is the review that was made at that moment, whatever was
recorded since, on both databases."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.domain.commitment import Party, Status
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError
from dealgate.io import readers
from dealgate.services import deals as svc
from dealgate.services.importing import run_import
from dealgate.services.review import review, review_since
from dealgate.services.transfer import transfer_deals
from dealgate.services.users import add_user
from dealgate.store.unit_of_work import UnitOfWork
from tests.builders import T0
from tests.integration.test_import import DATA, KEYS
from tests.property.test_deal_as_of import go_on, later_op
from tests.property.test_review_equivalence import (
    PROCESS,
    _engine_with_process,
    build,
    op,
    step,
)

deal_history = st.tuples(
    st.sampled_from([s.key for s in PROCESS.stages]),
    st.lists(st.tuples(step, op), min_size=0, max_size=20),
    st.lists(st.tuples(step, later_op), min_size=0, max_size=20),
)


def _store(engine: Engine, deal: Deal) -> int:
    with UnitOfWork(engine) as uow:
        uow.deals.add(deal)
        uow.commit()
    assert deal.id is not None
    return deal.id


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(deal_history, min_size=1, max_size=3), st.integers(min_value=0, max_value=72))
def test_the_review_as_of_a_past_moment_is_the_review_made_at_that_moment(
    engine: Engine, histories: list[tuple[str, list[Any], list[Any]]], hours_after: int
) -> None:
    engine = _engine_with_process(engine)  # the process the histories are drawn for
    owner = f"rep-{uuid.uuid4().hex[:10]}"  # this example's deals alone
    built = []
    for start_stage, before, _ in histories:
        deal, last = build(start_stage, before, owner)
        built.append((deal, last))
    moment = max(last for _, last in built) + timedelta(hours=hours_after)
    ids = [_store(engine, deal) for deal, _ in built]
    made_then = review(engine, moment, owner=owner)

    later = moment + timedelta(hours=1)
    for deal_id, (_, _, after) in zip(ids, histories, strict=True):
        with UnitOfWork(engine) as uow:
            deal = uow.deals.get(deal_id)
            go_on(deal, after, later)
            uow.deals.save(deal)
            uow.commit()
    opened_since, _ = build("prospect", [], owner)
    opened_since.created_at = later
    _store(engine, opened_since)
    now = later + timedelta(days=30)

    asked_later = review(engine, moment, owner=owner, now=now)

    assert asked_later.deals == made_then.deals
    assert asked_later.inferred_only == made_then.inferred_only


def test_a_commitment_obtained_since_is_no_evidence_as_of_before_it(engine: Engine) -> None:
    """What the review said before this existed: today's statuses judged at the past date."""
    engine = _engine_with_process(engine)
    deal, opened = build("discover", [], "maria")
    deal_id = _store(engine, deal)
    monday = opened + timedelta(days=3)
    with UnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        deal.add_commitment(
            PROCESS,
            party=Party.BUYER,
            action="Walk us through the current process",
            kind=sorted(PROCESS.stage("discover").exit)[0],
            person="Raj Patel",
            due=(monday + timedelta(days=7)).date(),
            status=Status.OBTAINED,
            now=monday,
            actor="maria",
        )
        deal.update(now=monday, actor="maria", amount=Decimal("90000"))
        uow.deals.save(deal)
        uow.commit()
    friday_before = monday - timedelta(days=1)

    then = review(engine, friday_before, now=monday + timedelta(days=1))
    today = review(engine, monday + timedelta(days=1))

    [was] = [r for r in then.deals if r.deal_id == deal_id]
    [now] = [r for r in today.deals if r.deal_id == deal_id]
    assert now.highest_rung is not None and was.highest_rung is None
    assert was.amount == Decimal("1000") and now.amount == Decimal("90000")


def test_what_changed_since_a_day_lists_each_deal_whose_flags_came_or_went(
    engine: Engine,
) -> None:
    """The weekly meeting: a deal stalled since, one closed since, one opened since; one
    whose flags did not change is not listed."""
    monday = T0 + timedelta(days=10)
    stalls = svc.open_deal(engine, now=T0, actor="maria", name="Stalls", account="A", owner="maria")
    closes = svc.open_deal(
        engine, now=T0, actor="maria", name="Closes", account="B", owner="maria", stage="design"
    )
    steady = svc.open_deal(  # stalled and unevidenced then and now
        engine,
        now=T0 - timedelta(days=90),
        actor="maria",
        name="Steady",
        account="C",
        owner="maria",
        stage="design",
    )
    assert stalls.id and closes.id and steady.id
    svc.add_commitment(
        engine,
        stalls.id,
        now=monday - timedelta(days=1),
        actor="maria",
        party=Party.BUYER,
        action="Agreed to a first meeting",
        kind="first_meeting_accepted",
        person="Raj",
    )
    svc.close_lost(engine, closes.id, "No budget", now=monday + timedelta(days=2), actor="maria")
    opened = svc.open_deal(
        engine,
        now=monday + timedelta(days=3),
        actor="maria",
        name="Opened",
        account="D",
        owner="maria",
        stage="propose",
    )
    now = monday + timedelta(days=20)

    result = review_since(engine, monday, now)

    by_id = {c.deal_id: c for c in result.changes}
    assert opened.id is not None
    assert set(by_id) == {stalls.id, closes.id, opened.id}
    assert by_id[stalls.id].added == ("stalled",) and by_id[stalls.id].cleared == ()
    assert by_id[closes.id].stage_now is None and result.stages[closes.id] == "lost"
    assert "unevidenced_stage" in by_id[closes.id].cleared
    assert by_id[opened.id].stage_then is None and "unevidenced_stage" in by_id[opened.id].added
    assert result.flag_moves["stalled"][0] >= 1
    assert review_since(engine, monday, now, owner="nobody").changes == []


@pytest.mark.parametrize("since", [T0 + timedelta(days=1), T0, datetime(1800, 1, 1, tzinfo=UTC)])
def test_what_changed_since_now_or_later_or_before_reviews_began_is_refused_naming_the_date(
    engine: Engine, since: datetime
) -> None:
    with pytest.raises(DealgateError) as refused:
        review_since(engine, since, T0)
    assert [(d.code, d.field) for d in refused.value.details] == [("invalid_date", "since")]


def test_an_imported_deal_given_since_to_its_owners_user_was_the_export_owners_on_an_earlier_day(
    engine: Engine,
) -> None:
    """The import records the fields each deal opened with, so a later transfer is undone by
    a review of a day before it: the deals show under the export's owner, not their user."""
    imported, given = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)
    add_user(engine, "alice", UserRole.REP, imported, "east")
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    data = readers.salesforce(DATA / "salesforce")
    run_import(engine, "salesforce", data, mapping, now=imported, read_text=False)
    moved = transfer_deals(
        engine, from_owner="Alice Morgan", to_user="alice", now=given, actor="ops"
    )
    assert moved.deals == 3
    later = given + timedelta(days=3)
    owners_then = Counter(
        r.owner for r in review(engine, given - timedelta(days=1), now=later).deals
    )
    owners_now = Counter(r.owner for r in review(engine, later, now=later).deals)
    assert owners_then["Alice Morgan"] == owners_now["alice"] == 2  # her open deals
    assert owners_then["alice"] == owners_now["Alice Morgan"] == 0
    assert owners_then - Counter({"Alice Morgan": 2}) == owners_now - Counter({"alice": 2})
