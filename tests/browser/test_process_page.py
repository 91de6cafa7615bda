"""Sales operations edits the process in a real browser: a stage left out asks where its open
deals go, the check says what the change would do, and the load moves them."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in
from tests.browser.test_pages import create_deal


def test_an_admin_leaves_out_a_stage_checks_the_change_then_loads_it(page: Any) -> None:
    log_in(page, "ada", "ada-secret")
    deal_id = create_deal(page, "Fleet tracking")  # opened in prospect
    page.get_by_role("link", name="Process").click()
    source = page.get_by_label("Process file (TOML)")
    head, *stages = source.input_value().split("[[stages]]")
    source.fill("[[stages]]".join([head, *(s for s in stages if 'key = "prospect"' not in s)]))

    page.get_by_role("button", name="Check without loading").click()
    page.get_by_role("alert").filter(has_text="stage_in_use").wait_for()
    page.get_by_label("Open deals in prospect go to").select_option("discover")
    page.get_by_role("button", name="Check without loading").click()
    checked = page.locator("#checked")
    checked.filter(has_text="1 open deal(s) would go to discover").wait_for()
    assert "Checked, not loaded" in checked.inner_text()
    assert 'key = "prospect"' not in source.input_value()  # what was typed, kept

    page.get_by_role("button", name="Load this process").click()
    page.get_by_role("status").filter(
        has_text="Stage 'prospect' left out: 1 open deal(s) moved to 'discover'."
    ).wait_for()
    assert "Prospect" not in page.locator("table").first.inner_text()
    page.goto(f"/deals/{deal_id}")
    history = page.locator("tr", has_text="prospect → discover")
    assert "Process 'Default' left out stage 'prospect'." in history.inner_text()
