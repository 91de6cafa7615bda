"""How many rows each import phase will read, for progress bars (the CLI's and the import
page's): counted from the lines of the files it reads, before the import starts."""

from __future__ import annotations

from pathlib import Path

# Which of an export's files each phase reads; any other single file is a one-file export
# (HubSpot, Pipedrive, a generic CSV) whose deals and next steps are read from it.
SALESFORCE_FILES = {
    "deals": ("Opportunity.csv",),
    "contacts": ("OpportunityContactRole.csv",),
    "activities": ("Task.csv", "Event.csv"),
    "text": ("Opportunity.csv", "Task.csv", "Event.csv"),
}
ONE_FILE_PHASES = ("deals", "text")


def expected_rows(files: list[Path]) -> dict[str, int]:
    """Each phase's rows at most: the lines of its files, headers left out (a cell spanning
    lines counts once per line, so a bar may end short of full)."""
    lines = {path.name: _lines(path) - 1 for path in files}
    if "Opportunity.csv" not in lines and len(lines) == 1:
        (count,) = lines.values()
        return dict.fromkeys(ONE_FILE_PHASES, max(0, count))
    return {
        phase: sum(max(0, lines.get(name, 0)) for name in names)
        for phase, names in SALESFORCE_FILES.items()
    }


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
