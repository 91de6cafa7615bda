"""A user changes their own password over real HTTP, on both databases: the right current
password, a strong new one typed twice; their other sessions end, this one goes on."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services.users import add_user
from dealgate.web.sessions import check_password
from tests.api_support import running_api
from tests.builders import T0
from tests.pages_support import log_in


def test_a_user_changes_their_password_and_their_other_sessions_end(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with (
        running_api(engine) as api,
        httpx.Client(base_url=api.base) as browser,
        httpx.Client(base_url=api.base) as phone,
    ):
        csrf = log_in(browser, "carol", "carol-secret")
        log_in(phone, "carol", "carol-secret")
        page = browser.get("/account")
        assert page.status_code == 200 and "carol: rep, team east." in page.text
        assert 'href="/account"' in browser.get("/").text

        def change(current: str, new: str, repeated: str) -> httpx.Response:
            return browser.post(
                "/account/password",
                data={"csrf": csrf, "current": current, "new": new, "repeated": repeated},
            )

        for answer, code in [
            (change("guess", "new-secret-1", "new-secret-1"), "wrong_password"),
            (change("carol-secret", "new-secret-1", "new-secret-2"), "passwords_differ"),
            (change("carol-secret", "short", "short"), "weak_password"),
        ]:
            assert answer.status_code == 422 and f"<code>{code}</code>" in answer.text
        assert check_password(engine, "carol", "carol-secret") is not None  # unchanged

        changed = change("carol-secret", "new-secret-1", "new-secret-1")
        assert changed.status_code == 303
        assert "Password changed" in browser.get(changed.headers["location"]).text
        assert browser.get("/").status_code == 200  # this browser stays logged in
        assert phone.get("/").headers.get("location") == "/login"  # the other session ended
        assert check_password(engine, "carol", "carol-secret") is None
        assert check_password(engine, "carol", "new-secret-1") is not None
