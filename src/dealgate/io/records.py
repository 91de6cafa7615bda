"""What every importer produces, whatever the source: plain records and rejected rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class RowError:
    """A row that was not imported: where it is and why, so a person can fix the file."""

    file: str
    line: int
    column: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "reason": self.reason}


@dataclass
class ImportedDeal:
    key: str  # the source's id, prefixed with the source: "salesforce:006..."
    origin: tuple[str, int]  # file and line, for errors found later
    name: str
    account: str
    owner: str
    stage_name: str
    created_at: datetime
    amount: Decimal | None = None
    close_date: date | None = None
    next_step: str | None = None
    closed: str | None = None  # "won" or "lost" when the source says it is closed
    currency: str | None = None  # the amount's, where the export says (Pipedrive's Currency)


@dataclass(frozen=True)
class ImportedContact:
    key: str
    origin: tuple[str, int]
    deal_key: str
    name: str
    role: str
    title: str | None = None


@dataclass(frozen=True)
class ImportedStageChange:
    key: str
    origin: tuple[str, int]
    deal_key: str
    stage_name: str
    at: datetime


@dataclass(frozen=True)
class ImportedActivity:
    key: str
    origin: tuple[str, int]
    deal_key: str
    kind: str  # meeting, call, email or note
    on: date
    summary: str
    at: datetime


def _nothing() -> Iterator[Any]:
    return iter(())


@dataclass
class SourceData:
    """Everything one export holds. Each part is a function that streams it anew, so the
    import can read the files again for its text pass instead of keeping them in memory."""

    deals: Callable[[], Iterator[ImportedDeal]]
    contacts: Callable[[], Iterator[ImportedContact]] = _nothing
    history: Callable[[], Iterator[ImportedStageChange]] = _nothing
    activities: Callable[[], Iterator[ImportedActivity]] = _nothing
    errors: list[RowError] = field(default_factory=list)
    # Their stage names and deal owners (as deals will carry them), each with its deals.
    stage_names: Counter[str] = field(default_factory=Counter)
    owner_names: Counter[str] = field(default_factory=Counter)
    files: list[Path] = field(default_factory=list)  # every file it reads
    stage_column: str = "StageName"  # as the export names it, for its rejected rows
    history_deal_column: str = "OpportunityId"
    dates_day_first: bool = False  # 03/04/2026 read as 3 April: the export says so
