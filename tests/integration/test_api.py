"""The REST API over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from dealgate.api.app import create_app
from dealgate.services.setup import init_database
from dealgate.store.async_documents import APPLICATION_NAME
from dealgate.store.db import make_engine
from tests.api_support import Api, make_users, running_api, serve
from tests.builders import T0

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with running_api(engine) as running:
        yield running


def codes(response: httpx.Response) -> list[str]:
    body = response.json()
    assert body["ok"] is False and body["status"] == response.status_code
    return [e["code"] for e in body["errors"]]


def new_deal(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/deals", json={"name": "Fleet", "account": "Acme", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_deal_advances_only_on_the_buyers_commitment_over_http(api: Api) -> None:
    alice = api.client("alice")
    deal = new_deal(alice)
    assert deal["owner"] == "alice" and deal["stage"] == "prospect" and deal["version"] == 1
    path = f"/deals/{deal['id']}"

    gate = alice.get(f"{path}/gate").json()
    assert gate["can_advance"] is False and gate["next_stage"] == "discover"
    assert [v["code"] for v in gate["violations"]] == ["no_buyer_commitment"]
    assert {k["kind"] for k in gate["exit_menu"]} >= {"first_meeting_accepted"}

    refused = alice.post(f"{path}/advance", json={})
    assert refused.status_code == 422 and codes(refused) == ["no_buyer_commitment"]

    assert (
        alice.post(
            f"{path}/stakeholders", json={"name": "Maria Lopez", "role": "champion"}
        ).status_code
        == 201
    )
    made = alice.post(
        f"{path}/commitments",
        json={
            "party": "buyer",
            "action": "Intro meeting",
            "kind": "first_meeting_accepted",
            "person": "Maria Lopez",
            "due": "2026-03-10",
        },
    )
    assert made.status_code == 201 and made.json()["rung"] == "time"

    moved = alice.post(f"{path}/advance", json={})
    assert moved.status_code == 200 and moved.json()["stage"] == "discover"
    history = alice.get(f"{path}/history").json()["events"]
    advanced = next(e for e in history if e["type"] == "deal.advanced")
    assert advanced["actor"] == "alice"
    assert advanced["justified_by"][0]["kind"] == "first_meeting_accepted"
    detail = alice.get(path).json()
    assert detail["stage_history"][-1]["to"] == "discover" and detail["version"] == 4


def test_a_stale_version_in_if_match_is_a_conflict(api: Api) -> None:
    alice = api.client("alice")
    deal = new_deal(alice)
    path = f"/deals/{deal['id']}/advance"
    override = api.client("maria").post(
        path, json={"override_reason": "Board ask"}, headers={"If-Match": '"1"'}
    )
    assert override.status_code == 200, override.text
    stale = api.client("maria").post(
        path, json={"override_reason": "Again"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 409 and codes(stale) == ["conflict"]
    bad = alice.post(path, json={}, headers={"If-Match": "yesterday"})
    assert bad.status_code == 400 and codes(bad) == ["invalid_if_match"]


def test_lists_paginate_with_limit_and_cursor(api: Api) -> None:
    admin = api.client()
    made = [new_deal(admin, owner="alice", name=f"Deal {n}")["id"] for n in range(5)]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/deals", params=params).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    assert codes(admin.get("/deals", params={"cursor": "!!"})) == ["invalid_cursor"]
    assert codes(admin.get("/deals", params={"limit": 0})) == ["invalid_value"]


def test_filters_by_stage_owner_and_flag(api: Api) -> None:
    admin = api.client()
    new_deal(admin, owner="alice")
    claimed = new_deal(admin, owner="bruno", stage="propose")
    by_stage = admin.get("/deals", params={"stage": "propose"}).json()["items"]
    assert [d["id"] for d in by_stage] == [claimed["id"]]
    assert [d["owner"] for d in admin.get("/deals", params={"owner": "alice"}).json()["items"]] == [
        "alice"
    ]
    flagged = admin.get("/deals", params={"flag": "unevidenced_stage"}).json()["items"]
    assert [d["id"] for d in flagged] == [claimed["id"]]
    assert codes(admin.get("/deals", params={"stage": "nowhere"})) == ["unknown_stage"]


def test_patch_changes_fields_but_never_the_stage(api: Api) -> None:
    alice = api.client("alice")
    deal = new_deal(alice)
    changed = alice.patch(f"/deals/{deal['id']}", json={"amount": "1200.50", "name": "Renamed"})
    assert changed.status_code == 200
    assert changed.json()["amount"] == "1200.50" and changed.json()["name"] == "Renamed"
    sneaky = alice.patch(f"/deals/{deal['id']}", json={"stage": "decide"})
    assert sneaky.status_code == 422 and codes(sneaky) == ["unknown_field"]


def deal_with_raj(alice: httpx.Client, note: str | None = None) -> tuple[str, list[Any]]:
    """A deal of alice's whose committee holds Raj Patel: its path, and what `note`, logged
    as a call, proposed."""
    path = f"/deals/{new_deal(alice)['id']}"
    alice.post(f"{path}/stakeholders", json={"name": "Raj Patel", "role": "champion"})
    if note is None:
        return path, []
    logged = alice.post(
        f"{path}/interactions", json={"kind": "call", "on": "2026-03-02", "summary": note}
    )
    assert logged.status_code == 201
    return path, list(logged.json()["inferred"])


def test_commitment_status_and_inferred_confirmation(api: Api) -> None:
    alice = api.client("alice")
    path, inferred = deal_with_raj(alice, "Raj accepted an intro call for Tuesday")
    assert [(c["kind"], c["status"], c["person"]) for c in inferred] == [
        ("intro_call_booked", "inferred", "Raj Patel")
    ]
    confirmed = alice.patch(
        f"{path}/commitments/{inferred[0]['number']}", json={"status": "obtained"}
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "obtained"
    illegal = alice.patch(f"{path}/commitments/{inferred[0]['number']}", json={"status": "asked"})
    assert illegal.status_code == 422 and codes(illegal) == ["invalid_transition"]


def test_an_inferred_commitment_confirmed_over_the_api_may_name_who_made_it(api: Api) -> None:
    alice = api.client("alice")
    path, inferred = deal_with_raj(alice, "Their CTO accepted a demo for Tuesday")
    (found,) = [c for c in inferred if c["party"] == "buyer"]
    one = f"{path}/commitments/{found['number']}"
    assert found["person"] != "Raj Patel"
    off = alice.patch(one, json={"status": "obtained", "person": "Ken Okafor"})
    assert off.status_code == 422 and codes(off) == ["not_a_stakeholder"]
    assert off.json()["errors"][0]["field"] == "person"
    named = alice.patch(one, json={"status": "obtained", "person": "raj patel"})
    assert named.status_code == 200
    assert (named.json()["person"], named.json()["status"]) == ("Raj Patel", "obtained")
    later = alice.patch(one, json={"status": "kept", "person": "Raj Patel"})
    assert later.status_code == 422 and codes(later) == ["person_not_changed"]
    assert alice.get(path).json()["commitments"][0]["status"] == "obtained"
    assert codes(alice.patch(one, json={})) == ["nothing_to_change"]


def test_a_recorded_commitment_naming_no_member_is_given_its_stakeholder(api: Api) -> None:
    alice = api.client("alice")
    path, _ = deal_with_raj(alice)
    made = alice.post(
        f"{path}/commitments",
        json={
            "party": "buyer",
            "action": "Accepted a first meeting",
            "kind": "first_meeting_accepted",
            "person": "Their CTO",
            "due": "2026-03-10",
        },
    )
    one = f"{path}/commitments/{made.json()['number']}"
    assert codes(alice.post(f"{path}/advance", json={})) == ["no_buyer_person"]
    named = alice.patch(one, json={"person": "raj patel"})
    assert named.status_code == 200 and named.json()["person"] == "Raj Patel"
    assert alice.post(f"{path}/advance", json={}).status_code == 200
    assert codes(alice.patch(one, json={"person": "Raj Patel"})) == ["already_named"]


def test_the_buyers_dissatisfaction_is_documented_over_the_api_and_lets_the_deal_leave_change(
    api: Api,
) -> None:
    alice = api.client("alice")
    path = f"/deals/{new_deal(alice, stage='change')['id']}"
    gate = alice.get(f"{path}/gate").json()
    assert "prerequisite_missing" in [v["code"] for v in gate["violations"]]
    for body, code in (
        ({"dissatisfaction": ""}, "invalid_value"),
        ({"dissatisfaction": "   "}, "required"),
        ({"dissatisfaction": "x" * 2001}, "invalid_value"),
        ({"dissatisfaction": "Slow", "by": "bob"}, "unknown_field"),
        ({}, "required"),
    ):
        refused = alice.post(f"{path}/dissatisfaction", json=body)
        assert codes(refused) == [code], body
        assert refused.json()["errors"][0]["field"] in ("dissatisfaction", "by"), body
    assert alice.get(path).json()["dissatisfaction"] == []
    said = alice.post(
        f"{path}/dissatisfaction", json={"dissatisfaction": "Month-end close takes 9 days"}
    )
    assert said.status_code == 201
    assert said.json() == {
        "text": "Month-end close takes 9 days",
        "at": T0.isoformat(),
        "actor": "alice",
    }
    assert [n["text"] for n in alice.get(path).json()["dissatisfaction"]] == [
        "Month-end close takes 9 days"
    ]
    gate = alice.get(f"{path}/gate").json()
    assert "prerequisite_missing" not in [v["code"] for v in gate["violations"]]
    assert all("dealgate " not in v["message"] for v in gate["violations"])


def test_a_stakeholder_is_corrected_over_the_api_and_their_commitments_follow(api: Api) -> None:
    alice = api.client("alice")
    path, _ = deal_with_raj(alice)
    alice.post(f"{path}/stakeholders", json={"name": "Maria Lopez", "role": "user"})
    alice.post(
        f"{path}/commitments",
        json={
            "party": "buyer",
            "action": "Accepted a first meeting",
            "kind": "first_meeting_accepted",
            "person": "Raj Patel",
            "due": "2026-03-10",
        },
    )
    raj = f"{path}/stakeholders/1"
    for body, code in (
        ({}, "nothing_to_change"),
        ({"name": "Maria Lopez"}, "duplicate_stakeholder"),
        ({"role": "boss"}, "invalid_value"),
        ({"team": "x"}, "unknown_field"),
    ):
        assert codes(alice.patch(raj, json=body)) == [code], body
    assert codes(alice.patch(f"{path}/stakeholders/9", json={"title": "CFO"})) == ["not_found"]
    changed = alice.patch(raj, json={"name": "Rajesh Patel", "title": "CFO"})
    assert changed.status_code == 200
    assert changed.json() == {
        "number": 1,
        "name": "Rajesh Patel",
        "role": "champion",
        "title": "CFO",
        "notes": None,
    }
    deal = alice.get(path).json()
    assert [c["person"] for c in deal["commitments"]] == ["Rajesh Patel"]
    assert alice.patch(raj, json={"title": ""}).json()["title"] is None
    assert alice.post(f"{path}/advance", json={}).status_code == 200


def test_close_won_passes_the_gate_and_lost_needs_a_reason(api: Api) -> None:
    alice = api.client("alice")
    deal = new_deal(alice)
    path = f"/deals/{deal['id']}/close"
    assert codes(alice.post(path, json={"outcome": "lost"})) == ["reason_required"]
    won = alice.post(path, json={"outcome": "won"})
    assert won.status_code == 422 and "stage_skipped" in codes(won)
    lost = alice.post(path, json={"outcome": "lost", "reason": "No budget"})
    assert lost.status_code == 200 and lost.json()["stage"] == "lost"


def test_process_audit_review_coaching_and_extraction(api: Api) -> None:
    admin = api.client()
    deal = new_deal(admin, owner="alice", stage="design")
    process = admin.get("/process").json()
    assert process["stages"][0]["key"] == "prospect"
    assert admin.get("/process/audit").json()["findings"] == []
    review = admin.get("/review", params={"as_of": "2026-06-01"}).json()
    assert review["summary"]["deals_reviewed"] == 1
    assert {f["code"] for f in review["deals"][0]["flags"]} >= {"stalled", "unevidenced_stage"}
    coach = admin.get(f"/deals/{deal['id']}/coach").json()
    assert coach["primary"]["exits_stage"] == "propose"
    assert [(p["stage"], p["requires"]) for p in coach["prerequisites_missing"]] == [
        ("design", "buying_committee_mapped")
    ]
    rep = admin.get("/reps/alice/coach").json()
    assert rep["rep"] == "alice" and rep["verdict"] in ("neither", "commitment_gaining")
    found = admin.post("/extract", json={"text": "EB mtg set 3/14", "date": "2026-03-02"}).json()
    assert found["commitments"][0]["rung"] == "consensus"
    assert found["commitments"][0]["due"] == "2026-03-14"


def test_a_new_token_revokes_the_old_one(api: Api, engine: Engine) -> None:
    from dealgate.services.users import rotate_token

    old = api.client("alice")
    assert old.get("/deals").status_code == 200
    new_token = rotate_token(engine, "alice")
    assert old.get("/deals").status_code == 401
    fresh = old.get("/deals", headers={"Authorization": f"Bearer {new_token}"})
    assert fresh.status_code == 200


def test_a_review_date_out_of_range_is_refused_not_a_500(api: Api) -> None:
    response = api.client().get("/review", params={"as_of": "0001-01-01"})
    assert response.status_code == 422 and codes(response) == ["invalid_date"]


@contextmanager
def served_to_alice(engine: Engine) -> Iterator[tuple[FastAPI, httpx.Client]]:
    """The app with its lifespan (so the event-loop reader on PostgreSQL), and Alice's client."""
    tokens = make_users(engine)
    app = create_app(engine, clock=lambda: T0, webhooks=False)
    headers = {"Authorization": f"Bearer {tokens['alice']}"}
    with serve(app) as base, httpx.Client(base_url=base + "/api/v1", headers=headers) as alice:
        yield app, alice


