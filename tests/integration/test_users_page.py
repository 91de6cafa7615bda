"""The users page over real HTTP, on both databases: an admin adds a user (an export's owner,
their deals given to them in the same step), who then logs in and sees their deals."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, select

from dealgate.domain.access import UserRole
from dealgate.services.users import add_user, list_users, user_names
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


def test_an_admin_moves_a_rep_to_another_team_promotes_one_and_removes_one_who_left(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "erin", UserRole.REP, T0, "east", "erin-secret")
    with running_api(engine) as api:
        alice_deal = api.client("alice").post("/deals", json={"name": "Fleet", "account": "A"})
        deal = alice_deal.json()["id"]
        assert api.client("maria").get(f"/deals/{deal}").status_code == 200  # her team's
        with httpx.Client(base_url=api.base) as admin:
            csrf = log_in(admin, "carol", "carol-secret")

            moved = admin.post(
                "/users/alice/change", data={"csrf": csrf, "role": "rep", "team": "west"}
            )
            assert moved.status_code == 303
            assert "alice is now rep, team west." in admin.get(moved.headers["location"]).text
            assert api.client("maria").get(f"/deals/{deal}").status_code == 404  # not hers now
            promoted = admin.post(
                "/users/bruno/change", data={"csrf": csrf, "role": "manager", "team": "west"}
            )
            assert promoted.status_code == 303
            assert api.client("bruno").get(f"/deals/{deal}").status_code == 200  # his team's

            for path, form, status, code in [
                ("/users/ghost/change", {"role": "rep"}, 404, "not_found"),
                ("/users/alice/change", {"role": "boss"}, 422, "invalid_role"),
                ("/users/ghost/remove", {}, 404, "not_found"),
            ]:
                refused = admin.post(path, data={"csrf": csrf, **form})
                assert refused.status_code == status and f"<code>{code}</code>" in refused.text

            removed = admin.post("/users/alice/remove", data={"csrf": csrf})
            assert removed.status_code == 303 and removed.headers["location"].startswith("/owners")
            owners = admin.get(removed.headers["location"]).text
            assert "Removed alice. Give their 1 deals to someone:" in owners
            assert 'data-owner="alice"' in owners
            assert api.client("alice").get("/deals").status_code == 401  # her token ended

            # dealgate keeps an admin: "admin" goes, then carol may neither go nor step down.
            assert admin.post("/users/admin/remove", data={"csrf": csrf}).status_code == 303
            for path, form in [
                ("/users/carol/remove", {}),
                ("/users/carol/change", {"role": "rep"}),
            ]:
                kept = admin.post(path, data={"csrf": csrf, **form})
                assert kept.status_code == 409 and "<code>last_admin</code>" in kept.text
            assert {(u.name, u.role.value) for u, _ in list_users(engine)} >= {("carol", "admin")}

        with httpx.Client(base_url=api.base) as rep:
            rep_csrf = log_in(rep, "erin", "erin-secret")
            for path in ("/users/bruno/change", "/users/bruno/remove"):
                forged = rep.post(path, data={"csrf": rep_csrf, "role": "admin"})
                assert forged.status_code == 403 and "<code>forbidden</code>" in forged.text
            assert "bruno" in user_names(engine)
