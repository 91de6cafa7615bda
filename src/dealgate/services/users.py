"""Users, tokens and who sees what."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Engine

from dealgate.domain.access import User, UserRole, Visibility, visibility
from dealgate.domain.errors import invalid
from dealgate.store.unit_of_work import UnitOfWork


def new_token() -> str:
    return "dg_" + secrets.token_urlsafe(32)


def add_user(
    engine: Engine,
    name: str,
    role: UserRole,
    now: datetime,
    team: str | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns the API token, which is shown once and stored only hashed."""
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise invalid("invalid_name", "A user name is 1 to 100 characters.", "name")
    user = User(clean, role, team.strip() if team and team.strip() else None)
    token = new_token()
    with UnitOfWork(engine) as uow:
        uow.users.add(user, token, now, hash_password(password) if password else None)
        uow.commit()
    return user, token


def rotate_token(engine: Engine, name: str) -> str:
    """Issue a new token for `name`; the old one stops working at once."""
    token = new_token()
    with UnitOfWork(engine) as uow:
        uow.users.set_token(name, token)
        uow.commit()
    return token


def authenticate(engine: Engine, token: str) -> tuple[User, Visibility] | None:
    with UnitOfWork(engine, write=False) as uow:
        user = uow.users.by_token(token)
        if user is None:
            return None
        return user, visibility(user, uow.users.team_members(user.team))


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) < 8:
        raise invalid("weak_password", "A password needs at least 8 characters.", "password")
    return PasswordHasher().hash(password)
