"""The pages in a real browser: log in, the gate on the board, the deal page, the dashboard."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dealgate.api.app import create_app
from dealgate.services.setup import init_database
from dealgate.store.db import make_engine
from tests.api_support import serve
from tests.browser.conftest import OUTPUT, log_in
from tests.builders import T0

DEAL_PAGE = re.compile(r".*/deals/\d+(\?.*)?$")


def create_deal(page: Any, name: str, account: str = "Acme", owner: str | None = None) -> str:
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Name").fill(name)
    if owner is not None:
        page.get_by_label("Owner").select_option(owner)
    page.get_by_label("Account").fill(account)
    page.get_by_label("Amount").fill("48000")
    page.get_by_role("button", name="Create deal").click()
    page.get_by_role("status").filter(has_text="Deal created.").wait_for()
    page.wait_for_url(DEAL_PAGE)  # htmx pushes the new address after the swap
    return str(page.url.split("/deals/")[1].split("?")[0])


def card(page: Any, deal_id: str) -> Any:
    return page.locator(f"#card-{deal_id}")


def test_the_board_moves_a_card_only_on_the_buyers_commitment(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Fleet tracking")

    # Our own promise: the board refuses, says why, and the card stays.
    page.get_by_label("Who committed").select_option("seller")
    page.get_by_label("Action", exact=True).fill("Send references")
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_role("status").filter(has_text="Commitment recorded.").wait_for()

    page.goto("/review")
    flagged = page.locator(f"#flagged tr[data-deal='{deal_id}']")
    assert "seller_only" in flagged.inner_text()

    page.goto("/")
    card(page, deal_id).get_by_role("button", name="Move Fleet tracking to discover").click()
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "only_seller_commitments" in refusal.inner_text()
    assert "first_meeting_accepted" in refusal.inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "prospect"

    # Record the buyer's commitment from the link the refusal offers.
    refusal.get_by_role("link", name="Record the buyer's commitment").click()
    page.get_by_label("Name", exact=True).fill("Maria Lopez")
    page.get_by_label("Role", exact=True).select_option("champion")
    page.get_by_role("button", name="Add stakeholder").click()
    page.get_by_role("status").filter(has_text="added to the committee").wait_for()
    page.get_by_label("Who committed").select_option("buyer")
    page.get_by_label("Kind (buyer)").select_option("first_meeting_accepted")
    page.get_by_label("Person").select_option("Maria Lopez")
    page.get_by_label("Action", exact=True).fill("Accepted a first meeting")
    page.get_by_label("Due").fill("2026-03-10")
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_role("status").filter(has_text="Commitment recorded.").wait_for()

    page.goto("/")
    card(page, deal_id).get_by_role("button", name="Move Fleet tracking to discover").click()
    page.get_by_role("status").filter(has_text="moved to discover").wait_for()
    assert "moved to discover" in page.locator("[role=status]").inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "discover"

    page.goto(f"/deals/{deal_id}")
    history = page.locator("section[aria-labelledby=history-h]").inner_text()
    assert "prospect → discover" in history and "first_meeting_accepted by Maria Lopez" in history

    # The flag is gone from the dashboard.
    page.goto("/review")
    assert page.locator(f"#flagged tr[data-deal='{deal_id}']").count() == 0


def test_user_text_is_shown_as_text_never_run(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "<script>alert(1)</script>", account="<img src=x onerror=alert(2)>")
    page.goto("/")
    shown = card(page, deal_id)
    assert "<script>alert(1)</script>" in shown.inner_text()
    assert "<img src=x onerror=alert(2)>" in shown.inner_text()
    page.goto(f"/deals/{deal_id}")
    page.goto("/review")
    assert page.dialogs == []


def test_a_wrong_password_is_refused_in_words(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill("maria")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    assert "Wrong name or password" in page.locator("#login-error").inner_text()
    page.goto("/")
    assert page.url.endswith("/login")


def test_forms_refuse_bad_input_with_the_api_codes(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Claims")
    page.get_by_label("Who committed").select_option("buyer")
    page.get_by_label("Kind (buyer)").select_option("budget_confirmed")
    page.get_by_label("Action", exact=True).fill("Budget")
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_role("status").filter(has_text="Commitment recorded.").wait_for()
    page.get_by_role("button", name="Move to discover →").click()
    alert = page.locator(".refusal").first
    alert.wait_for()
    assert "kind_not_on_exit_menu" in alert.inner_text()
    assert page.url.endswith(f"/deals/{deal_id}/advance") or "deals" in page.url


def test_a_stale_form_or_a_wrong_address_shows_a_page_saying_what_to_do(page: Any) -> None:
    """They showed the browser the API's JSON as raw text."""
    log_in(page)
    # A form the session no longer matches (another tab logged out and in again).
    page.locator("header form input[name=csrf]").evaluate("input => { input.value = 'old' }")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Not allowed").wait_for()
    assert "csrf_failed" in page.get_by_role("alert").inner_text()
    assert "reload the page" in page.get_by_role("alert").inner_text()
    page.goto("/deals/new")
    assert page.get_by_role("heading", name="Pipeline").count() == 0  # still logged in
    page.goto("/nowhere")
    page.get_by_role("heading", name="Not found").wait_for()
    assert "There is no page at /nowhere" in page.get_by_role("alert").inner_text()
    assert page.get_by_role("button", name="Log out").is_visible()  # the app's own navigation
    page.get_by_role("link", name="The pipeline").click()
    page.get_by_role("heading", name="Pipeline").wait_for()


