"""The review page over real HTTP, on both databases: the flagged deals, largest first,
filtered and a page at a time."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services import deals as svc
from dealgate.services.users import add_user
from tests.api_support import running_api
from tests.builders import T0

LATER = (T0 + timedelta(days=30)).date().isoformat()  # every deal opened at T0 is stalled


def _log_in(browser: httpx.Client) -> None:
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token is not None
    data = {"name": "carol", "password": "carol-secret", "csrf": token.group(1)}
    assert browser.post("/login", data=data).status_code == 303


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
        _log_in(browser)
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
