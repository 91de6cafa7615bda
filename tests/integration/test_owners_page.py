"""The owners page over real HTTP, on both databases: an admin gives the deals of an export's
owner who is no user (seen by admins alone) to that owner's user, who then sees them."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, select

from dealgate.domain.access import UserRole
from dealgate.services.deals import open_deal
from dealgate.services.users import add_user
from dealgate.store import tables as t
from tests.api_support import running_api
from tests.builders import T0
from tests.integration.test_import import salesforce
from tests.pages_support import log_in


def _owners(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.deals.c.owner)).scalars().all()
    return {o: rows.count(o) for o in set(rows)}


def _unseen(page: str) -> dict[str, int]:
    return {
        name: int(n)
        for name, n in re.findall(r'<tr data-owner="([^"]+)"><td>[^<]+</td><td>(\d+)</td>', page)
    }


def test_an_admin_gives_an_export_owners_deals_to_their_user_who_then_sees_them(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "amorgan", UserRole.REP, T0, "east", "amorgan-secret")
    add_user(engine, "fay", UserRole.MANAGER, T0, "east", "fay-secret")  # amorgan's manager
    salesforce(engine)  # no [owners]: every deal is owned by a name no user has
    with running_api(engine) as api:
        with httpx.Client(base_url=api.base) as alice:
            log_in(alice, "amorgan", "amorgan-secret")
            assert "Fleet tracking rollout" not in alice.get("/").text

        with httpx.Client(base_url=api.base) as admin:
            csrf = log_in(admin, "carol", "carol-secret")
            assert 'href="/owners"' in admin.get("/").text
            page = admin.get("/owners")
            assert page.status_code == 200
            assert _unseen(page.text) == _owners(engine)
            assert _unseen(page.text)["Alice Morgan"] == 3

            given = admin.post(
                "/owners/transfer",
                data={"csrf": csrf, "from": "Alice Morgan", "to": "amorgan", "open_only": "true"},
            )
            assert given.status_code == 303
            shown = admin.get(given.headers["location"]).text
            assert "Gave 2 deals of Alice Morgan to amorgan (1 closed ones kept)." in shown
            assert _unseen(shown)["Alice Morgan"] == 1  # the lost one stays theirs
            assert "amorgan" not in _unseen(shown)
            assert _owners(engine)["amorgan"] == 2

            before = _owners(engine)
            for form, status, code in [
                ({"from": "Alice Morgan", "to": "mallory"}, 422, "unknown_user"),
                ({"from": "Nobody", "to": "amorgan"}, 404, "no_deals"),
            ]:
                refused = admin.post("/owners/transfer", data={"csrf": csrf, **form})
                assert refused.status_code == status, refused.text
                assert f"<code>{code}</code>" in refused.text
                assert 'action="/owners/transfer"' in refused.text  # the forms, to try again
            stale = admin.post(
                "/owners/transfer", data={"csrf": "stale", "from": "Alice Morgan", "to": "amorgan"}
            )
            assert stale.status_code == 403 and stale.json()["errors"][0]["code"] == "csrf_failed"
            assert _owners(engine) == before  # nothing moved

        with httpx.Client(base_url=api.base) as alice:
            alice_csrf = log_in(alice, "amorgan", "amorgan-secret")
            board = alice.get("/").text
            assert "Fleet tracking rollout" in board and "Analytics suite" in board
            assert 'href="/owners"' not in board
            refused = alice.get("/owners")
            assert refused.status_code == 403 and "<code>forbidden</code>" in refused.text
            forged = alice.post(
                "/owners/transfer",
                data={"csrf": alice_csrf, "from": "Bruno Diaz", "to": "amorgan"},
            )
            assert forged.status_code == 403 and "<code>forbidden</code>" in forged.text
            assert _owners(engine) == before

        with httpx.Client(base_url=api.base) as fay:  # amorgan's manager now reviews them
            log_in(fay, "fay", "fay-secret")
            assert "Analytics suite" in fay.get("/review").text


def test_a_manager_gives_one_team_members_deals_to_another_and_no_one_elses(
    engine: Engine,
) -> None:
    """The owners page of a manager lists their team only, gives within it, and refuses a
    deal owner or a user outside it, moving nothing."""
    add_user(engine, "fay", UserRole.MANAGER, T0, "east", "fay-secret")
    add_user(engine, "amir", UserRole.REP, T0, "east", "amir-secret")
    add_user(engine, "ben", UserRole.REP, T0, "east", "ben-secret")
    add_user(engine, "wes", UserRole.REP, T0, "west", "wes-secret")
    for owner, name in (("amir", "Fleet"), ("amir", "Claims"), ("wes", "Billing")):
        open_deal(engine, now=T0, actor=owner, name=name, account="Acme", owner=owner)
    with running_api(engine) as api, httpx.Client(base_url=api.base) as fay:
        csrf = log_in(fay, "fay", "fay-secret")
        assert 'href="/owners"' in fay.get("/").text
        page = fay.get("/owners").text
        assert "Your team's deals" in page and "Owners no user is called" not in page
        chosen = re.findall(r'<option value="([^"]+)">', page)
        assert "wes" not in chosen and {"amir", "ben", "fay"} <= set(chosen)

        before = _owners(engine)
        for form, wrong in (
            ({"from": "wes", "to": "ben"}, "wes"),
            ({"from": "amir", "to": "wes"}, "wes"),
        ):
            refused = fay.post("/owners/transfer", data={"csrf": csrf, **form})
            assert refused.status_code == 403 and "<code>forbidden</code>" in refused.text
            assert f"&#39;{wrong}&#39; is not in your team" in refused.text
        assert _owners(engine) == before

        given = fay.post("/owners/transfer", data={"csrf": csrf, "from": "amir", "to": "ben"})
        assert given.status_code == 303
        assert "Gave 2 deals of amir to ben." in fay.get(given.headers["location"]).text
        assert _owners(engine) == {"ben": 2, "wes": 1}
