"""The set-based review over a whole pipeline matches the pure rules, on both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from dealgate.domain.review import review_deal
from dealgate.services.demo import fill_demo
from dealgate.services.review import review
from dealgate.store.unit_of_work import UnitOfWork
from tests.builders import T0


def test_the_demo_pipeline_reviews_the_same_in_sql_and_in_the_domain(engine: Engine) -> None:
    now = T0 + timedelta(days=200)
    fill_demo(engine, now)
    for as_of in (now, now + timedelta(days=30)):
        result = review(engine, as_of)
        with UnitOfWork(engine, write=False) as uow:
            process = uow.processes.active()
            deals = [d for d in uow.deals.find() if not d.is_closed]
        pure = {d.id: review_deal(d, process, as_of) for d in deals}
        assert len(result.deals) == len(pure) > 40
        for found in result.deals:
            assert found == pure[found.deal_id]
        counts = result.flag_counts
        for code in ("stalled", "overdue", "seller_only", "unevidenced_stage", "overridden"):
            assert counts[code] > 0, code


def test_review_filters_by_owner_and_flag(engine: Engine) -> None:
    now = T0 + timedelta(days=200)
    fill_demo(engine, now)
    mine = review(engine, now, owner="alice")
    assert mine.deals and {d.owner for d in mine.deals} == {"alice"}
    stalled = review(engine, now, flag="stalled")
    assert stalled.shown and all("stalled" in d.codes for d in stalled.shown)
    assert stalled.value_evidenced + stalled.value_claimed == sum(
        (d.amount for d in stalled.deals if d.amount is not None), start=stalled.value_claimed * 0
    )
