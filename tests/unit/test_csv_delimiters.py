"""Which character separates an export's cells, from its header line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealgate.io.readers import delimiter

HEADERS = {
    "commas": ("Id,Name,Amount", ","),
    "excel_with_european_settings": ("Id;Name;Amount", ";"),
    "tabs": ("Id\tName\tAmount", "\t"),
    "semicolons_with_a_comma_inside_a_quoted_name": ('Id;"Account, Name";Amount', ";"),
    "one_column": ("Id", ","),
}


@pytest.mark.parametrize(("header", "expected"), HEADERS.values(), ids=HEADERS.keys())
def test_an_exports_cells_are_split_on_what_its_header_uses(
    tmp_path: Path, header: str, expected: str
) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(header + "\n1,2,3\n", encoding="utf-8")
    assert delimiter(path) == expected
