"""The users page over real HTTP, on both databases: an admin adds a user (an export's owner,
their deals given to them in the same step), who then logs in and sees their deals."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, select

from dealgate.domain.access import UserRole
from dealgate.services.users import add_user, user_names
from dealgate.store import tables as t
from tests.api_support import running_api
from tests.builders import T0
from tests.integration.test_import import salesforce
from tests.pages_support import log_in


def _owned_by(engine: Engine, owner: str) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(t.deals.c.id).where(t.deals.c.owner == owner)).all())


def test_an_admin_adds_an_export_owner_as_a_user_who_then_logs_in_and_sees_their_deals(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "erin", UserRole.REP, T0, "east", "erin-secret")
    salesforce(engine)  # no [owners]: Dana Kim and Chen Li own deals and are no users
    dana_deals = _owned_by(engine, "Dana Kim")
    assert dana_deals == 2
    with running_api(engine) as api:
        with httpx.Client(base_url=api.base) as admin:
            csrf = log_in(admin, "carol", "carol-secret")
            assert 'href="/users"' in admin.get("/").text
            listed = admin.get("/users").text
            assert re.search(
                r'data-user="carol"><td>carol</td><td>admin</td><td>—</td><td>yes', listed
            )
            assert re.search(
                r'data-user="alice"><td>alice</td><td>rep</td><td>east</td><td>API only', listed
            )
            owners = admin.get("/owners").text
            assert 'href="/users?owner=Dana%20Kim"' in owners
            prefilled = admin.get("/users", params={"owner": "Dana Kim"}).text
            assert 'name="name" value="Dana Kim"' in prefilled
            assert 'name="owner" value="Dana Kim"' in prefilled

            added = admin.post(
                "/users",
                data={
                    "csrf": csrf,
                    "name": "dana",
                    "role": "rep",
                    "team": "east",
                    "password": "dana-secret",
                    "owner": "Dana Kim",
                },
            )
            assert added.status_code == 200, added.text
            assert "Added dana (rep, team east). Gave them the 2 deals of Dana Kim." in added.text
            token = re.search(r"<code>(dg_[^<]+)</code>", added.text)
            assert token is not None
            assert _owned_by(engine, "dana") == dana_deals and _owned_by(engine, "Dana Kim") == 0
            with httpx.Client(base_url=api.base + "/api/v1") as script:
                deals = script.get("/deals", headers={"Authorization": f"Bearer {token.group(1)}"})
                assert deals.status_code == 200 and len(deals.json()["items"]) == dana_deals

            same = admin.post(  # the owner's own name: their deals are theirs at once
                "/users", data={"csrf": csrf, "name": "Chen Li", "role": "rep", "owner": "Chen Li"}
            )
            assert same.status_code == 200 and "Added Chen Li (rep)." in same.text
            assert "Gave them" not in same.text
            assert "Chen Li" not in re.findall(r'data-owner="([^"]+)"', admin.get("/owners").text)

            users_before = user_names(engine)
            for form, status, code in [
                ({"name": "dana", "role": "rep"}, 409, "duplicate_user"),
                ({"name": "fay", "role": "rep", "password": "short"}, 422, "weak_password"),
                ({"name": "fay", "role": "boss"}, 422, "invalid_role"),
                ({"name": " ", "role": "rep"}, 422, "invalid_name"),
            ]:
                refused = admin.post("/users", data={"csrf": csrf, **form})
                assert refused.status_code == status, refused.text
                assert f"<code>{code}</code>" in refused.text
                assert f'value="{form["name"]}"' in refused.text  # the form, as sent
            assert user_names(engine) == users_before

            # alice used the API only; an admin gives her a password for the pages.
            for who, password, status, code in [
                ("alice", "short", 422, "weak_password"),
                ("nobody", "long-enough", 404, "not_found"),
            ]:
                refused = admin.post(
                    f"/users/{who}/password", data={"csrf": csrf, "password": password}
                )
                assert refused.status_code == status and f"<code>{code}</code>" in refused.text
            reset = admin.post(
                "/users/alice/password", data={"csrf": csrf, "password": "alice-pw-1"}
            )
            assert reset.status_code == 303
            shown = admin.get(reset.headers["location"]).text
            assert "Password set for alice; their open sessions are logged out." in shown
            assert re.search(
                r'data-user="alice"><td>alice</td><td>rep</td><td>east</td><td>yes', shown
            )
            with httpx.Client(base_url=api.base) as alice:
                log_in(alice, "alice", "alice-pw-1")

        with httpx.Client(base_url=api.base) as dana:
            log_in(dana, "dana", "dana-secret")
            board = dana.get("/").text
            assert "Claims automation" in board and "Analytics suite" in board

        with httpx.Client(base_url=api.base) as rep:
            rep_csrf = log_in(rep, "erin", "erin-secret")
            assert 'href="/users"' not in rep.get("/").text
            page = rep.get("/users")
            assert page.status_code == 403 and "<code>forbidden</code>" in page.text
            forged = rep.post("/users", data={"csrf": rep_csrf, "name": "mallory", "role": "admin"})
            assert forged.status_code == 403 and "<code>forbidden</code>" in forged.text
            assert "mallory" not in user_names(engine)
            taken = rep.post("/users/carol/password", data={"csrf": rep_csrf, "password": "x" * 9})
            assert taken.status_code == 403 and "<code>forbidden</code>" in taken.text
            with httpx.Client(base_url=api.base) as carol:
                log_in(carol, "carol", "carol-secret")  # unchanged
