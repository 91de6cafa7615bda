"""Importing an export through the pages in a real browser: upload, map, see what came in."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from tests.browser.conftest import OUTPUT, log_in
from tests.integration.test_import import _big_export

SALESFORCE = sorted((Path(__file__).parents[1] / "data" / "salesforce").iterdir())


def _import_the_sample(page: Any) -> None:
    """As ada, the sample Salesforce export with the mapping the page suggests."""
    log_in(page, "ada", "ada-secret")
    page.goto("/import")
    page.get_by_label("CSV files").set_input_files([str(p) for p in SALESFORCE])
    page.get_by_role("button", name="Upload and map the stages").click()
    page.get_by_role("button", name="Import").click()
    page.get_by_role("status").filter(has_text="new deals").wait_for()


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

    # The import's page follows it, then shows what came in.
    status = page.get_by_role("status").filter(has_text="new deals")
    status.wait_for()
    assert "Imported from salesforce: 10 new deals" in status.inner_text()
    unevidenced = page.locator("#unevidenced")
    assert "Billing platform" in unevidenced.inner_text()
    rejected = page.locator("#rejected").inner_text()
    assert "Mystery Stage" in rejected and "not in the stage mapping" in rejected
    page.screenshot(path=str(OUTPUT / "import-done.png"), full_page=True)

    unevidenced.get_by_role("link", name="Billing platform").first.click()
    page.get_by_role("heading", name="The gate").wait_for()
    assert "Billing platform" in page.locator("h1").inner_text()


def test_what_an_import_read_from_text_is_confirmed_from_one_page(page: Any) -> None:
    _import_the_sample(page)

    page.get_by_role("link", name="To confirm").click()
    count = page.locator("#waiting-count")
    before = int(count.inner_text().split(" of ")[1].split()[0])
    first = page.locator("#waiting tbody tr").first
    deal, number = first.get_attribute("data-deal"), first.get_attribute("data-number")
    first.get_by_role("button", name="Confirm").click()
    page.get_by_role("status").filter(has_text=f"Commitment {number} confirmed.").wait_for()
    assert int(count.inner_text().split(" of ")[1].split()[0]) == before - 1
    assert page.locator(f"#waiting tr[data-deal='{deal}'][data-number='{number}']").count() == 0
    page.screenshot(path=str(OUTPUT / "confirm-queue.png"), full_page=True)


def test_a_manager_ticks_several_commitments_and_confirms_them_at_once(page: Any) -> None:
    _import_the_sample(page)
    page.get_by_role("link", name="To confirm").click()
    count = page.locator("#waiting-count")
    before = int(count.inner_text().split(" of ")[1].split()[0])
    # Rows whose note names someone the committee holds (or a member's first name).
    ready = page.locator("#waiting tbody tr").filter(has_not_text="or the gate will not take it")
    for i in (0, 1):
        ready.nth(i).get_by_role("checkbox").check()
    page.get_by_role("button", name="Confirm ticked").click()
    page.get_by_role("status").filter(has_text="2 commitments confirmed").wait_for()
    assert int(count.inner_text().split(" of ")[1].split()[0]) == before - 2
    assert page.locator("#waiting tbody tr").count() == before - 2

    # A note naming no member: its row asks who committed, and confirms as the one chosen.
    unnamed = page.locator("#waiting tbody tr").filter(has_text="choose who committed").first
    number = unnamed.get_attribute("data-number")
    who = unnamed.get_by_role("combobox")
    member = who.locator("option").nth(1).inner_text()
    who.select_option(member)
    unnamed.get_by_role("button", name="Confirm").click()
    page.get_by_role("status").filter(
        has_text=f"Commitment {number} confirmed, made by {member}."
    ).wait_for()

    # The header box ticks every box of the page, and shows when only some are ticked.
    every = page.get_by_role("checkbox", name="Tick every commitment on this page")
    every.check()
    boxes = page.locator("#waiting tbody input[name=pick]")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    boxes.first.uncheck()
    assert every.evaluate("box => box.indeterminate") is True
    page.screenshot(path=str(OUTPUT / "confirm-ticked.png"), full_page=True)


def test_a_long_import_shows_its_progress_then_what_came_in_without_a_reload(
    page: Any, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    _big_export(export, 1500)
    log_in(page, "ada", "ada-secret")
    page.goto("/import")
    page.get_by_label("CSV files").set_input_files([str(p) for p in sorted(export.iterdir())])
    page.get_by_role("button", name="Upload and map the stages").click()
    page.get_by_role("button", name="Import").click()

    progress = page.locator("#import-progress")
    progress.wait_for()
    assert "Importing from salesforce" in progress.inner_text()
    page.locator("#phases tr[data-phase]").first.wait_for()
    page.screenshot(path=str(OUTPUT / "import-progress.png"), full_page=True)
    status = page.get_by_role("status").filter(has_text="new deals")
    status.wait_for(timeout=120_000)
    assert "1500 new deals" in status.inner_text()
    assert "/import/" in page.url  # the same address: the page itself loaded the result


def test_an_admin_gives_the_deals_of_an_export_owner_who_is_no_user_to_a_user(
    page: Any,
) -> None:
    _import_the_sample(page)  # the suggested mapping keeps Dana Kim, who is no user
    assert "Dana Kim" in page.get_by_text("no dealgate user").inner_text()

    page.get_by_role("link", name="Give each name's deals to its user").click()
    row = page.locator("#unseen tr[data-owner='Dana Kim']")
    row.get_by_label("User to give Dana Kim's deals to").select_option("bruno")
    row.get_by_role("button", name="Give Dana Kim's deals").click()
    page.get_by_role("status").filter(has_text="deals of Dana Kim to bruno.").wait_for()
    assert page.locator("#unseen tr[data-owner='Dana Kim']").count() == 0
    page.screenshot(path=str(OUTPUT / "owners.png"), full_page=True)


def test_an_export_owner_becomes_a_user_with_their_deals_in_one_step(page: Any) -> None:
    _import_the_sample(page)

    page.get_by_role("link", name="Owners", exact=True).click()
    row = page.locator("#unseen tr[data-owner='Chen Li']")
    row.get_by_role("link", name="or add them as a user").click()
    assert page.get_by_label("Name", exact=True).input_value() == "Chen Li"
    page.get_by_label("Name", exact=True).fill("chen")
    page.get_by_label("Team", exact=True).fill("east")
    page.get_by_label("Password for the pages").fill("chen-secret")
    page.get_by_role("button", name="Add the user").click()
    page.get_by_role("status").filter(has_text="Gave them the 3 deals of Chen Li.").wait_for()
    assert page.locator("#new-token code").inner_text().startswith("dg_")
    cells = page.locator("#users tr[data-user='chen'] td").all_inner_texts()
    assert [c.strip() for c in cells[:4]] == ["chen", "rep", "east", "yes"]
    page.screenshot(path=str(OUTPUT / "users.png"), full_page=True)


def test_an_admin_takes_the_imported_pipeline_out_as_a_zip_from_the_import_page(
    page: Any, tmp_path: Path
) -> None:
    _import_the_sample(page)
    page.goto("/import")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV files").click()
    saved = tmp_path / "export.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as zipped:
        assert {"deals.csv", "commitments.csv", "events.csv", "README.txt"} <= set(
            zipped.namelist()
        )
        deals = list(csv.DictReader(io.StringIO(zipped.read("deals.csv").decode())))
    imported = [d["name"] for d in deals if d["external_id"].startswith("salesforce:")]
    assert len(imported) == 11 and "Billing platform" in imported  # as the page mapped them
    assert page.url.endswith("/import")  # the page stays where it was


def test_the_review_and_the_weeks_changes_download_as_csv_and_leave_their_page_in_place(
    page: Any,
) -> None:
    _import_the_sample(page)
    for path, columns in (("/review", "id,name,account"), ("/review/changes", "id,name,owner")):
        page.goto(path)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download these as CSV").click()
        with open(download.value.path(), encoding="utf-8") as saved:
            rows = saved.read().splitlines()
        assert rows[0].startswith(columns) and len(rows) > 1, path
        assert page.url.endswith(path)  # not swapped for the file by htmx
