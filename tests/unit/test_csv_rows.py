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


TEXT = "Name,Contact\nCafé Müller,Zoë\n"
ENCODED = {
    "UTF-8": TEXT.encode(),
    "UTF-8 with Excel's byte order mark": TEXT.encode("utf-8-sig"),
    "UTF-16 with its byte order mark (Excel's Unicode text)": TEXT.encode("utf-16"),
    "Windows-1252 (Excel's CSV on Windows)": TEXT.encode("cp1252"),
}


@pytest.mark.parametrize("raw", ENCODED.values(), ids=ENCODED.keys())
def test_an_export_is_read_in_the_encoding_it_was_saved_in(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(raw)
    assert [row for _, row in _rows(path)] == [{"Name": "Café Müller", "Contact": "Zoë"}]
