"""Exports saved as Excel workbooks (.xlsx: HubSpot's and Pipedrive's default, Salesforce's
reports), turned into the CSV the readers take, row by row without holding the sheet."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from dealgate.domain.errors import invalid

XLSX_SUFFIXES = (".xlsx", ".xlsm")


def is_workbook(name: str) -> bool:
    """Whether `name` is read as a workbook; an Excel 97-2003 file (.xls) is refused."""
    if name.lower().endswith(".xls"):
        raise invalid(
            "invalid_file",
            f"{name} is an Excel 97-2003 workbook, which dealgate does not read: save it as "
            "Excel Workbook (.xlsx) or CSV, or export it again in one of those.",
            "files",
        )
    return name.lower().endswith(XLSX_SUFFIXES)


def _cell_text(value: Any) -> str:
    """A cell as a CSV export writes it: dates in ISO form, whole numbers without ".0"
    (a deal's id read as 9001.0 would be another deal than the CSV's 9001)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    return str(value)


def workbook_to_csv(workbook: IO[bytes] | Path, name: str, target: Path) -> None:
    """The first sheet of `workbook` as a CSV file at `target`. Rows before the header (a
    formatted report's title and filters: fewer than two cells filled) are left out."""
    from openpyxl import load_workbook  # only an import of a workbook needs it

    try:
        book = load_workbook(workbook, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise invalid(
            "invalid_file",
            f"{name} cannot be read as an Excel workbook ({e.__class__.__name__}); export "
            "it again, or as CSV.",
            "files",
        ) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise invalid("invalid_file", f"{name} holds no sheet.", "files")
        with target.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            width = 0  # the header's, once found: a sheet's rows run as wide as its widest
            for values in sheet.iter_rows(values_only=True):
                cells = [_cell_text(v) for v in values]
                if not width:
                    while cells and not cells[-1]:
                        cells.pop()
                    if sum(1 for c in cells if c) < 2:
                        continue
                    width = len(cells)
                elif not any(cells):
                    continue  # an empty line, as a CSV reader skips it
                elif not any(cells[1:]):
                    writer.writerow(cells[:1])  # a line of one cell, as a report's footer
                    continue
                writer.writerow([*cells[:width], *[""] * (width - len(cells))])
    finally:
        book.close()
