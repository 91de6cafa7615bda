"""A calendar app subscribes to a rep's buyer due dates with a calendar key that reads feeds
and nothing else (calendar apps send no headers, so the secret is in the address), over real
HTTP on both databases: made from the API, the Account page and the CLI."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from icalendar import Calendar
from sqlalchemy import Engine
from typer.testing import CliRunner

from dealgate.cli import app
from dealgate.domain.commitment import Party
from dealgate.services import deals as svc
from dealgate.services.users import calendar_reader, remove_user, set_password
from tests.api_support import Api, running_api
from tests.builders import T0
from tests.integration.test_api_security import assert_shape
from tests.pages_support import log_in


def _deal_with_a_due_date(engine: Engine, owner: str) -> None:
    deal = svc.open_deal(engine, now=T0, actor=owner, name="Fleet", account="Acme", owner=owner)
    svc.add_commitment(
        engine,
        deal.id or 0,
        now=T0,
        actor=owner,
        party=Party.BUYER,
        action="Send usage data",
        kind="data_shared",
        person="Raj",
        due=T0.date() + timedelta(days=4),
    )


def _events(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    return [str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT")]


def _key(api: Api, who: str) -> dict[str, Any]:
    made = api.client(who).post("/calendar-key")
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_a_calendar_key_reads_the_feeds_its_user_sees_and_nothing_else(engine: Engine) -> None:
    _deal_with_a_due_date(engine, "alice")
    _deal_with_a_due_date(engine, "bruno")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as calendar_app:
        alices = _key(api, "alice")
        assert [f["rep"] for f in alices["feeds"]] == ["alice"]
        path = alices["feeds"][0]["path"]
        assert path == f"/api/v1/reps/alice/commitments.ics?key={alices['key']}"
        feed = calendar_app.get(path)
        assert _events(feed) == ["Raj: Send usage data (Acme)"]
        opened = [str(e["url"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
        assert opened == [f"{api.base}/deals/1"]  # each event opens its deal's page

        # A manager's key reads the team's feeds; another team's rep stays unseen (404).
        marias = _key(api, "maria")
        assert [f["rep"] for f in marias["feeds"]] == ["maria", "alice"]
        with_marias = {"key": marias["key"]}
        assert (
            len(_events(calendar_app.get("/api/v1/reps/alice/commitments.ics", params=with_marias)))
            == 1
        )
        other_team = calendar_app.get(
            "/api/v1/reps/bruno/commitments.ics", params={"key": alices["key"]}
        )
        assert other_team.status_code == 404
        assert_shape(other_team, "not_found")

        # The key is no API token: not as a bearer, not as a token, not on another endpoint.
        key = str(alices["key"])
        for refused in (
            calendar_app.get("/api/v1/deals", headers={"Authorization": f"Bearer {key}"}),
            calendar_app.get("/api/v1/deals", params={"key": key}),
            calendar_app.get("/api/v1/reps/alice/commitments.ics", params={"token": key}),
            calendar_app.post("/api/v1/calendar-key", params={"key": key}),
        ):
            assert refused.status_code == 401
            assert_shape(refused, "unauthenticated")

        # A new key stops the old one, saying how to get one that works.
        newer = _key(api, "alice")
        stale = calendar_app.get(path)
        assert stale.status_code == 401
        assert [(e["code"], e["field"]) for e in stale.json()["errors"]] == [
            ("unauthenticated", "key")
        ]
        assert "Account page" in stale.json()["errors"][0]["message"]
        assert len(_events(calendar_app.get(newer["feeds"][0]["path"]))) == 1

        # A user removed (left the company): their address stops with them.
        remove_user(engine, "alice")
        assert calendar_app.get(newer["feeds"][0]["path"]).status_code == 401
        assert calendar_reader(engine, str(newer["key"])) is None


def test_a_rep_makes_a_calendar_address_on_the_account_page_shown_once(engine: Engine) -> None:
    _deal_with_a_due_date(engine, "alice")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        set_password(engine, "alice", "alice-secret")
        csrf = log_in(browser, "alice", "alice-secret")
        page = browser.get("/account")
        assert "Make my calendar address" in page.text and "/commitments.ics" not in page.text
        refused = browser.post("/account/calendar", data={"csrf": "forged"})
        assert refused.status_code == 403
        assert calendar_reader(engine, "cal_") is None and "Make my" in browser.get("/account").text

        made = browser.post("/account/calendar", data={"csrf": csrf})
        assert made.status_code == 200
        address = made.text.split(f"<code>{api.base}/api/v1/reps/alice/commitments.ics?key=", 1)[1]
        key = address.split("</code>", 1)[0]
        assert (
            f'href="webcal://127.0.0.1:{api.base.rsplit(":", 1)[1]}/api/v1/reps/alice/' in made.text
        )
        feed = httpx.get(f"{api.base}/api/v1/reps/alice/commitments.ics", params={"key": key})
        assert _events(feed) == ["Raj: Send usage data (Acme)"]

        reloaded = browser.get("/account/calendar", follow_redirects=False)
        assert (reloaded.status_code, reloaded.headers["location"]) == (303, "/account")
        assert made.headers["HX-Push-Url"] == "/account"  # the address bar a reload reads
        again = browser.get("/account")  # shown once: only the hash is kept
        assert key not in again.text and "Make a new calendar address" in again.text


def test_an_admin_makes_a_users_calendar_address_from_the_cli(engine: Engine) -> None:
    _deal_with_a_due_date(engine, "alice")
    with running_api(engine) as api:
        runner = CliRunner()
        url = engine.url.render_as_string(hide_password=False)
        result = runner.invoke(
            app, ["--db", url, "user", "calendar", "alice", "--base-url", api.base, "--json"]
        )
        assert result.exit_code == 0, result.output
        made = json.loads(result.output)
        assert [f["rep"] for f in made["feeds"]] == ["alice"]
        assert _events(httpx.get(made["feeds"][0]["url"])) == ["Raj: Send usage data (Acme)"]
        unknown = runner.invoke(app, ["--db", url, "user", "calendar", "nobody", "--json"])
        assert unknown.exit_code != 0 and '"code": "not_found"' in unknown.output