@contextmanager
def reading_in_the_thread_pool(app: FastAPI) -> Iterator[None]:
    """Reads as on SQLite or without the lifespan: the event-loop reader set aside."""
    app.state.documents, reader = None, app.state.documents
    try:
        yield
    finally:
        app.state.documents = reader


def test_deal_reads_on_postgresql_run_on_the_event_loop_and_agree_with_the_thread_pool_read(
    engine: Engine,
) -> None:
    with served_to_alice(engine) as (app, alice):
        deal = new_deal(alice)
        alice.post(f"/deals/{deal['id']}/stakeholders", json={"name": "Raj", "role": "champion"})
        on_loop = app.state.documents is not None
        assert on_loop == (engine.dialect.name == "postgresql")
        read = alice.get(f"/deals/{deal['id']}").json()
        gate = alice.get(f"/deals/{deal['id']}/gate").json()
        missing = alice.get("/deals/999999")
        with reading_in_the_thread_pool(app):
            assert alice.get(f"/deals/{deal['id']}").json() == read
            assert alice.get(f"/deals/{deal['id']}/gate").json() == gate
            assert alice.get("/deals/999999").json() == missing.json()
    assert missing.status_code == 404 and codes(missing) == ["not_found"]
    assert [s["name"] for s in read["stakeholders"]] == ["Raj"]
    assert app.state.documents is None  # the lifespan closed the pool


