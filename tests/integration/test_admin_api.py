"""Admins' API over real HTTP, on both databases: users provisioned by a script, and one
owner's deals given to a user; refused in the one error shape for anyone else."""

from __future__ import annotations

from sqlalchemy import Engine

from dealgate.services.deals import open_deal
from dealgate.services.users import user_names
from dealgate.web.sessions import check_password
from tests.api_support import running_api
from tests.builders import T0


def test_an_admin_script_adds_users_and_hands_a_departed_reps_deals_to_one(
    engine: Engine,
) -> None:
    for name in ("Fleet", "Claims", "Billing"):
        open_deal(engine, now=T0, actor="t", name=name, account="Acme", owner="Erik Olsen")
    with running_api(engine) as api, api.client("admin") as admin, api.client("maria") as maria:
        listed = admin.get("/users")
        assert listed.status_code == 200
        assert {"name": "maria", "role": "manager", "team": "east", "pages": False} in listed.json()

        created = admin.post(
            "/users", json={"name": "dana", "role": "rep", "team": "east", "password": "dana-pw-1"}
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["name"] == "dana" and body["pages"] is True and body["token"].startswith("dg_")
        assert check_password(engine, "dana", "dana-pw-1") is not None
        with api.client(None) as anyone:
            mine = anyone.get("/deals", headers={"Authorization": f"Bearer {body['token']}"})
            assert mine.status_code == 200 and mine.json()["items"] == []

        given = admin.post("/transfers", json={"from": "Erik Olsen", "to": "dana"})
        assert given.status_code == 200, given.text
        assert given.json() == {"from": "Erik Olsen", "to": "dana", "deals": 3, "closed_kept": 0}
        with api.client(None) as anyone:
            mine = anyone.get("/deals", headers={"Authorization": f"Bearer {body['token']}"})
            assert sorted(d["name"] for d in mine.json()["items"]) == ["Billing", "Claims", "Fleet"]

        moved = admin.patch("/users/dana", json={"team": "west", "role": "manager"})
        assert moved.json() == {"name": "dana", "role": "manager", "team": "west"}
        assert (
            admin.patch("/users/dana", json={}).json()["errors"][0]["code"] == "nothing_to_change"
        )
        assert admin.patch("/users/admin", json={"role": "rep"}).status_code == 409  # last admin
        gone = admin.delete("/users/dana")
        assert gone.json() == {"name": "dana", "deals_left": 3}
        with api.client(None) as anyone:
            token = {"Authorization": f"Bearer {body['token']}"}
            assert anyone.get("/deals", headers=token).status_code == 401
        assert admin.delete("/users/dana").status_code == 404

        before = user_names(engine)
        for call, status, code in [
            (admin.post("/users", json={"name": "maria", "role": "rep"}), 409, "duplicate_user"),
            (admin.post("/users", json={"name": "x", "role": "boss"}), 422, "invalid_value"),
            (
                admin.post("/users", json={"name": "x", "role": "rep", "password": "short"}),
                422,
                "weak_password",
            ),
            (admin.post("/transfers", json={"from": "Nobody", "to": "maria"}), 404, "no_deals"),
            (admin.post("/transfers", json={"from": "Nobody", "to": "ghost"}), 422, "unknown_user"),
            (maria.get("/users"), 403, "forbidden"),
            (maria.post("/users", json={"name": "x", "role": "admin"}), 403, "forbidden"),
            (maria.post("/transfers", json={"from": "alice", "to": "bruno"}), 403, "forbidden"),
            (maria.post("/transfers", json={"from": "bruno", "to": "maria"}), 403, "forbidden"),
            (maria.delete("/users/alice"), 403, "forbidden"),
        ]:
            assert call.status_code == status, (code, call.text)
            answer = call.json()
            assert answer["ok"] is False and code in [e["code"] for e in answer["errors"]]
        assert user_names(engine) == before


def test_a_manager_script_gives_one_team_members_deals_to_another(engine: Engine) -> None:
    with running_api(engine) as api, api.client("maria") as maria, api.client("alice") as alice:
        for name in ("Fleet", "Claims"):
            assert alice.post("/deals", json={"name": name, "account": "Acme"}).status_code == 201
        given = maria.post("/transfers", json={"from": "alice", "to": "maria"})
        assert given.status_code == 200, given.text
        assert given.json() == {"from": "alice", "to": "maria", "deals": 2, "closed_kept": 0}
        assert alice.get("/deals").json()["items"] == []
        mine = maria.get("/deals", params={"owner": "maria"}).json()["items"]
        assert sorted(d["name"] for d in mine) == ["Claims", "Fleet"]