def test_every_field_has_a_label_and_the_pages_fit_a_phone(page: Any, browser: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Labels")
    for path in (
        "/",
        f"/deals/{deal_id}",
        "/review",
        "/coach",
        "/coach/maria",
        "/process",
        "/deals/new",
    ):
        page.goto(path)
        unlabeled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(e => e.type !== 'hidden' && e.labels.length === 0)
                .map(e => e.name)"""
        )
        assert unlabeled == [], (path, unlabeled)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", f"/deals/{deal_id}", "/review"):
        page.goto(path)
        body_width = page.evaluate("() => document.body.scrollWidth")
        assert body_width <= 400, (path, body_width)
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT / f"phone{path.replace('/', '_')}.png"))


def test_keyboard_alone_moves_a_card(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Keyboard")
    page.goto("/")
    button = card(page, deal_id).get_by_role("button", name="Move Keyboard to discover")
    button.focus()
    page.keyboard.press("Enter")
    card(page, deal_id).locator(".refusal").wait_for()
    assert card(page, deal_id).get_attribute("data-stage") == "prospect"


def test_a_rep_sees_only_their_deals_and_coaching(page: Any) -> None:
    log_in(page)
    create_deal(page, "Maria's deal")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    log_in(page, "bruno", "bruno-secret")
    assert "Maria's deal" not in page.locator("#board").inner_text()
    page.goto("/coach/maria")
    assert "Not found" in page.locator("h1").inner_text()


def test_the_board_filters_by_owner_and_by_flag(page: Any) -> None:
    log_in(page)
    mine = create_deal(page, "Maria's fleet")
    page.goto("/")
    theirs = create_deal(page, "Alice's fleet", owner="alice")
    # Only our own promise on Alice's deal: it carries seller_only.
    page.get_by_label("Who committed").select_option("seller")
    page.get_by_label("Action", exact=True).fill("Send references")
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_role("status").filter(has_text="Commitment recorded.").wait_for()

    page.goto("/")
    assert card(page, mine).count() == 1 and card(page, theirs).count() == 1
    page.get_by_label("Owner").select_option("alice")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*owner=alice.*"))
    assert card(page, theirs).count() == 1 and card(page, mine).count() == 0

    page.get_by_label("Owner").select_option("")
    page.get_by_label("Flag").select_option("seller_only")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r".*flag=seller_only.*"))
    assert card(page, theirs).count() == 1 and card(page, mine).count() == 0
    page.screenshot(path=str(OUTPUT / "board-filtered.png"), full_page=True)


def test_the_search_box_finds_a_deal_by_part_of_its_account(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Fleet rollout", account="Cobalt Insurance")
    page.goto("/")
    create_deal(page, "Claims", account="Other Co")
    page.get_by_label("Find a deal").fill("cobalt")
    page.get_by_label("Find a deal").press("Enter")
    page.get_by_role("heading", name="Deals matching “cobalt”").wait_for()
    found = page.locator("#found tbody tr")
    assert found.count() == 1 and "Cobalt Insurance" in found.inner_text()
    found.get_by_role("link", name="Fleet rollout").click()
    page.wait_for_url(f"**/deals/{deal_id}")


def test_a_new_installation_is_set_up_from_the_login_page(browser: Any, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    init_database(engine, T0)
    with serve(create_app(engine, clock=lambda: T0, webhooks=False)) as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        page.goto("/")
        page.get_by_role("heading", name="Set up dealgate").wait_for()
        page.get_by_label("Your name").fill("ada")
        page.get_by_label("Password (8 characters or more)").fill("ada-secret")
        page.get_by_label("Password again").fill("ada-secret")
        page.get_by_role("button", name="Create the first admin").click()
        page.get_by_role("heading", name="Import a pipeline").wait_for()
        assert page.get_by_role("link", name="Users").is_visible()
        context.close()
    engine.dispose()


def test_a_calendar_address_is_shown_once_and_a_reload_shows_the_account_page(page: Any) -> None:
    log_in(page, "alice", "alice-secret")
    page.goto("/account")
    page.get_by_role("button", name="Make my calendar address").click()
    shown = page.locator("#calendar-addresses")
    shown.wait_for()
    assert "/api/v1/reps/alice/commitments.ics?key=cal_" in shown.inner_text()
    assert page.url.endswith("/account")
    page.reload()
    assert page.locator("h1").inner_text() == "Your account"
    assert page.locator("#calendar-addresses").count() == 0  # shown once
    assert page.get_by_role("button", name="Make a new calendar address").is_visible()


def test_a_form_refused_in_place_leaves_the_address_where_it_was_so_a_reload_works(
    page: Any,
) -> None:
    log_in(page, "alice", "alice-secret")
    page.goto("/account")
    page.get_by_label("Current password").fill("not-her-password")
    page.get_by_label("New password (8 characters or more)").fill("new-secret-1")
    page.get_by_label("New password again").fill("new-secret-1")
    page.get_by_role("button", name="Change the password").click()
    page.get_by_text("wrong_password").wait_for()
    assert page.url.endswith("/account")
    page.reload()
    assert page.locator("h1").inner_text() == "Your account"
