"""Unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from dealgate.store.process_store import ProcessStore
from dealgate.store.repository import DealRepository
from dealgate.store.users import UserRepository


class UnitOfWork:
    deals: DealRepository
    processes: ProcessStore
    users: UserRepository
    connection: Connection

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write

    def __enter__(self) -> UnitOfWork:
        self.connection = self.engine.connect()
        if self.write:
            self.connection.execution_options(sqlite_begin="IMMEDIATE")
        self.connection.begin()
        self.deals = DealRepository(self.connection)
        self.processes = ProcessStore(self.connection)
        self.users = UserRepository(self.connection)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self.connection.close()

    def commit(self) -> None:
        self.connection.commit()
        self.connection.begin()

    def rollback(self) -> None:
        self.connection.rollback()