def test_a_process_loaded_while_serving_judges_the_next_read_on_both_read_paths(
    engine: Engine,
) -> None:
    with served_to_alice(engine) as (app, alice):
        gate = f"/deals/{new_deal(alice)['id']}/gate"
        before = alice.get(gate).json()
        # Loaded by another command: this server has never parsed the new process.
        init_database(engine, T0, DATA / "review_process.toml")
        after = alice.get(gate).json()
        with reading_in_the_thread_pool(app):
            in_thread_pool = alice.get(gate).json()
    assert before["exit_menu"] != after["exit_menu"] == in_thread_pool["exit_menu"]
    assert [k["kind"] for k in after["exit_menu"]] == [
        "first_meeting_accepted",
        "intro_call_booked",
    ]


def test_the_hot_read_path_answers_every_read_as_the_routes_do(engine: Engine) -> None:
    tokens = make_users(engine)
    hot = create_app(engine, clock=lambda: T0, webhooks=False)
    routed = create_app(engine, clock=lambda: T0, webhooks=False, hot_paths=False)

    def as_(user: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[user]}"} if user else {}

    with serve(hot) as hot_base, serve(routed) as routed_base:
        with httpx.Client(base_url=hot_base + "/api/v1", headers=as_("alice")) as alice:
            deal = new_deal(alice)["id"]
            alice.post(f"/deals/{deal}/stakeholders", json={"name": "Raj", "role": "champion"})
            alice.post(
                f"/deals/{deal}/commitments",
                json={"party": "buyer", "action": "Meet", "kind": "first_meeting_accepted"},
            )
        asked = [
            ("alice", f"/deals/{deal}"),
            ("alice", f"/deals/{deal}/gate"),
            ("maria", f"/deals/{deal}"),  # her team's deal
            ("bruno", f"/deals/{deal}"),  # another rep's: 404
            ("bruno", f"/deals/{deal}/gate"),
            ("alice", "/deals/999999"),
            ("alice", "/deals/999999/gate"),
            ("alice", f"/deals/{deal}/gate?to=won"),  # a query: the routes answer
            ("alice", "/deals/0"),
            ("alice", "/deals/2147483648"),
            ("alice", f"/deals/{deal}/"),
            (None, f"/deals/{deal}"),
        ]
        answers = []
        for base in (hot_base, routed_base):
            for user, path in asked:
                with httpx.Client(base_url=base + "/api/v1", headers=as_(user)) as client:
                    r = client.get(path)
                answers.append((path, r.status_code, r.headers.get("content-type"), r.text))
        # A token nobody issued, on the hot path's own kind of request.
        with httpx.Client(headers={"Authorization": "Bearer nope"}) as stranger:
            unknown = [stranger.get(f"{b}/api/v1/deals/{deal}") for b in (hot_base, routed_base)]
    assert answers[: len(asked)] == answers[len(asked) :]
    assert [r.status_code for r in unknown] == [401, 401]
    assert unknown[0].json() == unknown[1].json()
    statuses = [status for _, status, _, _ in answers[: len(asked)]]
    assert statuses == [200, 200, 200, 404, 404, 404, 404, 200, 422, 422, 307, 401]
    # The hot path answers on PostgreSQL, for tokens seen in the last second (so not each
    # user's first request); on SQLite every read goes through the routes.
    if engine.dialect.name == "postgresql":
        assert hot.state.hot_reads_answered > 0
    else:
        assert hot.state.hot_reads_answered == 0
    assert routed.state.hot_reads_answered == 0


