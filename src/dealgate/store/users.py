"""Users, their API tokens and calendar keys; only a hash of each is stored."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from dealgate.domain.access import User, UserRole
from dealgate.domain.errors import invalid, not_found
from dealgate.domain.ordering import by_name
from dealgate.store import tables as t


def token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough; no slow hash needed.
    return hashlib.sha256(token.encode()).hexdigest()


class UserRepository:
    def __init__(self, connection: Connection) -> None:
        self.conn = connection

    def add(self, user: User, token: str, now: datetime, password_hash: str | None = None) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    insert(t.users).values(
                        name=user.name,
                        role=user.role.value,
                        team=user.team,
                        token_hash=token_hash(token),
                        password_hash=password_hash,
                        created_at=now,
                    )
                )
        except IntegrityError:
            raise invalid(
                "duplicate_user",
                f"A user named '{user.name}' exists; issue a new token with "
                f"`dealgate user token {user.name}`.",
                "name",
                status=409,
            ) from None

    def set_token(self, name: str, token: str) -> None:
        result = self.conn.execute(
            update(t.users).where(t.users.c.name == name).values(token_hash=token_hash(token))
        )
        if result.rowcount != 1:
            raise not_found("user", name, "Add them with `dealgate user add`.")

    def set_calendar_key(self, name: str, key: str) -> None:
        result = self.conn.execute(
            update(t.users).where(t.users.c.name == name).values(calendar_key_hash=token_hash(key))
        )
        if result.rowcount != 1:
            raise not_found("user", name, "`dealgate user list` lists the users.")

    def has_calendar_key(self, name: str) -> bool:
        query = select(t.users.c.calendar_key_hash).where(t.users.c.name == name)
        return self.conn.execute(query).scalar() is not None

    def by_calendar_key(self, key: str) -> User | None:
        return self._by_secret(t.users.c.calendar_key_hash, key)

    def _by_secret(self, column: Any, secret: str) -> User | None:
        """The user whose token or calendar key (`column`, a hash) `secret` is."""
        row = self.conn.execute(select(t.users).where(column == token_hash(secret))).first()
        return None if row is None else User(row.name, UserRole(row.role), row.team)

    def set_password(self, name: str, password_hash: str) -> None:
        result = self.conn.execute(
            update(t.users).where(t.users.c.name == name).values(password_hash=password_hash)
        )
        if result.rowcount != 1:
            raise not_found("user", name, "Add them with `dealgate user add`.")

    def any(self) -> bool:
        return self.conn.execute(select(t.users.c.name).limit(1)).first() is not None

    def none_yet(self) -> bool:
        """Whether no user exists; on PostgreSQL, adding users waits for this transaction
        (SQLite's write transactions are serial already)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"))
        return not self.any()

    def change(self, user: User) -> None:
        """A user's role and team, as `user` has them."""
        result = self.conn.execute(
            update(t.users)
            .where(t.users.c.name == user.name)
            .values(role=user.role.value, team=user.team)
        )
        if result.rowcount != 1:
            raise not_found("user", user.name, "Add them with `dealgate user add`.")

    def remove(self, name: str) -> None:
        """The user and their sessions; their token stops working. Their deals keep them
        as owner (seen by admins until given to someone)."""
        self.end_sessions(name)
        result = self.conn.execute(delete(t.users).where(t.users.c.name == name))
        if result.rowcount != 1:
            raise not_found("user", name, "`dealgate user list` lists the users.")

    def admins(self) -> int:
        query = select(func.count()).select_from(t.users).where(t.users.c.role == "admin")
        return int(self.conn.execute(query).scalar_one())

    def end_sessions(self, name: str) -> None:
        """Log the user out of the pages everywhere."""
        self.conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))

    def by_token(self, token: str) -> User | None:
        return self._by_secret(t.users.c.token_hash, token)

    def by_name(self, name: str) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.name == name)).first()
        return None if row is None else User(row.name, UserRole(row.role), row.team)

    def password_hash(self, name: str) -> str | None:
        row = self.conn.execute(
            select(t.users.c.password_hash).where(t.users.c.name == name)
        ).first()
        return None if row is None else row.password_hash

    def team_members(self, team: str | None) -> frozenset[str]:
        if team is None:
            return frozenset()
        rows = self.conn.execute(select(t.users.c.name).where(t.users.c.team == team))
        return frozenset(r.name for r in rows)

    def listed(self) -> list[tuple[User, bool]]:
        """Every user by name, and whether they have a password (to log in to the pages)."""
        rows = self.conn.execute(
            select(
                t.users.c.name, t.users.c.role, t.users.c.team, t.users.c.password_hash
            ).order_by(t.users.c.name)
        )
        return [(User(r.name, UserRole(r.role), r.team), r.password_hash is not None) for r in rows]

    def names(self) -> list[str]:
        return by_name(self.conn.execute(select(t.users.c.name)).scalars())

    def deals_owned_by(self, owner: str) -> int:
        query = select(func.count()).select_from(t.deals).where(t.deals.c.owner == owner)
        return int(self.conn.execute(query).scalar_one())

    def owners_without_user(self, source: str | None = None) -> dict[str, int]:
        """Deal owners no user is called, with their number of deals, most first: only
        admins see those deals. `source`: only deals imported from it."""
        d = t.deals
        query = (
            select(d.c.owner, func.count().label("deals"))
            .where(d.c.owner.not_in(select(t.users.c.name)))
            .group_by(d.c.owner)
            .order_by(func.count().desc(), d.c.owner)
        )
        if source is not None:
            query = query.where(d.c.external_id.like(f"{source}:%"))
        return {r.owner: int(r.deals) for r in self.conn.execute(query)}
