"""Logging in to the pages over HTTP, as a browser does: the login form's token, then the
session's."""

from __future__ import annotations

import re

import httpx


def log_in(browser: httpx.Client, name: str, password: str) -> str:
    """Logs `name` in; the session's CSRF token, for the forms."""
    token = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert token is not None
    data = {"name": name, "password": password, "csrf": token.group(1)}
    assert browser.post("/login", data=data).status_code == 303
    session = re.search(r'name="csrf" value="([^"]+)"', browser.get("/deals/new").text)
    assert session is not None
    return session.group(1)
