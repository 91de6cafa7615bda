"""The pages' form protection over real HTTP: a form without its CSRF token, or with text no
database keeps, changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

import httpx
from sqlalchemy import Engine, func, select

from dealgate.api.app import create_app
from dealgate.domain.access import UserRole
from dealgate.services import deals as svc
from dealgate.services.users import add_user
from dealgate.store import tables
from tests.api_support import running_api, serve
from tests.builders import T0
from tests.pages_support import log_in


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


def test_a_browser_is_shown_an_error_as_a_page_with_its_codes_and_a_script_gets_the_json(
    engine: Engine,
) -> None:
    """A stale form, a mistyped address or a form missing a field showed a browser raw JSON."""
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what browsers send
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        cases: list[tuple[Callable[[dict[str, str]], httpx.Response], int, str, str]] = [
            (
                lambda h: browser.post(
                    "/deals", data={"name": "X", "account": "Y", "csrf": "old"}, headers=h
                ),
                403,
                "csrf_failed",
                "This form is stale",
            ),
            (
                lambda h: browser.get("/nowhere", headers=h),
                404,
                "not_found",
                "There is no page at /nowhere",
            ),
            (
                lambda h: browser.post("/deals", data={"csrf": csrf}, headers=h),
                422,
                "required",
                "name",
            ),
            (
                lambda h: browser.get("/logout", headers=h),
                405,
                "method_not_allowed",
                "use the page",
            ),
        ]
        for send, status, code, words in cases:
            page = send(html)
            assert page.status_code == status, (code, page.text[:300])
            assert page.headers["content-type"].startswith("text/html")
            assert f"<code>{code}</code>" in page.text and words in page.text
            assert '<a href="/">The pipeline</a>' in page.text
            assert ">carol</a> (rep)" in page.text  # with the pages' navigation
            script = send({})  # no Accept: the one shape as JSON, as before
            assert script.status_code == status
            assert code in [e["code"] for e in script.json()["errors"]]
        api_call = browser.get("/api/v1/nowhere", headers=html)  # the API answers JSON always
        assert api_call.status_code == 404 and api_call.json()["errors"][0]["code"] == "not_found"
        assert ">X<" not in browser.get("/").text


def test_a_password_cannot_be_guessed_at_speed_on_the_login_page(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as guesser:

        def attempt(password: str) -> httpx.Response:
            token = re.search(r'name="csrf" value="([^"]+)"', guesser.get("/login").text)
            assert token is not None
            data = {"name": "carol", "password": password, "csrf": token.group(1)}
            return guesser.post("/login", data=data)

        for n in range(10):
            assert attempt(f"guess-{n}").status_code == 401
        refused = attempt("carol-secret")  # even the right one, for now
        assert refused.status_code == 429
        assert "<code>too_many_attempts</code>" in refused.text and "try again in" in refused.text
        assert guesser.get("/").headers.get("location") == "/login"  # not logged in
        with httpx.Client(base_url=api.base) as other:  # the count is carol's, from here
            add_user(engine, "dave", UserRole.REP, T0, "east", "dave-secret")
            log_in(other, "dave", "dave-secret")


def test_wrong_passwords_are_counted_across_the_servers_worker_processes(engine: Engine) -> None:
    """Two apps on one database stand for two workers (`dealgate serve --workers 2`): each
    counting its own let a guesser try twice the limit."""
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    apps = [create_app(engine, clock=lambda: T0, webhooks=False) for _ in range(2)]
    with serve(apps[0]) as first, serve(apps[1]) as second:

        def attempt(base: str, password: str) -> httpx.Response:
            with httpx.Client(base_url=base) as guesser:
                token = re.search(r'name="csrf" value="([^"]+)"', guesser.get("/login").text)
                assert token is not None
                data = {"name": "carol", "password": password, "csrf": token.group(1)}
                return guesser.post("/login", data=data)

        for n in range(5):
            assert attempt(first, f"guess-{n}").status_code == 401
            assert attempt(second, f"guess-{n}").status_code == 401
        for base in (first, second):
            refused = attempt(base, "carol-secret")
            assert refused.status_code == 429 and "<code>too_many_attempts</code>" in refused.text
    with engine.connect() as conn:  # one window's failures kept, no more
        assert conn.execute(select(func.count()).select_from(tables.login_failures)).scalar() == 10


def test_a_nul_character_sent_to_any_page_is_refused_in_the_one_shape(engine: Engine) -> None:
    """No database keeps one; PostgreSQL failed the request with a 500 when it was asked."""
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        sent = [
            browser.post("/deals", data={"name": "Acme\x00renewal", "account": "A", "csrf": csrf}),
            browser.get("/", params={"owner": "carol\x00"}),
            browser.get("/coach/carol%00"),
            browser.post("/login", data={"name": "carol\x00", "password": "x", "csrf": csrf}),
        ]
        for refused in sent:
            assert refused.status_code == 422, refused.request.url
            body = refused.json()
            assert [e["code"] for e in body["errors"]] == ["invalid_text"]
            assert "NUL character; remove it" in body["error"]
        created = browser.post("/deals", data={"name": "Renewal", "account": "Acme", "csrf": csrf})
        assert created.status_code == 303
    with engine.connect() as conn:
        assert list(conn.scalars(select(tables.deals.c.name))) == ["Renewal"]


def _new_deal(browser: httpx.Client, csrf: str, name: str) -> int:
    created = browser.post("/deals", data={"name": name, "account": "Acme", "csrf": csrf})
    assert created.status_code == 303
    found = re.search(r"/deals/(\d+)", created.headers["location"])
    assert found is not None
    return int(found.group(1))


def _stage(engine: Engine, deal_id: int) -> str:
    with engine.connect() as conn:
        stage = conn.scalar(select(tables.deals.c.stage).where(tables.deals.c.id == deal_id))
    return str(stage)


def test_a_rep_who_sends_an_override_from_a_page_is_refused_and_the_deal_stays(
    engine: Engine,
) -> None:
    """The deal page offers the override to managers only; a form forged by a rep is refused."""
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        deal_id = _new_deal(browser, csrf, "Forged override")
        assert "Override:" not in browser.get(f"/deals/{deal_id}").text
        for back in ("deal", "board"):
            refused = browser.post(
                f"/deals/{deal_id}/advance",
                data={"csrf": csrf, "back": back, "override_reason": "I say so"},
            )
            assert refused.status_code == 403
            assert "<code>forbidden</code>" in refused.text
            assert "Only managers and admins may override the gate" in refused.text
    assert _stage(engine, deal_id) == "prospect"


def test_a_page_move_to_a_stage_the_process_lacks_is_refused_with_the_stages_it_has(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        deal_id = _new_deal(browser, csrf, "Nowhere")
        refused = browser.post(
            f"/deals/{deal_id}/advance", data={"csrf": csrf, "back": "board", "to": "nowhere"}
        )
        assert refused.status_code == 422
        assert "<code>unknown_stage</code>" in refused.text
        assert "Use one of: prospect, discover" in refused.text
        too_long = browser.post(f"/deals/{deal_id}/advance", data={"csrf": csrf, "to": "x" * 41})
        assert too_long.status_code == 422
        assert too_long.json()["errors"][0]["field"] == "to"
    assert _stage(engine, deal_id) == "prospect"


def test_closing_a_deal_as_lost_from_its_page_needs_a_reason(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        deal_id = _new_deal(browser, csrf, "Lost cause")
        refused = browser.post(f"/deals/{deal_id}/close", data={"csrf": csrf, "reason": "  "})
        assert refused.status_code == 422
        assert "<code>reason_required</code>" in refused.text
        assert _stage(engine, deal_id) == "prospect"
        closed = browser.post(
            f"/deals/{deal_id}/close", data={"csrf": csrf, "reason": "No budget this year."}
        )
        assert closed.status_code == 303
        again = browser.post(f"/deals/{deal_id}/close", data={"csrf": csrf, "reason": "Twice"})
        assert again.status_code == 422
        assert "<code>deal_closed</code>" in again.text
    assert _stage(engine, deal_id) == "lost"
    with engine.connect() as conn:
        reason = conn.scalar(
            select(tables.deals.c.close_reason).where(tables.deals.c.id == deal_id)
        )
    assert reason == "No budget this year."


def test_the_board_and_the_review_say_how_much_of_each_stage_no_buyer_commitment_backs(
    engine: Engine,
) -> None:
    """A stage's total, and the part of it whose deals only claim the stage (here one moved by
    a manager's override), in money as people write it."""
    add_user(engine, "carol", UserRole.MANAGER, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        claimed = browser.post(
            "/deals", data={"name": "Claimed", "account": "A", "amount": "40000", "csrf": csrf}
        )
        claimed_id = int(re.findall(r"/deals/(\d+)", claimed.headers["location"])[0])
        browser.post(
            "/deals", data={"name": "Early", "account": "B", "amount": "12500.5", "csrf": csrf}
        )
        moved = browser.post(
            f"/deals/{claimed_id}/advance",
            data={"csrf": csrf, "override_reason": "The CFO called us."},
        )
        assert moved.status_code == 303

        board = browser.get("/").text
        discover = board.split('data-stage="discover"', 1)[1].split("</section>", 1)[0]
        assert "40,000" in discover
        assert "1 not backed by a buyer commitment: 40,000" in discover
        prospect = board.split('<section class="column" data-stage="prospect"', 1)[1]
        prospect = prospect.split("</section>", 1)[0]
        assert "12,500.50" in prospect and "not backed" not in prospect

        review = browser.get("/review").text
        assert "evidenced 12,500.50" in review and "claimed 40,000" in review
        assert 'href="/?flag=overridden"' in review
        assert 'flag=overridden#flagged">overridden</a>' in review
        assert 'href="/?flag=stalled"' not in review  # nothing to show there
        funnel = review.split('id="funnel-h"', 1)[1].split("</section>", 1)[0]
        assert ">discover</a></td><td>1</td><td>0</td>" in funnel.replace("\n", "")
        assert "<td>40,000</td><td>40,000</td>" in funnel


def test_a_review_asked_for_a_day_that_is_no_date_says_so_and_reviews_today(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        for bad in ("2026-13-45", "0001-01-01"):
            shown = browser.get("/review", params={"as_of": bad})
            assert shown.status_code == 422
            assert "Reviewed today instead:" in shown.text
            assert "<code>invalid_date</code>" in shown.text
            assert "open deals reviewed" in shown.text
        assert browser.get("/review", params={"as_of": "2026-03-01"}).status_code == 200


def test_a_deals_details_are_edited_from_its_page_and_a_rep_keeps_their_deals(
    engine: Engine,
) -> None:
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        deal_id = _new_deal(browser, csrf, "Fleet")
        same = {"csrf": csrf, "name": "Fleet", "account": "Acme", "owner": "carol"}
        edited = browser.post(
            f"/deals/{deal_id}/edit",
            data={**same, "name": "Fleet rollout", "amount": "48,000", "close_date": "2027-01-31"},
        )
        assert edited.status_code == 303 and "Details%20saved" in edited.headers["location"]
        unchanged = browser.post(f"/deals/{deal_id}/edit", data={**same, "name": "Fleet rollout"})
        assert unchanged.status_code == 303
        refused = [
            (
                browser.post(f"/deals/{deal_id}/edit", data={**same, "owner": "maria"}),
                403,
                "forbidden",
            ),
            (
                browser.post(f"/deals/{deal_id}/edit", data={**same, "amount": "lots"}),
                422,
                "invalid_amount",
            ),
            (
                browser.post(f"/deals/{deal_id}/edit", data={**same, "amount": "-5"}),
                422,
                "invalid_amount",
            ),
            (
                browser.post(f"/deals/{deal_id}/edit", data={**same, "amount": "1e400"}),
                422,
                "invalid_amount",
            ),
            (
                browser.post(
                    "/deals", data={"csrf": csrf, "name": "X", "account": "Y", "amount": "0.001"}
                ),
                422,
                "invalid_amount",
            ),
            (
                browser.post(f"/deals/{deal_id}/edit", data={**same, "close_date": "31/01"}),
                422,
                "invalid_date",
            ),
            (browser.post(f"/deals/{deal_id}/edit", data={**same, "name": "   "}), 422, "required"),
        ]
        for answer, status, code in refused:
            assert answer.status_code == status, (code, answer.text[-800:])
            assert f"<code>{code}" in answer.text
        too_big = browser.get("/deals/99999999999999999999")  # a 500 on SQLite before
        assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "deal_id"
    with engine.connect() as conn:
        row = conn.execute(select(tables.deals).where(tables.deals.c.id == deal_id)).one()
        updates = conn.scalar(
            select(func.count())
            .select_from(tables.events)
            .where(tables.events.c.deal_id == deal_id, tables.events.c.type == "deal.updated")
        )
    assert (row.name, row.owner, str(row.amount), str(row.close_date)) == (
        "Fleet rollout",
        "carol",
        "48000.00",
        "2027-01-31",
    )
    assert updates == 1  # the form sent back unchanged recorded nothing


def _column(board: str, stage: str) -> str:
    return board.split(f'<section class="column" data-stage="{stage}"', 1)[1].split("</section>")[0]


def _cards(column: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card" id="card-(\d+)"', column)]


def test_a_full_column_shows_its_first_cards_counts_every_deal_and_shows_a_refused_one(
    engine: Engine,
) -> None:
    """A column holds 60 cards, its heading and totals count every deal in it, a refused card
    is shown with its reason however far down its column it is, and a flag filter narrows."""
    add_user(engine, "carol", UserRole.MANAGER, T0, "east", "carol-secret")
    claimed = [
        svc.open_deal(
            engine,
            now=T0,
            actor="carol",
            name=f"Claimed {n}",
            account="A",
            owner="carol",
            stage="discover",
            amount=Decimal("100.25"),
        ).id
        for n in range(63)
    ]
    early = svc.open_deal(engine, now=T0, actor="carol", name="Early", account="B", owner="carol")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        discover = _column(browser.get("/").text, "discover")
        assert _cards(discover) == claimed[:60]
        assert "(63)" in discover and 'data-amount="6315.75"' in discover
        assert "63 not backed by a buyer commitment: 6,315.75" in discover
        assert "and 3 more: filter by owner or flag." in discover
        assert _cards(_column(browser.get("/").text, "prospect")) == [early.id]

        last = claimed[-1]
        refused = browser.post(f"/deals/{last}/advance", data={"csrf": csrf, "back": "board"})
        assert refused.status_code == 422
        discover = _column(refused.text, "discover")
        assert _cards(discover) == [*claimed[:60], last]
        assert "Stays in discover." in discover and "and 2 more" in discover

        flagged = browser.get("/", params={"flag": "unevidenced_stage"}).text
        assert _cards(_column(flagged, "discover")) == claimed[:60]
        assert "and 3 more" in _column(flagged, "discover")
        assert _cards(_column(flagged, "prospect")) == []
        assert "(0)" in _column(flagged, "prospect")


def test_the_boards_owner_filter_offers_a_rep_no_one_whose_deals_they_cannot_see(
    engine: Engine,
) -> None:
    add_user(engine, "mia", UserRole.MANAGER, T0, "east", "mia-secret-1")
    add_user(engine, "carol", UserRole.REP, T0, "east", "carol-secret")
    add_user(engine, "dave", UserRole.REP, T0, "east", "dave-secret1")
    with running_api(engine) as api:
        offered = {}
        for name, password in (("carol", "carol-secret"), ("mia", "mia-secret-1")):
            with httpx.Client(base_url=api.base) as browser:
                log_in(browser, name, password)
                board = browser.get("/").text
                select = board[board.index('name="owner"') : board.index("</select>")]
                offered[name] = re.findall(r'<option value="([^"]+)"', select)
        assert offered["carol"] == ["carol"]
        assert {"carol", "dave", "mia"} <= set(offered["mia"])  # her team, deals or not


def test_owners_are_offered_in_the_order_people_read_names(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    for owner in ("Rep 10", "rep 2", "Rep 1", "bruno", "Ada"):
        svc.open_deal(engine, now=T0, actor="carol", name="D", account="A", owner=owner)
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "carol", "carol-secret")
        for page in ("/", "/review"):
            text = browser.get(page).text
            select = text[text.index('name="owner"') :]
            select = select[: select.index("</select>")]
            offered = re.findall(r'<option value="([^"]+)"', select)
            named = [o for o in offered if o in ("Rep 10", "rep 2", "Rep 1", "bruno", "Ada")]
            assert named == ["Ada", "bruno", "Rep 1", "rep 2", "Rep 10"], page