MEET = {
    "party": "buyer",
    "action": "Meet",
    "kind": "first_meeting_accepted",
    "person": "Raj",
    "due": "2026-03-20",
}
FLEET = {"name": "Fleet", "account": "Acme"}
# (who, path, body as sent, headers): each sent to a deal of its own.
WRITES: list[tuple[str | None, str, str, dict[str, str]]] = [
    ("alice", "", json.dumps(FLEET), {}),  # a new deal
    ("maria", "", json.dumps({**FLEET, "owner": "alice", "amount": "1200.50"}), {}),
    ("alice", "", json.dumps({**FLEET, "owner": "bruno"}), {}),  # not hers to give: 403
    ("alice", "", json.dumps({**FLEET, "stage": "nowhere"}), {}),
    ("alice", "", json.dumps({"name": "Fleet"}), {}),  # no account
    ("alice", "", json.dumps({**FLEET, "amount": "lots"}), {}),
    ("alice", "", '{"name": "Fleet", "account": "Acme", "amount": 0.1}', {}),  # a JSON number
    ("alice", "", '{"name": "Fleet", "account": "Acme", "amount": 1.23456789012345678}', {}),
    ("alice", "/commitments", json.dumps(MEET), {}),
    ("maria", "/commitments", json.dumps({**MEET, "status": "asked"}), {}),  # her team's
    ("bruno", "/commitments", json.dumps(MEET), {}),  # another rep's deal: 404
    ("alice", "/commitments", json.dumps({**MEET, "color": "red"}), {}),  # unknown field
    ("alice", "/commitments", json.dumps({**MEET, "party": "someone"}), {}),
    ("alice", "/commitments", json.dumps({**MEET, "due": "soon"}), {}),
    ("alice", "/commitments", json.dumps({**MEET, "interaction": 7}), {}),  # no such one
    ("alice", "/commitments", '{"party": "buyer",', {}),  # not JSON
    ("alice", "/commitments", "[]", {}),
    ("alice", "/commitments", json.dumps(MEET), {"content-type": "text/plain"}),
    ("alice", "/commitments?x=1", json.dumps(MEET), {}),
    (None, "/commitments", json.dumps(MEET), {}),
    ("alice", "/advance", "{}", {}),  # evidenced below: moves
    ("alice", "/advance", json.dumps({"to": "won"}), {}),  # skips stages: refused
    ("alice", "/advance", json.dumps({"override_reason": "Board call"}), {}),  # a rep: 403
    ("maria", "/advance", json.dumps({"to": "won", "override_reason": "Board call"}), {}),
    ("alice", "/advance", json.dumps({"to": "nowhere"}), {}),
    ("alice", "/advance", "{}", {"if-match": "1"}),  # stale: the routes' 409
    ("bruno", "/advance", "{}", {}),
]


