"""The review page over real HTTP, on both databases: the flagged deals, largest first,
filtered and a page at a time."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.domain.commitment import Party
from dealgate.services import deals as svc
from dealgate.services.users import add_user
from tests.api_support import running_api
from tests.builders import T0
from tests.pages_support import log_in

LATER = (T0 + timedelta(days=30)).date().isoformat()  # every deal opened at T0 is stalled


def _rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-deal="(\d+)">', page)]


def test_flagged_deals_come_largest_first_a_hundred_a_page(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    amounts = {}
    for n in range(130):
        owner = "alice" if n % 2 else "bruno"
        amount = Decimal((n * 37) % 130 * 1000 + 500)
        deal = svc.open_deal(
            engine, now=T0, actor=owner, name=f"Deal {n}", account="A", owner=owner, amount=amount
        )
        amounts[deal.id] = (amount, owner)
    largest_first = sorted(amounts, key=lambda i: (-amounts[i][0], i))
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        first = browser.get("/review", params={"as_of": LATER})
        assert first.status_code == 200
        assert _rows(first.text) == largest_first[:100]
        assert "1\u2013100 of 130, the largest amount first." in first.text
        assert "Page 1 of 2" in first.text
        following = re.search(r'href="([^"]+)" rel="next"', first.text)
        assert following is not None
        second = browser.get(following.group(1).replace("&amp;", "&"))
        assert _rows(second.text) == largest_first[100:]
        assert "101\u2013130 of 130" in second.text and 'rel="prev"' in second.text

        alices = browser.get("/review", params={"as_of": LATER, "owner": "alice"})
        assert _rows(alices.text) == [i for i in largest_first if amounts[i][1] == "alice"]
        stalled = browser.get("/review", params={"as_of": LATER, "flag": "stalled", "page": 9})
        assert _rows(stalled.text) == largest_first[100:]  # past the last page: the last
        none = browser.get("/review", params={"as_of": LATER, "stage": "decide"})
        assert _rows(none.text) == [] and "No flagged deals match." in none.text

        for params, code in (
            ({"flag": "sleepy"}, "unknown_flag"),
            ({"stage": "won"}, "unknown_stage"),
        ):
            refused = browser.get("/review", params={"as_of": LATER, **params})
            assert refused.status_code == 422
            assert (
                f"<code>{code}</code>" in refused.text
                and "Shown without that filter:" in refused.text
            )
            assert _rows(refused.text) == largest_first[:100]  # the review, unfiltered
        bad_page = browser.get("/review", params={"page": "0"})
        assert bad_page.status_code == 422 and bad_page.json()["errors"][0]["field"] == "page"


def test_the_flagged_deals_download_as_csv_with_the_pages_filters_and_no_formulas(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    for n, name in enumerate(["Plain deal", '=HYPERLINK("http://x")', "@SUM(A1)"]):
        svc.open_deal(
            engine,
            now=T0,
            actor="alice",
            name=name,
            account="Acme",
            owner="alice" if n < 2 else "bruno",
            amount=Decimal(1000 * (n + 1)),
        )
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        page = browser.get("/review", params={"as_of": LATER, "owner": "alice"}).text
        link = re.search(r'href="(/review\.csv\?[^"]+)" download', page)
        assert link is not None
        sheet = browser.get(link.group(1).replace("&amp;", "&"))
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
        assert f'filename="dealgate-review-{LATER}.csv"' in sheet.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(sheet.text)))
        assert rows[0][:3] == ["id", "name", "account"]
        assert [(r[1], r[3], r[5], r[7]) for r in rows[1:]] == [
            ('\'=HYPERLINK("http://x")', "alice", "2000.00", "stalled"),
            ("Plain deal", "alice", "1000.00", "stalled"),
        ]
        everyone = list(
            csv.reader(io.StringIO(browser.get("/review.csv", params={"as_of": LATER}).text))
        )
        assert "'@SUM(A1)" in [r[1] for r in everyone]
        refused = browser.get("/review.csv", params={"flag": "sleepy"})
        assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "unknown_flag"


def test_a_past_day_shows_the_deals_as_they_were_then_on_the_page_and_in_the_api(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    deal = svc.open_deal(
        engine, now=T0, actor="alice", name="Atlas", account="A", owner="alice", stage="discover"
    )
    assert deal.id is not None
    obtained = T0 + timedelta(days=20)
    svc.add_commitment(
        engine,
        deal.id,
        now=obtained,
        actor="alice",
        party=Party.BUYER,
        action="Walk us through the current process",
        kind="data_shared",
        person="Raj",
        due=(obtained + timedelta(days=5)).date(),
    )
    svc.close_lost(engine, deal.id, "No budget", now=obtained, actor="alice")
    before = (obtained - timedelta(days=1)).date().isoformat()
    with (
        running_api(engine, clock=obtained + timedelta(days=1)) as api,
        httpx.Client(base_url=api.base) as browser,
    ):
        log_in(browser, "carol", "carol-secret")
        then = browser.get("/review", params={"as_of": before})
        today = browser.get("/review")
        as_api = api.client().get("/review", params={"as_of": before}).json()
    # Closed since: not in today's review; open and stalled, without evidence, that day.
    assert "1 open deals reviewed." in then.text and "as they were at the end" in then.text
    assert _rows(then.text) == [deal.id]
    assert "0 open deals reviewed." in today.text and "as they were" not in today.text
    [was] = as_api["deals"]
    assert was["id"] == deal.id and was["highest_rung"] is None
    assert "stalled" in {f["code"] for f in was["flags"]}


def test_what_changed_this_week_on_the_page_and_in_the_api_for_whom_may_see_it(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    alices = svc.open_deal(
        engine, now=T0, actor="alice", name="Atlas", account="A", owner="alice", stage="design"
    )
    brunos = svc.open_deal(
        engine, now=T0, actor="bruno", name="Borealis", account="B", owner="bruno", stage="design"
    )
    svc.close_lost(engine, alices.id or 0, "No budget", now=T0 + timedelta(days=3), actor="alice")
    svc.close_lost(engine, brunos.id or 0, "No fit", now=T0 + timedelta(days=3), actor="bruno")
    now = T0 + timedelta(days=8)
    with running_api(engine, clock=now) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        week = browser.get("/review/changes")  # since a week ago: both deals were open
        since = browser.get("/review/changes", params={"since": T0.date().isoformat()})
        refused = browser.get("/review/changes", params={"since": "2099-01-01"})
        brunos_only = browser.get(
            "/review/changes", params={"since": T0.date().isoformat(), "owner": "bruno"}
        )
        as_alice = api.client("alice").get(
            "/review/changes", params={"since": T0.date().isoformat()}
        )
        late = api.client("alice").get("/review/changes", params={"since": "2099-01-01"})
        brunos_csv = browser.get(
            "/review/changes.csv", params={"since": T0.date().isoformat(), "owner": "bruno"}
        )
        csv_refused = browser.get(
            "/review/changes.csv",
            params={"since": "2099-01-01"},
            headers={"Accept": "application/json"},
        )
    assert alices.id is not None and brunos.id is not None
    assert 'href="/review/changes.csv?since=' in since.text
    assert brunos_csv.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(brunos_csv.text))) == [
        [
            "id",
            "name",
            "owner",
            "stage_then",
            "stage_now",
            "in_review_now",
            "new_flags",
            "cleared_flags",
        ],
        [str(brunos.id), "Borealis", "bruno", "design", "lost", "no", "", "unevidenced_stage"],
    ]
    assert csv_refused.status_code == 422
    assert [e["code"] for e in csv_refused.json()["errors"]] == ["invalid_date"]
    assert week.status_code == 200 and sorted(_rows(week.text)) == sorted([alices.id, brunos.id])
    assert (
        "2 deals changed their flags or stage" in since.text and "(out of the review)" in since.text
    )
    assert 'data-cleared="unevidenced_stage">2<' in since.text
    assert "invalid_date" in refused.text and "Compared with a week ago instead:" in refused.text
    assert _rows(brunos_only.text) == [brunos.id]
    assert '<option value="alice" >' in brunos_only.text  # the others stay to pick
    body = as_alice.json()
    assert [(d["id"], d["stage_now"], d["in_review_now"]) for d in body["deals"]] == [
        (alices.id, "lost", False)
    ]
    assert body["flags"]["unevidenced_stage"] == {"added": 0, "cleared": 1}
    assert late.status_code == 422 and late.json()["errors"][0]["code"] == "invalid_date"
