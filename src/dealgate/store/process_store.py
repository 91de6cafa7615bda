"""The active process: its source is kept in the database so every command uses the same one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select

from dealgate.domain.errors import DealgateError, invalid
from dealgate.domain.process import Process
from dealgate.domain.process_change import ProcessLoad, compose
from dealgate.processes import parse_process
from dealgate.store import tables as t

_PARSED: dict[str, Process] = {}  # by the source's digest


def digest_of(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def not_initialized() -> DealgateError:
    return invalid(
        "not_initialized",
        "The database has no process yet; run `dealgate init` first.",
        "db",
        status=409,
    )


def cached(digest: str | None) -> Process | None:
    """The process parsed from the source with this digest, if this process parsed it."""
    return None if digest is None else _PARSED.get(digest)


def parsed(name: str | None, source: str | None, digest: str | None = None) -> Process:
    """The process stored with this source (and this digest of it, when the row gave one);
    None means the database has none yet."""
    if source is None:
        raise not_initialized()
    # Parsing is the cost, not reading: reuse the parsed process for the same source.
    digest = digest or digest_of(source)
    found = _PARSED.get(digest)
    if found is None:
        found = parse_process(source, f"process '{name}' in the database")
        if len(_PARSED) > 32:
            _PARSED.clear()
        _PARSED[digest] = found
    return found


ACTIVE_DIGEST = (
    select(t.processes.c.digest).order_by(t.processes.c.id.desc()).limit(1).scalar_subquery()
)
_SELECT_ACTIVE_DIGEST = select(ACTIVE_DIGEST)  # built once: SQLAlchemy keys its cache on it
# No LIMIT (a bind parameter more): a source loaded twice has equal rows; the first is taken.
SOURCE_BY_DIGEST = select(t.processes.c.name, t.processes.c.source).where(
    t.processes.c.digest == bindparam("digest")
)


class ProcessStore:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def active(self) -> Process:
        return self.by_digest(self.active_digest())

    def by_digest(self, digest: str | None) -> Process:
        """The process a deal's read named: parsed once per source, read only when new."""
        found = cached(digest)
        if found is not None:
            return found
        if digest is None:
            raise not_initialized()
        row = self.conn.execute(SOURCE_BY_DIGEST, {"digest": digest}).first()
        if row is None:
            raise not_initialized()
        return parsed(row.name, row.source, digest)

    def active_source(self) -> str:
        row = self.conn.execute(SOURCE_BY_DIGEST, {"digest": self.active_digest()}).first()
        if row is None:
            raise not_initialized()
        return str(row.source)

    def loads(self) -> list[ProcessLoad]:
        """Every load of a process, newest first."""
        p = t.processes.c
        query = select(p.name, p.loaded_at, p.loaded_by, p.moves).order_by(p.id.desc())
        return [
            ProcessLoad(r.name, r.loaded_at, r.loaded_by, dict(r.moves or {}))
            for r in self.conn.execute(query)
        ]

    def former_stages(self) -> dict[str, str]:
        """Every stage an earlier process had and a later one left out -> the stage of today's
        process it stands for."""
        former: dict[str, str] = {}
        for load in reversed(self.loads()):  # oldest first
            former = compose(former, load.moves)
        return former

    def active_digest(self) -> str | None:
        """The digest of the active process's source (None before `dealgate init`)."""
        found = self.conn.execute(_SELECT_ACTIVE_DIGEST).scalar()
        return None if found is None else str(found)

    def load(
        self,
        process: Process,
        source: str,
        now: datetime,
        moves: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> int:
        """Make `process` the active one; its stages and kinds are written for set-based SQL.
        `moves`: where each stage the process before it had and it leaves out went."""
        process_id = int(
            self.conn.execute(
                insert(t.processes)
                .values(
                    name=process.name,
                    source=source,
                    loaded_at=now,
                    digest=digest_of(source),
                    moves=dict(moves) if moves else None,
                    loaded_by=actor,
                )
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
