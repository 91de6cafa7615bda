"""An import started from the pages: it runs in a thread of the server and reports on disk.

An export of tens of megabytes takes minutes to import; a request waiting that long shows a
browser nothing and is cut by proxies. So the page starts the import and shows its progress
instead. The progress and the result are files in the upload's own folder, not memory: with
several server workers, the next request may be answered by another process than the one
importing. A server stopped midway stops beating: the page then says so, and offers to finish
the import from the files and mapping kept (an import is idempotent by the source's ids).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.io.progress import expected_rows
from dealgate.io.records import SourceData
from dealgate.services.importing import ImportSummary, run_import

log = logging.getLogger("dealgate.import")

PROGRESS = "progress.json"
RESULT = "result.json"
FAILED = "failed.json"
MAPPING = "mapping.json"  # the mapping it was started with, to finish it after a restart
BEAT_SECONDS = 0.5  # how often a running import writes its progress
STALE_SECONDS = 30.0  # no progress written for this long: the server stopped importing
LISTED = 200  # rejected rows and unevidenced deals kept for the page; the counts say the rest

# The import's phases as the page names them, in order. "signals" and "review" report no rows.
PHASES = {
    "deals": "Deals and their stage history",
    "contacts": "Stakeholders",
    "activities": "Activities",
    "text": "Commitments read from next steps and notes",
    "signals": "The review's signals",
    "review": "Reviewing what came in",
}


@dataclass
class Phase:
    key: str
    label: str
    rows: int = 0
    expected: int | None = None  # lines in its files: rows at most (a cell may span lines)
    seconds: float = 0.0

    @property
    def percent(self) -> int | None:
        if not self.expected:
            return None
        return min(100, round(100 * self.rows / self.expected))

    @property
    def rate(self) -> int | None:
        return round(self.rows / self.seconds) if self.rows and self.seconds > 0 else None


@dataclass
class JobStatus:
    """What the page shows of an import: running, done (its summary), failed or stopped."""

    state: str
    phases: list[Phase] = field(default_factory=list)
    seconds: float = 0.0
    summary: dict[str, Any] | None = None
    errors: list[ErrorDetail] = field(default_factory=list)
    http_status: int = 200
    beat: float | None = None  # when its progress was last written

    @property
    def current(self) -> Phase | None:
        return self.phases[-1] if self.phases else None


class _Report:
    """The running import's progress, kept here by its ticks and written by a beat."""

    def __init__(self, folder: Path, expected: dict[str, int]) -> None:
        self.folder = folder
        self.expected = expected
        self.started = self.last = time.monotonic()
        self.phases: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()

    def tick(self, phase: str, rows: int) -> None:
        now = time.monotonic()
        with self.lock:
            # A phase began when the one before it last reported: its first tick comes only
            # after its first batch.
            entry = self.phases.setdefault(phase, {"rows": 0, "since": self.last})
            entry["rows"] += rows
            entry["until"] = self.last = now

    def write(self) -> None:
        now = time.monotonic()
        with self.lock:
            phases = [
                {
                    "key": key,
                    "rows": int(entry["rows"]),
                    "seconds": round(entry.get("until", now) - entry["since"], 3),
                }
                for key, entry in self.phases.items()
            ]
        _write(
            self.folder / PROGRESS,
            {
                "phases": phases,
                "expected": self.expected,
                "seconds": round(now - self.started, 3),
                "written": time.time(),
            },
        )

    @contextmanager
    def beating(self) -> Iterator[None]:
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(BEAT_SECONDS):
                self.write()

        self.write()
        thread = threading.Thread(target=beat, name=f"{self.folder.name}-beat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.write()


def start(
    engine: Engine,
    folder: Path,
    source: str,
    data: SourceData,
    mapping: dict[str, str],
    owners: dict[str, str],
    now: datetime,
) -> None:
    """Import `data` (read from the claimed `folder`) in a thread; `status(folder)` tells."""
    _write(folder / MAPPING, {"stages": mapping, "owners": owners})
    report = _Report(folder, expected_rows(sorted(folder.glob("*.csv"))))
    report.write()  # before the answer: the next request finds the import running
    importing = partial(
        run_import,
        engine,
        source,
        data,
        mapping,
        now=now,
        tick=report.tick,
        text_workers=1,  # a server's worker does not start processes of its own
        owners=owners,
    )
    thread = threading.Thread(
        target=_run,
        args=(report, importing),
        name=f"import-{folder.name}",
        daemon=True,  # a server stopping does not wait for it: the page says it stopped
    )
    thread.start()


def _run(report: _Report, importing: Callable[[], ImportSummary]) -> None:
    folder = report.folder
    outcome: tuple[str, dict[str, Any]]
    try:
        with report.beating():
            summary = importing()
        outcome = RESULT, _kept(summary.to_dict())
    except DealgateError as e:
        outcome = FAILED, {"status": e.status, "errors": [d.to_dict() for d in e.details]}
    except Exception:
        log.exception("import from the pages failed")
        message = (
            "The import stopped on an unexpected error (the server's log has it). What was "
            "imported before it is kept; importing the same export again adds only the rest."
        )
        error = {"code": "internal_error", "message": message}
        outcome = FAILED, {"status": 500, "errors": [error]}
    # The export goes before the outcome is written: whoever sees the import ended sees its
    # files gone (the page read 'failed' while they were still there, and a test caught it).
    for path in folder.glob("*.csv"):
        path.unlink(missing_ok=True)
    _write(folder / outcome[0], outcome[1])


def _kept(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without the long lists' tails: a bad export rejects a row per line."""
    rejected = summary["rejected"]
    unevidenced = summary["review"].get("unevidenced_stage", [])
    return {
        **summary,
        "rejected": rejected[:LISTED],
        "rejected_count": len(rejected),
        "review": {
            **summary["review"],
            "unevidenced_stage": unevidenced[:LISTED],
            "unevidenced_count": len(unevidenced),
        },
    }


def status(folder: Path) -> JobStatus:
    """The import of a claimed upload folder as its files tell it."""
    if (folder / RESULT).is_file():
        return JobStatus("done", summary=_read(folder / RESULT))
    if (folder / FAILED).is_file():
        failure = _read(folder / FAILED)
        errors = [ErrorDetail(e["code"], e["message"], e.get("field")) for e in failure["errors"]]
        return JobStatus("failed", errors=errors, http_status=failure["status"])
    try:
        progress = _read(folder / PROGRESS)
    except FileNotFoundError:
        return JobStatus("stopped")
    expected = progress["expected"]
    phases = [
        Phase(
            key=p["key"],
            label=PHASES.get(p["key"], p["key"]),
            rows=p["rows"],
            expected=expected.get(p["key"]),
            seconds=p["seconds"],
        )
        for p in progress["phases"]
    ]
    stale = time.time() - progress["written"] > STALE_SECONDS
    state = "stopped" if stale else "running"
    return JobStatus(state, phases, progress["seconds"], beat=progress["written"])


def saved_mapping(folder: Path) -> tuple[dict[str, str], dict[str, str]] | None:
    """The stages and owners a stopped import was started with, while its files are kept."""
    if not any(folder.glob("*.csv")):  # removed when an import ends
        return None
    try:
        saved = _read(folder / MAPPING)
        return dict(saved["stages"]), dict(saved["owners"])
    except (OSError, ValueError, KeyError, TypeError):  # none kept (an older import's folder)
        return None


def take_over(folder: Path, stopped: JobStatus) -> bool:
    """Whether this request is the one to finish the import it saw `stopped`: of two clicks
    at once (or two workers), the first to mark that stopped run's last beat wins."""
    try:
        marker = os.open(
            folder / f".finishing-{stopped.beat}", os.O_CREAT | os.O_EXCL | os.O_WRONLY
        )
    except OSError:
        return False
    os.close(marker)
    return True


@dataclass
class Started:
    """An import someone started from the pages, to go back to its page."""

    token: str
    source: str
    at: datetime
    job: JobStatus


def started_by(uploads: Path, uploader: str) -> list[Started]:
    """The imports `uploader` started that the server still keeps, the latest first."""
    found = []
    for folder in uploads.glob("*.importing") if uploads.is_dir() else ():
        try:
            if (folder / ".uploader").read_text(encoding="utf-8") != uploader:
                continue
            source = (folder / ".source").read_text(encoding="utf-8")
            at = datetime.fromtimestamp((folder / ".source").stat().st_mtime, UTC)
        except OSError:  # removed meanwhile
            continue
        found.append(Started(folder.name.removesuffix(".importing"), source, at, status(folder)))
    return sorted(found, key=lambda s: s.at, reverse=True)


def _write(path: Path, content: dict[str, Any]) -> None:
    """Whole or not at all: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.{threading.get_ident()}")
    partial.write_text(json.dumps(content, default=str), encoding="utf-8")
    os.replace(partial, path)


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
