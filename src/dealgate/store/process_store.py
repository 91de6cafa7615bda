"""The active process: its source is kept in the database so every command uses the same one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from dealgate.domain.errors import invalid
from dealgate.domain.process import Process
from dealgate.processes import parse_process
from dealgate.store import tables as t

_PARSED: dict[str, Process] = {}


def parsed(name: str | None, source: str | None) -> Process:
    """The process stored with this source; None means the database has none yet."""
    if source is None:
        raise invalid(
            "not_initialized",
            "The database has no process yet; run `dealgate init` first.",
            "db",
            status=409,
        )
    # Parsing is the cost, not reading: reuse the parsed process for the same source.
    cached = _PARSED.get(source)
    if cached is None:
        cached = parse_process(source, f"process '{name}' in the database")
        if len(_PARSED) > 32:
            _PARSED.clear()
        _PARSED[source] = cached
    return cached


class ProcessStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def active(self) -> Process:
        row = self.conn.execute(
            select(t.processes.c.source, t.processes.c.name)
            .order_by(t.processes.c.id.desc())
            .limit(1)
        ).first()
        return parsed(row.name if row else None, row.source if row else None)

    def active_source(self) -> str | None:
        row = self.conn.execute(
            select(t.processes.c.source).order_by(t.processes.c.id.desc()).limit(1)
        ).first()
        return None if row is None else str(row.source)

    def load(self, process: Process, source: str, now: datetime) -> int:
        """Make `process` the active one; its stages and kinds are written for set-based SQL."""
        process_id = int(
            self.conn.execute(
                insert(t.processes)
                .values(name=process.name, source=source, loaded_at=now)
                .returning(t.processes.c.id)
            ).scalar_one()
        )
        self.conn.execute(
            insert(t.stages),
            [
                {
                    "process_id": process_id,
                    "key": stage.key,
                    "position": position,
                    "stall_after_days": stage.stall_after_days,
                    "expected_rung": (r.level if (r := process.expected_rung(stage)) else None),
                    "accepts_earlier": stage.accepts_earlier,
                }
                for position, stage in enumerate(process.stages)
            ],
        )
        self.conn.execute(
            insert(t.kinds),
            [
                {"process_id": process_id, "key": k.key, "rung_level": k.rung.level}
                for k in process.kinds.values()
            ],
        )
        return process_id
