"""One deal read on the event loop, for PostgreSQL: the API's most frequent requests.

A synchronous read costs a request the hop to the thread pool and back (~165 us of CPU,
measured) on top of psycopg's own Python work (~220 us); asyncpg runs the same one
statement (`deal_document`) at ~130 us and leaves the event loop free while the database
works. Only this read goes this way: writes keep their units of work in the thread pool.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from dealgate.domain.errors import unavailable
from dealgate.domain.process import Process
from dealgate.store import deal_document
from dealgate.store.db import configured_pool_sizes
from dealgate.store.process_store import SOURCE_BY_DIGEST, not_initialized, parsed
from dealgate.store.repository import Document, document_of
from dealgate.store.types import from_driver

_DIALECT = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
APPLICATION_NAME = "dealgate-reads"  # how these connections show in pg_stat_activity
SESSION_SETTINGS = {
    "application_name": APPLICATION_NAME,
    # Every table the read touches, it reaches by an index. A plan cached while a table was
    # empty (a new database, statistics not yet refreshed) scanned it whole for the
    # connection's life: 191 million events rows read in four rounds of the benchmark, each
    # read slower than the last.
    "enable_seqscan": "off",
}
LOST_CONNECTION = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.InternalClientError,  # a dropped connection's protocol, reused
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, starting up
)


class AsyncDocuments:
    """A small asyncpg pool that reads deal documents; `open` gives None off PostgreSQL."""

    def __init__(
        self, pool: Any, sql: str, params: list[Any], processors: list[deal_document.Processor]
    ) -> None:
        self.pool = pool
        self.sql = sql
        self.params = params  # the statement's parameters in order, the deal id as None
        self.processors = processors
        self.process_sql = str(SOURCE_BY_DIGEST.compile(dialect=_DIALECT))

    @classmethod
    async def open(cls, engine: Engine, size: int | None = None) -> AsyncDocuments | None:
        """`size` connections at most (`db.pool_sizes`): a read holds one for ~0.3 ms, so
        eight serve more reads than a worker's CPU can answer."""
        if engine.dialect.name != "postgresql":
            return None
        dialect = _DIALECT
        query = deal_document.statement("postgresql")
        compiled = query.compile(dialect=dialect)
        values = compiled.construct_params({"deal_id": None})
        params = [values[name] for name in compiled.positiontup or []]
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=size or configured_pool_sizes().reads,
            reset=_as_it_is,
            server_settings=SESSION_SETTINGS,
        )
        try:
            async with pool.acquire() as conn:
                attributes = (await conn.prepare(str(compiled))).get_attributes()
        except BaseException:
            await pool.close()
            raise
        processors = [
            from_driver(column.type, dialect, attribute.type.oid)
            for column, attribute in zip(query.selected_columns, attributes, strict=True)
        ]
        return cls(pool, str(compiled), params, processors)

    async def read(self, deal_id: int) -> Document:
        params = [deal_id if p is None else p for p in self.params]
        record = await self._fetch(self.sql, params)
        if record is None:
            return document_of(None, deal_id)
        return document_of(deal_document.typed_row(self.processors, record), deal_id)

    async def process(self, digest: str | None) -> Process:
        """The process a read named, when this worker has not parsed it yet."""
        if digest is None:
            raise not_initialized()
        row = await self._fetch(self.process_sql, [digest])
        if row is None:
            raise not_initialized()
        return parsed(row["name"], row["source"])

    async def _fetch(self, sql: str, params: list[Any]) -> Any:
        # Connections the server dropped (a restart, an administrator) fail once: they are
        # all replaced and the read, safe to run again, is retried on a fresh one.
        for attempt in (1, 2):
            try:
                async with self.pool.acquire() as conn:
                    # asyncpg prepares the statement once per connection and keeps it.
                    return await conn.fetchrow(sql, *params)
            except LOST_CONNECTION as exc:
                await self.pool.expire_connections()
                if attempt == 2:
                    raise unavailable() from exc
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.pool.close()


async def _as_it_is(_connection: Any) -> None:
    """These connections only run the one read in autocommit and keep no session state:
    the default reset on release (four statements, a round trip) would double a read."""
