"""Browser tests: Playwright driving Debian's Chromium against a real server on loopback.

They run whenever Chromium is installed (`.ci/run` installs it). Without it they are skipped,
and the test summary says so in plain words.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from dealgate.api.app import create_app
from dealgate.domain.access import UserRole
from dealgate.services.setup import init_database
from dealgate.services.users import add_user
from dealgate.store.db import make_engine
from dealgate.web import import_pages
from tests.api_support import serve
from tests.builders import T0

CHROMIUM = os.environ.get("DEALGATE_CHROMIUM") or shutil.which("chromium") or ""
OUTPUT = Path(__file__).parents[2] / "test-output" / "browser"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM:
        pytest.skip("browser tests need Chromium (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A server over a fresh SQLite database (the pages' services are the API's, which the
    integration tests run on both databases), keeping its uploads in the test's own folder."""
    monkeypatch.setattr(import_pages, "UPLOADS", tmp_path / "uploads")
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'site.db'}")
    init_database(engine, T0)
    add_user(engine, "maria", UserRole.MANAGER, T0, "east", "correct horse")
    add_user(engine, "alice", UserRole.REP, T0, "east", "alice-secret")
    add_user(engine, "bruno", UserRole.REP, T0, "west", "bruno-secret")
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    with serve(create_app(engine, clock=lambda: T0, webhooks=False)) as base:
        yield base
    engine.dispose()


@pytest.fixture
def page(browser: Any, site: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site)
    tab = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)  # an alert() from user text would land here
        dialog.dismiss()

    tab.on("dialog", on_dialog)
    tab.dialogs = dialogs
    yield tab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(OUTPUT / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Any, name: str = "maria", password: str = "correct horse") -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Pipeline").wait_for()