def test_the_hot_write_path_answers_every_write_as_the_routes_do(engine: Engine) -> None:
    tokens = make_users(engine)
    hot = create_app(engine, clock=lambda: T0, webhooks=False)
    routed = create_app(engine, clock=lambda: T0, webhooks=False, hot_paths=False)
    answers: dict[str, list[tuple[int, str | None, str]]] = {}
    with serve(hot) as hot_base, serve(routed) as routed_base:
        for label, base in (("hot", hot_base), ("routed", routed_base)):
            clients: dict[str | None, httpx.Client] = {
                user: httpx.Client(
                    base_url=base + "/api/v1",
                    headers={"Authorization": f"Bearer {token}"},
                )
                for user, token in tokens.items()
            }
            clients[None] = httpx.Client(base_url=base + "/api/v1")
            for client in clients.values():  # tokens seen in the last second
                client.get("/process")
            answers[label] = []
            for user, path, body, headers in WRITES:
                deal = new_deal(clients["alice"])["id"]
                clients["alice"].post(
                    f"/deals/{deal}/stakeholders", json={"name": "Raj", "role": "champion"}
                )
                if path == "/advance":
                    clients["alice"].post(f"/deals/{deal}/commitments", json=MEET)
                sent = {"content-type": "application/json", **headers}
                url = f"/deals/{deal}{path}" if path else "/deals"
                r = clients[user].post(url, content=body, headers=sent)
                # The deal's id and the time are the only things that differ between runs.
                text = re.sub(r'"id":\d+,', '"id":ID,', r.text)  # a new deal's own
                for this in (f"/deals/{deal}", f"deal {deal}.", f"Deal {deal} ", f'"id":{deal},'):
                    text = text.replace(this, this.replace(str(deal), "ID"))
                answers[label].append((r.status_code, r.headers.get("content-type"), text))
            for client in clients.values():
                client.close()
    assert answers["hot"] == answers["routed"]
    assert [status for status, _, _ in answers["hot"]] == [
        *(201, 201, 403, 422, 422, 422, 201, 422),  # new deals
        *(201, 201, 404, 422, 422, 422, 422, 422, 422, 422, 201, 401),  # commitments
        *(200, 422, 403, 200, 422, 409, 404),  # advances
    ]
    assert hot.state.hot_writes_answered >= 12  # every plain one, on both databases
    assert routed.state.hot_writes_answered == 0


