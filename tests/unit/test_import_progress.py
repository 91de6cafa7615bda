"""How many rows each import step will read, from an export's files, for progress bars."""

from __future__ import annotations

from pathlib import Path

from dealgate.io.progress import expected_rows


def _write(folder: Path, name: str, rows: int, header: str = "Id,Name") -> Path:
    path = folder / name
    path.write_text(header + "\n" + "".join(f"{n},Row {n}\n" for n in range(rows)))
    return path


def test_a_salesforce_exports_steps_count_the_lines_of_the_files_each_reads(
    tmp_path: Path,
) -> None:
    files = [
        _write(tmp_path, "Opportunity.csv", 10),
        _write(tmp_path, "OpportunityHistory.csv", 40),
        _write(tmp_path, "OpportunityContactRole.csv", 5),
        _write(tmp_path, "Task.csv", 100),
        _write(tmp_path, "Event.csv", 7),
    ]
    assert expected_rows(files) == {"deals": 10, "contacts": 5, "activities": 107, "text": 117}


def test_a_one_file_export_reads_its_deals_and_their_next_steps_from_it(tmp_path: Path) -> None:
    assert expected_rows([_write(tmp_path, "hubspot-deals.csv", 12)]) == {"deals": 12, "text": 12}


def test_an_empty_file_expects_no_rows(tmp_path: Path) -> None:
    empty = tmp_path / "deals.csv"
    empty.write_text("")
    assert expected_rows([empty]) == {"deals": 0, "text": 0}
