"""An export saved as an Excel workbook reads as the CSV it holds: cells as a CSV export
writes them, a formatted report's title rows and footer left as no rows of deals."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from dealgate.domain.errors import DealgateError
from dealgate.io.spreadsheets import is_workbook, workbook_to_csv


def _book(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


CELLS = {
    "a_date_is_written_the_iso_way": (date(2026, 3, 31), "2026-03-31"),
    "a_date_at_midnight_is_a_date": (datetime(2026, 3, 31), "2026-03-31"),
    "a_time_of_day_is_kept": (datetime(2026, 3, 31, 14, 5), "2026-03-31T14:05:00"),
    "a_whole_number_has_no_decimals": (9001.0, "9001"),
    "an_amount_keeps_its_cents": (12000.5, "12000.5"),
    "a_small_amount_is_not_written_in_exponent_form": (0.0001, "0.0001"),
    "a_checkbox_is_true_or_false": (True, "true"),
    "text_is_text": ("Proposal/Price Quote", "Proposal/Price Quote"),
}


@pytest.mark.parametrize(("value", "written"), CELLS.values(), ids=CELLS.keys())
def test_a_workbooks_cell_is_written_as_a_csv_export_writes_it(
    tmp_path: Path, value: Any, written: str
) -> None:
    book = _book(tmp_path / "deals.xlsx", [["Id", "Value"], ["1", value]])
    workbook_to_csv(book, book.name, tmp_path / "deals.csv")
    assert (tmp_path / "deals.csv").read_text().splitlines() == ["Id,Value", f"1,{written}"]


def test_a_formatted_reports_title_rows_go_and_its_footer_stays_a_line_of_one_cell(
    tmp_path: Path,
) -> None:
    book = _book(
        tmp_path / "report.xlsx",
        [
            ["Opportunities by stage"],
            ["Filtered By: Stage not equal to Closed"],
            [],
            ["Opportunity ID", "Opportunity Name", "Stage", None],
            ["006A", "Fleet", None, None],
            [],
            ["Confidential Information - Do Not Distribute"],
        ],
    )
    workbook_to_csv(book, book.name, tmp_path / "report.csv")
    assert (tmp_path / "report.csv").read_text().splitlines() == [
        "Opportunity ID,Opportunity Name,Stage",
        "006A,Fleet,",
        "Confidential Information - Do Not Distribute",
    ]


def test_a_file_that_is_no_workbook_is_refused_saying_so(tmp_path: Path) -> None:
    fake = tmp_path / "deals.xlsx"
    fake.write_text("Id,Name\n1,Fleet\n")
    with pytest.raises(DealgateError) as refused:
        workbook_to_csv(fake, fake.name, tmp_path / "deals.csv")
    assert refused.value.codes == ["invalid_file"]
    assert "cannot be read as an Excel workbook" in refused.value.details[0].message


@pytest.mark.parametrize(
    ("name", "workbook"),
    [("deals.xlsx", True), ("Deals.XLSX", True), ("deals.csv", False), ("report.csv.zip", False)],
)
def test_which_files_are_read_as_workbooks(name: str, workbook: bool) -> None:
    assert is_workbook(name) is workbook


def test_an_excel_97_file_is_refused_saying_how_to_save_it() -> None:
    with pytest.raises(DealgateError) as refused:
        is_workbook("deals.XLS")
    assert refused.value.codes == ["invalid_file"] and ".xlsx" in refused.value.details[0].message
