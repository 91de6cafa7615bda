"""A new installation over real HTTP, on both databases: no one can log in yet, so the login
page makes the first admin; once anyone exists it is a login page again."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import Engine

from dealgate.api.app import create_app
from dealgate.services.users import list_users, user_names
from tests.api_support import serve
from tests.builders import T0


def _setup(browser: httpx.Client, **form: str) -> httpx.Response:
    page = browser.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    return browser.post("/setup", data={"csrf": token.group(1), **form})


def test_a_new_installation_makes_its_first_admin_from_the_login_page(engine: Engine) -> None:
    with serve(create_app(engine, clock=lambda: T0, webhooks=False)) as base:
        with httpx.Client(base_url=base) as browser:
            page = browser.get("/login")
            assert "Set up dealgate" in page.text and 'action="/setup"' in page.text
            for form, code in [
                ({"name": "ada", "password": "short", "repeated": "short"}, "weak_password"),
                (
                    {"name": "ada", "password": "long-enough", "repeated": "other-one"},
                    "passwords_differ",
                ),
                (
                    {"name": " ", "password": "long-enough", "repeated": "long-enough"},
                    "invalid_name",
                ),
            ]:
                refused = _setup(browser, **form)
                assert refused.status_code == 422 and f"<code>{code}</code>" in refused.text
            assert user_names(engine) == []

            made = _setup(browser, name="ada", password="ada-secret", repeated="ada-secret")
            assert made.status_code == 303 and made.headers["location"] == "/import"
            assert browser.get("/import").status_code == 200  # logged in, an admin
            assert [(u.name, u.role.value, pages) for u, pages in list_users(engine)] == [
                ("ada", "admin", True)
            ]

        with httpx.Client(base_url=base) as latecomer:
            page = latecomer.get("/login")
            assert "Log in" in page.text and 'action="/setup"' not in page.text
            again = _setup(latecomer, name="eve", password="eve-secret", repeated="eve-secret")
            assert again.status_code == 409 and "<code>already_set_up</code>" in again.text
            assert user_names(engine) == ["ada"]


def test_two_first_admins_at_once_make_one(engine: Engine) -> None:
    """Two people setting up the same new installation at the same moment: one wins."""
    with serve(create_app(engine, clock=lambda: T0, webhooks=False)) as base:
        clients = [httpx.Client(base_url=base) for _ in range(2)]
        try:
            with ThreadPoolExecutor(2) as pool:
                answers = list(
                    pool.map(
                        lambda pair: _setup(
                            pair[0], name=pair[1], password="a-secret!", repeated="a-secret!"
                        ),
                        zip(clients, ["ada", "bob"], strict=True),
                    )
                )
        finally:
            for client in clients:
                client.close()
    assert sorted(a.status_code for a in answers) == [303, 409]
    assert len(user_names(engine)) == 1
