"""The readers' row reader is csv.DictReader's contract, at a lower cost per row."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from dealgate.io.readers import _rows

CASES = {
    "plain rows": "Id,Name\n1,Acme\n2,Globex\n",
    "a short row leaves its missing cells None": "Id,Name,Amount\n1,Acme\n2,Globex,5\n",
    "a long row keeps its extra cells under None": "Id,Name\n1,Acme,extra,more\n",
    "blank lines are skipped": "Id,Name\n\n1,Acme\n\n2,Globex\n",
    "a quoted newline stays in its cell and lines count on": 'Id,Note\n1,"two\nlines"\n2,x\n',
    "a byte-order mark is not part of the first header": "\ufeffId,Name\n1,Acme\n",
    "a header alone gives no rows": "Id,Name\n",
    "an empty file gives no rows": "",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_rows_are_read_as_csv_dictreader_reads_them(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        expected = [(reader.line_num, row) for row in reader]
    assert list(_rows(path)) == expected
