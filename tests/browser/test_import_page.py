"""Importing an export through the pages in a real browser: upload, map, see what came in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import OUTPUT, log_in

SALESFORCE = sorted((Path(__file__).parents[1] / "data" / "salesforce").iterdir())


def test_an_admin_imports_a_salesforce_export_and_sees_which_deals_only_claim_their_stage(
    page: Any,
) -> None:
    log_in(page, "ada", "ada-secret")
    page.get_by_role("link", name="Import").click()
    page.get_by_label("Exported from").select_option("salesforce")
    page.get_by_label("CSV files").set_input_files([str(p) for p in SALESFORCE])
    page.get_by_role("button", name="Upload and map the stages").click()

    page.locator("#mapping").wait_for()
    assert page.get_by_label("Proposal/Price Quote").input_value() == "propose"
    page.get_by_label("Mystery Stage").select_option("")  # leave its deals out
    page.screenshot(path=str(OUTPUT / "import-mapping.png"), full_page=True)
    page.get_by_role("button", name="Import").click()

    status = page.get_by_role("status")
    status.wait_for()
    assert "10 new deals" in status.inner_text()
    unevidenced = page.locator("#unevidenced")
    assert "Billing platform" in unevidenced.inner_text()
    rejected = page.locator("#rejected").inner_text()
    assert "Mystery Stage" in rejected and "not in the stage mapping" in rejected
    page.screenshot(path=str(OUTPUT / "import-done.png"), full_page=True)

    unevidenced.get_by_role("link", name="Billing platform").first.click()
    page.get_by_role("heading", name="The gate").wait_for()
    assert "Billing platform" in page.locator("h1").inner_text()
