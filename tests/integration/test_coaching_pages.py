"""The coaching pages over real HTTP, on both databases: which reps ask for too little."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import httpx
from markupsafe import escape
from sqlalchemy import Engine

from dealgate.api.app import create_app
from dealgate.domain.commitment import Status
from dealgate.domain.review import review_deal
from dealgate.services import coaching
from dealgate.services.demo import DEMO_PASSWORD, demo_users, fill_demo
from dealgate.store.confirm_queue import waiting
from dealgate.store.unit_of_work import UnitOfWork
from tests.api_support import serve
from tests.builders import T0
from tests.pages_support import log_in

NOW = T0 + timedelta(days=160)


def test_a_manager_sees_every_rep_against_the_team_with_shortfalls_first(engine: Engine) -> None:
    fill_demo(engine, NOW, deals=40)
    demo_users(engine, NOW)
    expected = {
        c.metrics.rep: c for c in coaching.coach_team(engine, None, None)
    }  # what each rep's own page says, worked out by the service
    app = create_app(engine, clock=lambda: NOW, webhooks=False)
    with serve(app) as base, httpx.Client(base_url=base) as browser:
        log_in(browser, "maria", DEMO_PASSWORD)
        assert 'href="/coach"' in browser.get("/").text
        page = browser.get("/coach")
        assert page.status_code == 200
        shown = re.findall(r'<tr data-rep="([^"]+)">', page.text)
        assert sorted(shown) == sorted(expected)
        ranks = [(not expected[r].reasons, expected[r].metrics.ask_rate) for r in shown]
        assert ranks == sorted(ranks)  # shortfalls first, then the fewest asks
        flagged = [r for r in shown if expected[r].reasons]
        assert flagged, "the demo team has a rep who asks too rarely"
        row = page.text.split(f'<tr data-rep="{flagged[0]}">', 1)[1].split("</tr>", 1)[0]
        assert expected[flagged[0]].reasons[0] in row
        assert "Team median" in page.text

        alone = browser.get(f"/coach/{flagged[0]}")
        assert alone.status_code == 200 and expected[flagged[0]].reasons[0] in alone.text

        missing = browser.get("/coach/maria")  # a manager without deals of her own
        assert missing.status_code == 404
        assert "Not found:" in missing.text and "<code>not_found</code>" in missing.text

    with serve(app) as base, httpx.Client(base_url=base) as rep:
        log_in(rep, "dana", DEMO_PASSWORD)
        own = rep.get("/coach", follow_redirects=False)
        assert own.status_code == 303 and own.headers["location"] == "/coach/dana"
        followed = rep.get("/coach", follow_redirects=True)
        assert followed.status_code == 200 and "Coaching: dana" in followed.text
        assert "The dates your buyers committed to" in followed.text
        assert 'href="/account#calendar-h"' in followed.text


def test_a_reps_page_says_what_to_ask_each_buyer_for_next_on_their_largest_deals(
    engine: Engine,
) -> None:
    fill_demo(engine, NOW, deals=40)
    demo_users(engine, NOW)
    advice = {deal.id: (deal, said) for deal, said in coaching.next_asks(engine, "dana", 100)}
    assert advice, "the demo gives dana open deals"
    largest = sorted(advice.values(), key=lambda pair: (-(pair[0].amount or 0), pair[0].id))
    app = create_app(engine, clock=lambda: NOW, webhooks=False)
    with serve(app) as base, httpx.Client(base_url=base) as rep:
        log_in(rep, "dana", DEMO_PASSWORD)
        page = rep.get("/coach/dana").text
        table = page[page.index('id="next-asks"') :]
        table = table[: table.index("</table>")]
        shown = [int(n) for n in re.findall(r'<tr data-deal="(\d+)">', table)]
        assert shown == [deal.id for deal, _ in largest][:25]
        for deal_id in shown:
            row = table.split(f'<tr data-deal="{deal_id}">', 1)[1].split("</tr>", 1)[0]
            deal, said = advice[deal_id]
            assert deal.stage in row
            if said.primary is not None:
                assert str(escape(said.primary.sentence())) in row
            assert ("may advance now" in row) is said.can_advance_now
        assert all(deal.owner == "dana" and not deal.is_closed for deal, _ in largest)


def test_the_demo_leaves_commitments_read_from_notes_to_confirm_changing_no_flag(
    engine: Engine,
) -> None:
    """A new user's first look at 'To confirm' is not empty, and what waits there counts for
    nothing until confirmed: the review is the one without those notes."""
    fill_demo(engine, NOW)
    demo_users(engine, NOW)
    with UnitOfWork(engine, write=False) as uow:
        total, rows = waiting(uow.connection, None, None, 50, 0)
        deals = {d.id: d for d in uow.deals.find()}
        process = uow.processes.active()
    assert total >= 5 and {r.party for r in rows} == {"buyer", "seller"}
    for deal_id in {r.deal_id for r in rows}:
        deal = deals[deal_id]
        without = replace(
            deal, commitments=[c for c in deal.commitments if c.status is not Status.INFERRED]
        )
        assert review_deal(deal, process, NOW).codes == review_deal(without, process, NOW).codes
    app = create_app(engine, clock=lambda: NOW, webhooks=False)
    with serve(app) as base, httpx.Client(base_url=base) as browser:
        log_in(browser, "maria", DEMO_PASSWORD)
        assert f"of {total} waiting." in browser.get("/confirm").text
