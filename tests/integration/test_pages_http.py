"""The pages' form protection over real HTTP: a form without its CSRF token changes nothing."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services.users import add_user
from tests.api_support import running_api
from tests.builders import T0


def test_a_form_without_the_sessions_csrf_token_is_refused(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        page = browser.get("/login").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        logged = browser.post(
            "/login", data={"name": "carol", "password": "carol-secret", "csrf": token.group(1)}
        )
        assert logged.status_code == 303
        refused = browser.post("/deals", data={"name": "X", "account": "Y", "csrf": "forged"})
        assert refused.status_code == 403
        body = refused.json()
        assert body["ok"] is False and [e["code"] for e in body["errors"]] == ["csrf_failed"]
        board = browser.get("/")
        assert board.status_code == 200 and ">X<" not in board.text
