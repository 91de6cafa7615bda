"""A Salesforce report's CSV ends with lines of one cell (its title, a copyright, who made
it): those are no rows of deals; a one-cell line among the rows still is a row, refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealgate.io.readers import _rows

HEADER = "Opportunity ID,Opportunity Name,Stage\n"
ROW = "006A,Fleet,Prospecting\n"
FOOTER = '\n"Pipeline"\n"Copyright (c) 2000-2026 salesforce.com, inc."\n"Confidential"\n'

FILES = {
    "a_footer_after_the_last_row_is_left_out": (HEADER + ROW + FOOTER, [2]),
    "a_one_cell_line_between_rows_is_read_as_a_row": (HEADER + ROW + "oops\n" + ROW, [2, 3, 4]),
    "a_one_cell_line_then_rows_then_a_footer": (HEADER + "oops\n" + ROW + FOOTER, [2, 3]),
    "no_footer": (HEADER + ROW + ROW, [2, 3]),
}


@pytest.mark.parametrize(("text", "lines"), FILES.values(), ids=FILES.keys())
def test_the_rows_of_a_report_are_its_lines_before_its_footer(
    tmp_path: Path, text: str, lines: list[int]
) -> None:
    path = tmp_path / "report.csv"
    path.write_text(text, encoding="utf-8")
    assert [line for line, _ in _rows(path)] == lines
