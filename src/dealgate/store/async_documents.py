"""One deal read on the event loop, for PostgreSQL: the API's most frequent requests.

A synchronous read costs a request the hop to the thread pool and back (~165 us of CPU,
measured) on top of psycopg's own Python work (~220 us); asyncpg runs the same one
statement (`deal_document`) at ~130 us and leaves the event loop free while the database
works. Only this read goes this way: writes keep their units of work in the thread pool.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
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


class Connections:
    """At most `size` connections, each running one statement at a time.

    asyncpg's own pool spent ~28 us of CPU handing a connection out and taking it back, as
    much as the fetch itself (measured: 68 against 40 us per read). These connections only
    run single statements in autocommit and keep no session state, so this needs no reset:
    an idle list, a count, and a queue of those waiting for one."""

    def __init__(self, connect: Callable[[], Awaitable[Any]], size: int) -> None:
        self._connect = connect
        self._size = size
        self._idle: list[Any] = []
        self._open = 0
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._closed = False

    async def acquire(self) -> Any:
        while True:
            if self._closed:
                raise unavailable()
            if self._idle:
                return self._idle.pop()
            if self._open < self._size:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._hand_over(None)  # someone waiting may try in its place
                    raise
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    given = waiter.result()  # handed over as the caller was cancelled
                    if given is None:
                        self._hand_over(None)
                    else:
                        self.release(given)
                raise
            if conn is not None:
                return conn
            # None: a connection was closed, so there is room to open one.

    def release(self, conn: Any) -> None:
        if self._closed or conn.is_closed():
            self.discard(conn)
        elif not self._hand_over(conn):
            self._idle.append(conn)

    def discard(self, conn: Any) -> None:
        """Close a connection that failed or was interrupted mid-statement."""
        self._open -= 1
        conn.terminate()
        self._hand_over(None)

    def discard_idle(self) -> None:
        """After a lost connection: the idle ones were most likely dropped with it."""
        idle, self._idle = self._idle, []
        for conn in idle:
            self.discard(conn)

    def _hand_over(self, conn: Any) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self._open -= 1
            await conn.close()
        while self._hand_over(None):  # each one waiting finds the pool closed
            pass


class AsyncDocuments:
    """A few asyncpg connections that read deal documents; `open` gives None off PostgreSQL."""

    def __init__(
        self,
        connections: Connections,
        sql: str,
        params: list[Any],
        processors: list[deal_document.Processor],
    ) -> None:
        self.connections = connections
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

        async def connect() -> Any:
            return await asyncpg.connect(dsn, server_settings=SESSION_SETTINGS)

        connections = Connections(connect, size or configured_pool_sizes().reads)
        conn = await connections.acquire()
        try:
            attributes = (await conn.prepare(str(compiled))).get_attributes()
            # asyncpg's prepare leaves its implicit transaction open, holding a lock on every
            # table the statement reads until the connection's next query: a server that
            # had answered no read blocked DDL on those tables (a migration, a trigger).
            await conn.execute("SELECT 1")
        except BaseException:
            connections.discard(conn)
            raise
        connections.release(conn)
        processors = [
            from_driver(column.type, dialect, attribute.type.oid)
            for column, attribute in zip(query.selected_columns, attributes, strict=True)
        ]
        return cls(connections, str(compiled), params, processors)

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
        return parsed(row["name"], row["source"], digest)

    async def _fetch(self, sql: str, params: list[Any]) -> Any:
        # Connections the server dropped (a restart, an administrator) fail once: they are
        # all replaced and the read, safe to run again, is retried on a fresh one.
        for attempt in (1, 2):
            try:
                conn = await self.connections.acquire()
            except LOST_CONNECTION as exc:
                if attempt == 2:
                    raise unavailable() from exc
                continue
            try:
                # asyncpg prepares the statement once per connection and keeps it.
                found = await conn.fetchrow(sql, *params)
            except LOST_CONNECTION as exc:
                self.connections.discard(conn)
                self.connections.discard_idle()
                if attempt == 2:
                    raise unavailable() from exc
                continue
            except BaseException:
                # Interrupted mid-statement (a cancelled request, say): not handed out again.
                self.connections.discard(conn)
                raise
            self.connections.release(conn)
            return found
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.connections.close()