@pytest.mark.parametrize("backend", ["postgresql"])  # the event-loop reads are PostgreSQL's
def test_a_read_after_postgresql_dropped_the_connections_is_answered(engine: Engine) -> None:
    with running_api(engine) as api, api.client("alice") as alice:
        deal = new_deal(alice)
        assert alice.get(f"/deals/{deal['id']}").status_code == 200
        with engine.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :name AND datname = current_database()"
                ),
                {"name": APPLICATION_NAME},
            ).scalar_one()
        assert dropped >= 1
        again = alice.get(f"/deals/{deal['id']}")
        assert again.status_code == 200 and again.json()["id"] == deal["id"]


@pytest.mark.parametrize("backend", ["postgresql"])  # the event-loop reads are PostgreSQL's
def test_a_running_server_that_has_read_no_deal_yet_leaves_its_tables_free_for_migrations(
    engine: Engine,
) -> None:
    """Its reads' connections were prepared at startup in a transaction left open, holding a
    lock on every table a deal's read touches until their first read."""
    with running_api(engine) as api, api.client("alice") as alice:
        assert alice.get("/deals").status_code == 200  # started, lifespan and all
        with engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '3s'"))
            conn.execute(text("CREATE INDEX ix_waits_for_nobody ON interactions (kind)"))
            conn.execute(text("ALTER TABLE deals ADD COLUMN waits_for_nobody integer"))
            conn.rollback()


def test_a_server_started_while_postgresql_is_down_answers_503_in_the_one_shape() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    app = create_app(make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{port}/x"))
    with serve(app) as base, httpx.Client(base_url=base + "/api/v1") as client:
        answer = client.get("/deals/1", headers={"Authorization": "Bearer not-checked-yet"})
    assert answer.status_code == 503 and codes(answer) == ["database_unavailable"]
    assert app.state.documents is None
