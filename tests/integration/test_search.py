"""Finding a deal by part of its name or account, on both databases, through the API's
`q` and the pages' search box: among the deals the caller sees, case aside, taken as typed."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services.deals import open_deal
from dealgate.services.users import add_user
from dealgate.web import search_page
from tests.api_support import running_api
from tests.builders import T0
from tests.pages_support import log_in

DEALS = [
    ("Fleet rollout", "Acme Logistics", "alice"),
    ("ACME renewal", "Other Co", "bruno"),
    ("Claims", "Cobalt Insurance", "alice"),
    ("50% discount pilot", "Zeta", "alice"),
    ("Plain", "5000 discount", "alice"),
]


def _names(found: httpx.Response) -> list[str]:
    assert found.status_code == 200, found.text
    return [d["name"] for d in found.json()["items"]]


def test_deals_are_found_by_part_of_their_name_or_account_among_those_the_caller_sees(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, account, owner in DEALS:
        open_deal(engine, now=T0, actor="t", name=name, account=account, owner=owner)
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api:
        with api.client("admin") as admin, api.client("alice") as alice:
            assert _names(admin.get("/deals", params={"q": "acme"})) == [
                "Fleet rollout",  # by its account
                "ACME renewal",  # by its name, in another case
            ]
            assert _names(alice.get("/deals", params={"q": "acme"})) == ["Fleet rollout"]
            assert _names(admin.get("/deals", params={"q": "50%"})) == ["50% discount pilot"]
            assert _names(admin.get("/deals", params={"q": "a_m"})) == []  # _ is not a wildcard
            assert _names(admin.get("/deals", params={"q": "  "})) == [d[0] for d in DEALS]
            refused = admin.get("/deals", params={"q": "x" * 101})
            assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "q"

        monkeypatch.setattr(search_page, "PER_PAGE", 1)
        with httpx.Client(base_url=api.base) as browser:
            log_in(browser, "carol", "carol-secret")
            page = browser.get("/deals", params={"q": "ACME"})
            assert page.status_code == 200
            assert re.findall(r'<a href="/deals/\d+">([^<]+)</a>', page.text) == ["Fleet rollout"]
            more = re.search(r'<a href="([^"]+)" rel="next">', page.text)
            assert more is not None
            second = browser.get(more.group(1).replace("&amp;", "&"))
            assert re.findall(r'<a href="/deals/\d+">([^<]+)</a>', second.text) == ["ACME renewal"]
            assert 'value="ACME"' in page.text  # the box keeps what was typed
            none = browser.get("/deals", params={"q": "zzz"})
            assert "No deal you see has “zzz” in its name or account." in none.text
