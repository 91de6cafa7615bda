"""Moving deals in a real browser: a card dragged onto a column, a stage skipped, a manager's
override with its reason, a deal closed as lost. The gate answers each as it answers a button."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import OUTPUT, log_in
from tests.browser.test_pages import card, create_deal


def column(page: Any, stage: str) -> Any:
    return page.locator(f".column[data-stage='{stage}']")


def record_buyer_commitment(
    page: Any, kind: str, person: str = "Maria Lopez", due: str | None = "2026-03-10"
) -> None:
    """On the deal page: the person joins the committee if new, then commits to `kind`."""
    if page.get_by_label("Person").locator("option", has_text=person).count() == 0:
        page.get_by_label("Name", exact=True).fill(person)
        page.get_by_label("Role", exact=True).select_option("champion")
        page.get_by_role("button", name="Add stakeholder").click()
        page.get_by_role("status").filter(has_text="added to the committee").wait_for()
    page.get_by_label("Who committed").select_option("buyer")
    page.get_by_label("Kind (buyer)").select_option(kind)
    page.get_by_label("Person").select_option(person)
    page.get_by_label("Action", exact=True).fill(f"Committed: {kind}")
    if due is not None:
        page.get_by_label("Due").fill(due)
    page.get_by_role("button", name="Record commitment").click()
    page.get_by_role("status").filter(has_text="Commitment recorded.").wait_for()


def drag_to_zone(page: Any, deal_id: str, zone: Any) -> None:
    """By hand: the won and lost zones appear only once a drag has started."""
    card(page, deal_id).hover()
    page.mouse.down()
    page.mouse.move(10, 10, steps=5)
    zone.wait_for()
    zone.hover()
    page.mouse.up()


def drag(page: Any, deal_id: str, stage: str) -> None:
    page.goto("/")
    card(page, deal_id).drag_to(column(page, stage))


def test_a_card_dragged_to_the_next_column_moves_only_on_the_buyers_commitment(
    page: Any,
) -> None:
    log_in(page)
    deal_id = create_deal(page, "Dragged fleet")

    drag(page, deal_id, "discover")
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "no_buyer_commitment" in refusal.inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "prospect"

    page.goto(f"/deals/{deal_id}")
    record_buyer_commitment(page, "first_meeting_accepted")
    drag(page, deal_id, "discover")
    page.get_by_role("status").filter(has_text="Dragged fleet moved to discover").wait_for()
    assert card(page, deal_id).get_attribute("data-stage") == "discover"
    assert column(page, "discover").locator(f"#card-{deal_id}").count() == 1


def test_a_card_dragged_past_a_stage_needs_that_stages_exit_commitment_too(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Skipping fleet")
    record_buyer_commitment(page, "first_meeting_accepted")

    drag(page, deal_id, "change")
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "stage_skipped" in refusal.inner_text() and "discover" in refusal.inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "prospect"
    page.screenshot(path=str(OUTPUT / "board-drag-refused.png"), full_page=True)


def test_a_card_dragged_back_to_an_earlier_column_stays_and_says_why(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Backwards fleet")
    record_buyer_commitment(page, "first_meeting_accepted")
    drag(page, deal_id, "discover")
    page.get_by_role("status").filter(has_text="moved to discover").wait_for()

    drag(page, deal_id, "prospect")
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "not_forward" in refusal.inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "discover"


def test_a_manager_overrides_the_gate_on_the_deal_page_with_a_recorded_reason(
    page: Any,
) -> None:
    log_in(page)
    deal_id = create_deal(page, "Override fleet")
    page.get_by_text("Other moves").click()
    page.get_by_label("Override:").fill("The CFO asked for a proposal on the phone today.")
    page.get_by_role("button", name="Override and move to discover").click()
    page.get_by_role("status").filter(has_text="Override fleet moved to discover").wait_for()
    history = page.locator("section[aria-labelledby=history-h]").inner_text()
    assert "prospect → discover" in history
    assert "override: The CFO asked for a proposal on the phone today." in history

    page.goto("/review")
    assert "overridden" in page.locator(f"#flagged tr[data-deal='{deal_id}']").inner_text()


def test_a_rep_is_not_offered_the_override(page: Any) -> None:
    log_in(page, "alice", "alice-secret")
    create_deal(page, "Alice's fleet")
    page.get_by_text("Other moves").click()
    assert page.get_by_label("Override:").count() == 0
    assert page.get_by_role("button", name="Close as lost").count() == 1


def test_a_deal_skips_ahead_from_its_page_when_every_skipped_stage_has_its_exit(
    page: Any,
) -> None:
    log_in(page)
    deal_id = create_deal(page, "Skip fleet")
    record_buyer_commitment(page, "first_meeting_accepted")
    page.get_by_text("Other moves").click()
    page.get_by_label("Skip ahead to").select_option("change")
    page.get_by_role("button", name="Skip ahead").click()
    refusal = page.locator(".refusal").first
    refusal.wait_for()
    assert "stage_skipped" in page.locator("#main").inner_text()

    page.goto(f"/deals/{deal_id}")
    record_buyer_commitment(page, "discovery_session_booked")
    page.get_by_text("Other moves").click()
    page.get_by_label("Skip ahead to").select_option("change")
    page.get_by_role("button", name="Skip ahead").click()
    page.get_by_role("status").filter(has_text="Skip fleet moved to change").wait_for()
    assert "change" in page.locator("h1").inner_text()


def test_a_deal_closed_as_lost_keeps_its_reason_and_leaves_the_board(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Lost fleet")
    page.get_by_text("Other moves").click()
    page.get_by_label("Why the deal is lost").fill("Went with the incumbent.")
    page.get_by_role("button", name="Close as lost").click()
    page.get_by_role("status").filter(has_text="Closed as lost.").wait_for()
    assert "Closed: lost (Went with the incumbent.)" in page.locator("#main").inner_text()
    page.goto("/")
    assert card(page, deal_id).count() == 0


def test_a_card_dropped_on_won_needs_every_exit_up_to_the_signature(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Hopeful fleet")
    page.goto("/")
    zone = page.locator(".drop-zone.won")
    assert not zone.is_visible()  # shown only while a card is dragged
    drag_to_zone(page, deal_id, zone)
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "no_buyer_commitment" in refusal.inner_text()
    assert "stage_skipped" in refusal.inner_text()
    assert card(page, deal_id).get_attribute("data-stage") == "prospect"


def test_a_card_dropped_on_lost_asks_why_before_closing_the_deal(page: Any) -> None:
    log_in(page)
    deal_id = create_deal(page, "Doomed fleet")
    page.goto("/")
    drag_to_zone(page, deal_id, page.locator(".drop-zone.lost"))
    reason = page.get_by_label("Why the deal is lost")
    reason.wait_for()
    assert page.evaluate("() => document.activeElement.id") == "l-reason"
    reason.fill("Budget frozen until next year.")
    page.get_by_role("button", name="Close as lost").click()
    page.get_by_role("status").filter(has_text="Closed as lost.").wait_for()
    page.goto("/")
    assert card(page, deal_id).count() == 0


def test_a_refused_card_links_to_the_form_that_fixes_it_and_the_fix_opens_the_gate(
    page: Any,
) -> None:
    log_in(page)
    deal_id = create_deal(page, "Undated fleet")
    record_buyer_commitment(page, "first_meeting_accepted", due=None)

    drag(page, deal_id, "discover")
    refusal = card(page, deal_id).locator(".refusal")
    refusal.wait_for()
    assert "commitment_undated" in refusal.inner_text()
    assert "dealgate commit" not in refusal.inner_text()
    refusal.get_by_role("link", name="Mark #1 kept once done").click()
    page.wait_for_url(f"**/deals/{deal_id}#commitment-1")
    page.get_by_role("button", name="Mark commitment 1 kept").click()
    page.get_by_role("status").filter(has_text="Commitment 1 is now kept.").wait_for()
    page.screenshot(path=str(OUTPUT / "commitment-kept.png"), full_page=True)

    drag(page, deal_id, "discover")
    page.get_by_role("status").wait_for()
    assert card(page, deal_id).get_attribute("data-stage") == "discover"
