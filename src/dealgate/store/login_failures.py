"""Wrong passwords kept in the database, so every server process counts the same ones (each
worker counting its own let N workers allow N times the limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from dealgate.store import tables as t

ADDRESS = 64  # the column's width: an IPv6 address takes 45


class LoginFailures:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def since(self, name: str, address: str, start: datetime) -> list[datetime]:
        f = t.login_failures
        query = select(f.c.at).where(
            f.c.name == name, f.c.address == address[:ADDRESS], f.c.at > start
        )
        return list(self.conn.execute(query).scalars())

    def add(self, name: str, address: str, at: datetime) -> None:
        values = {"name": name, "address": address[:ADDRESS], "at": at}
        self.conn.execute(insert(t.login_failures).values(**values))

    def forget(self, name: str, address: str) -> None:
        f = t.login_failures
        self.conn.execute(delete(f).where(f.c.name == name, f.c.address == address[:ADDRESS]))

    def forget_before(self, start: datetime) -> None:
        """Every failure older than `start`: the table holds one window of them at most."""
        self.conn.execute(delete(t.login_failures).where(t.login_failures.c.at < start))
