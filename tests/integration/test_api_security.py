"""Authorization matrix, the one error shape on every endpoint, and hostile input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from dealgate.api.app import create_app
from dealgate.processes import DEFAULT_PROCESS_PATH
from tests.api_support import Api, running_api

# Every endpoint, with a body that is valid for it. {id} is a deal of alice's.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/deals", {"name": "X", "account": "Y"}),
    ("GET", "/deals", None),
    ("GET", "/deals/{id}", None),
    ("PATCH", "/deals/{id}", {"name": "Z"}),
    ("POST", "/deals/{id}/stakeholders", {"name": "Ken", "role": "user"}),
    ("PATCH", "/deals/{id}/stakeholders/1", {"title": "CFO"}),
    ("POST", "/deals/{id}/dissatisfaction", {"dissatisfaction": "Month-end close takes nine days"}),
    ("POST", "/deals/{id}/commitments", {"party": "seller", "action": "Send deck"}),
    ("PATCH", "/deals/{id}/commitments/1", {"status": "kept"}),
    ("POST", "/deals/{id}/interactions", {"kind": "call", "on": "2026-03-02", "summary": "Hi"}),
    ("GET", "/deals/{id}/gate", None),
    ("POST", "/deals/{id}/advance", {}),
    ("POST", "/deals/{id}/close", {"outcome": "lost", "reason": "No budget"}),
    ("GET", "/deals/{id}/history", None),
    ("GET", "/process", None),
    ("PUT", "/process", {"source": DEFAULT_PROCESS_PATH.read_text(encoding="utf-8")}),
    ("GET", "/process/audit", None),
    ("GET", "/process/history", None),
    ("GET", "/review", None),
    ("GET", "/review/changes", None),
    ("GET", "/deals/{id}/coach", None),
    ("GET", "/reps/alice/coach", None),
    ("GET", "/reps/alice/commitments.ics", None),
    ("POST", "/calendar-key", None),
    ("POST", "/extract", {"text": "Raj will send the data."}),
    ("GET", "/commitments/waiting", None),
    ("POST", "/commitments/settle", {"verb": "reject", "picks": [{"deal_id": 1, "number": 1}]}),
    ("GET", "/users", None),
    ("POST", "/users", {"name": "newbie", "role": "rep"}),
    ("POST", "/transfers", {"from": "alice", "to": "bruno"}),
    ("PATCH", "/users/alice", {"team": "west"}),
    ("DELETE", "/users/alice", None),
]
DEAL_SCOPED = [e for e in ENDPOINTS if "{id}" in e[1]]
ADMIN_ONLY = [
    e
    for e in ENDPOINTS
    if e[1].startswith(("/users", "/transfers")) or e[0:2] == ("PUT", "/process")
]


@pytest.fixture
def api(engine: Engine) -> Iterator[Api]:
    with running_api(engine) as running:
        yield running


def alices_deal(api: Api) -> int:
    alice = api.client("alice")
    deal = alice.post("/deals", json={"name": "Fleet", "account": "Acme"}).json()
    alice.post(
        f"/deals/{deal['id']}/commitments",
        json={"party": "buyer", "action": "Meet", "status": "obtained"},
    )
    return int(deal["id"])


def call(client: httpx.Client, method: str, path: str, body: Any, deal: int) -> httpx.Response:
    return client.request(method, path.format(id=deal), json=body)


def assert_shape(response: httpx.Response, code: str | None = None) -> list[str]:
    body = response.json()
    assert set(body) == {"ok", "status", "error", "errors"}, body
    assert body["ok"] is False and body["status"] == response.status_code
    assert body["errors"] and all(set(e) == {"code", "field", "message"} for e in body["errors"])
    codes = [e["code"] for e in body["errors"]]
    if code is not None:
        assert code in codes, codes
    return codes


def test_the_matrix_covers_every_endpoint() -> None:
    paths = create_app(webhooks=False).openapi()["paths"]
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in paths.items()
        for method in operations
    }
    listed = {
        (m, p.replace("{id}", "{deal_id}").replace("/1", "/{number}").replace("alice", "{name}"))
        for m, p, _ in ENDPOINTS
    }
    assert documented == listed


@pytest.mark.parametrize(
    ("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS]
)
def test_without_a_token_every_endpoint_is_401(api: Api, method: str, path: str, body: Any) -> None:
    deal = alices_deal(api)
    for client in (
        api.client(None),
        httpx.Client(base_url=api.base + "/api/v1", headers={"Authorization": "Bearer nope"}),
    ):
        response = call(client, method, path, body, deal)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert_shape(response, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "path", "body"), DEAL_SCOPED, ids=[f"{m} {p}" for m, p, _ in DEAL_SCOPED]
)
def test_another_reps_deal_is_404_and_unchanged(
    api: Api, method: str, path: str, body: Any
) -> None:
    deal = alices_deal(api)
    before = api.client("alice").get(f"/deals/{deal}").json()
    response = call(api.client("bruno"), method, path, body, deal)
    assert response.status_code == 404
    assert_shape(response, "not_found")
    assert api.client("alice").get(f"/deals/{deal}").json() == before


@pytest.mark.parametrize(
    ("method", "path", "body"), ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY]
)
def test_only_an_admin_manages_users_or_loads_a_process_and_nobody_hands_deals_outside_their_team(
    api: Api, method: str, path: str, body: Any
) -> None:
    deal = alices_deal(api)
    for who in ("alice", "maria"):  # a rep, a manager
        response = call(api.client(who), method, path, body, deal)
        assert response.status_code == 403
        assert_shape(response, "forbidden")
    assert api.client("alice").get(f"/deals/{deal}").json()["owner"] == "alice"


def test_a_manager_sees_the_team_and_a_rep_does_not_see_other_reps(api: Api) -> None:
    deal = alices_deal(api)
    assert api.client("maria").get(f"/deals/{deal}").status_code == 200
    assert [d["id"] for d in api.client("bruno").get("/deals").json()["items"]] == []
    assert api.client("bruno").get("/reps/alice/coach").status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/deals/{id}/advance", {"override_reason": "I say so"}),
        ("/deals/{id}/close", {"outcome": "won", "override_reason": "I say so"}),
    ],
)
def test_a_rep_may_not_override_the_gate(api: Api, path: str, body: dict[str, Any]) -> None:
    deal = alices_deal(api)
    response = api.client("alice").post(path.format(id=deal), json=body)
    assert response.status_code == 403
    assert_shape(response, "forbidden")
    manager = api.client("maria").post(path.format(id=deal), json=body)
    assert manager.status_code == 200, manager.text


def test_a_rep_may_not_create_deals_for_others(api: Api) -> None:
    response = api.client("alice").post(
        "/deals", json={"name": "X", "account": "Y", "owner": "bruno"}
    )
    assert response.status_code == 403
    assert_shape(response, "forbidden")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [e for e in ENDPOINTS if e[2] is not None],
    ids=[f"{m} {p}" for m, p, b in ENDPOINTS if b is not None],
)
def test_every_body_endpoint_refuses_bad_input_in_the_one_shape(
    api: Api, method: str, path: str, body: Any
) -> None:
    deal = alices_deal(api)
    admin = api.client()
    unknown = call(admin, method, path, {**body, "surprise": 1}, deal)
    assert unknown.status_code == 422
    assert_shape(unknown, "unknown_field")
    not_json = admin.request(
        method,
        path.format(id=deal),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert_shape(not_json)
    wrong_type = admin.request(method, path.format(id=deal), json=[1, 2, 3])
    assert wrong_type.status_code == 422
    assert_shape(wrong_type)


def test_unknown_paths_and_methods_use_the_one_shape(api: Api) -> None:
    admin = api.client()
    assert_shape(admin.get("/nothing-here"), "not_found")
    assert_shape(admin.delete("/process"), "method_not_allowed")
    assert_shape(admin.get("/deals/0"), "invalid_value")
    assert_shape(admin.get("/deals/99999"), "not_found")


def test_an_oversize_body_is_refused_and_nothing_is_stored(api: Api) -> None:
    admin = api.client()
    huge = {"name": "x" * 300_000, "account": "Y"}
    response = admin.post("/deals", json=huge)
    assert response.status_code == 413
    assert_shape(response, "body_too_large")
    assert admin.get("/deals").json()["items"] == []


def test_an_oversize_chunked_body_without_a_length_is_refused_in_the_one_shape(api: Api) -> None:
    admin = api.client()

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(30):
            yield b"x" * 10_000
        yield b'", "account": "Y"}'

    response = admin.post("/deals", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert_shape(response, "body_too_large")
    assert admin.get("/deals").json()["items"] == []


HOSTILE = [
    "Robert'); DROP TABLE deals;--",
    "<script>alert(1)</script>",
    "Ünïcödé ✓ 中文",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_sql_and_html_in_text_are_stored_verbatim_and_come_back_as_json(
    api: Api, text: str
) -> None:
    admin = api.client()
    made = admin.post("/deals", json={"name": text, "account": text, "owner": "alice"})
    assert made.status_code == 201
    back = admin.get(f"/deals/{made.json()['id']}")
    assert back.json()["name"] == text
    assert back.headers["content-type"].startswith("application/json")
    assert "<script>" not in back.text or "\\u003c" in back.text or back.json()["name"] == text
    assert admin.get("/deals").json()["items"][0]["name"] == text


@pytest.mark.parametrize("text", ["bad\x00byte", "\ud800"])
def test_text_the_database_cannot_hold_is_refused_not_a_500(api: Api, text: str) -> None:
    response = api.client().post(
        "/deals",
        content=('{"name": "' + text.encode("unicode_escape").decode() + '", "account": "Y"}')
        .replace("\\x00", "\\u0000")
        .encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert_shape(response)
