"""Users, tokens and who sees what."""

from __future__ import annotations

import secrets
import time
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from dealgate.domain.access import (
    User,
    UserRole,
    Visibility,
    require_an_admin_left,
    visibility,
)
from dealgate.domain.errors import DealgateError, invalid, not_found
from dealgate.services.exporting import calendar_path
from dealgate.store.unit_of_work import UnitOfWork


def user_names(engine: Engine) -> list[str]:
    with UnitOfWork(engine, write=False) as uow:
        return uow.users.names()


def list_users(engine: Engine) -> list[tuple[User, bool]]:
    """Every user, and whether they may log in to the pages (they have a password)."""
    with UnitOfWork(engine, write=False) as uow:
        return uow.users.listed()


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
    user = _new_user(name, role, team)
    token = new_token()
    with UnitOfWork(engine) as uow:
        uow.users.add(user, token, now, hash_password(password) if password else None)
        uow.commit()
    return user, token


def add_first_admin(engine: Engine, name: str, password: str, now: datetime) -> User:
    """A new installation's first user, made from the login page: an admin, who then adds
    the others. Refused once anyone exists (then only an admin adds users)."""
    user = _new_user(name, UserRole.ADMIN, None)
    hashed = hash_password(password)
    with UnitOfWork(engine) as uow:
        if not uow.users.none_yet():
            raise invalid(
                "already_set_up",
                "dealgate has users already: log in, and ask an admin to add you.",
                "name",
                status=409,
            )
        uow.users.add(user, new_token(), now, hashed)
        uow.commit()
    return user


def has_users(engine: Engine) -> bool:
    with UnitOfWork(engine, write=False) as uow:
        return uow.users.any()


def _new_user(name: str, role: UserRole, team: str | None) -> User:
    clean = name.strip()
    if not clean or len(clean) > 100:
        raise invalid("invalid_name", "A user name is 1 to 100 characters.", "name")
    return User(clean, role, team.strip() if team and team.strip() else None)


def set_password(engine: Engine, name: str, password: str) -> None:
    """A new password for the pages (8+ characters); the user's open sessions end, so a
    reset locks out whoever else was logged in as them."""
    hashed = hash_password(password)
    with UnitOfWork(engine) as uow:
        uow.users.set_password(name, hashed)
        uow.users.end_sessions(name)
        uow.commit()


def change_user(
    engine: Engine, name: str, role: UserRole | None = None, team: str | None = None
) -> User:
    """A new role and/or team (`team` "": none); who sees which deals follows at once."""
    if role is None and team is None:
        raise invalid("nothing_to_change", "Give a role, a team or both.", "role")
    with UnitOfWork(engine) as uow:
        found = uow.users.by_name(name)
        if found is None:
            raise not_found_user(name)
        new_team = found.team if team is None else (team.strip() or None)
        changed = User(found.name, role or found.role, new_team)
        if len(changed.team or "") > 100:
            raise invalid("invalid_team", "A team name is at most 100 characters.", "team")
        require_an_admin_left(found, changed.role, uow.users.admins())
        uow.users.change(changed)
        uow.commit()
    _recent.clear()  # tokens remembered for a second carry the old role
    return changed


def remove_user(engine: Engine, name: str) -> int:
    """Remove a user (left the company): sessions and token end; their deals keep them as
    owner, listed on the Owners page to give to someone. Returns how many deals they own."""
    with UnitOfWork(engine) as uow:
        found = uow.users.by_name(name)
        if found is None:
            raise not_found_user(name)
        require_an_admin_left(found, None, uow.users.admins())
        uow.users.remove(name)
        owned = uow.users.deals_owned_by(name)
        uow.commit()
    _recent.clear()
    return owned


def not_found_user(name: str) -> DealgateError:
    return not_found("user", name, "`dealgate user list` lists the users.")


def rotate_token(engine: Engine, name: str) -> str:
    """Issue a new token for `name`; the old one stops working at once."""
    token = new_token()
    with UnitOfWork(engine) as uow:
        uow.users.set_token(name, token)
        uow.commit()
    _recent.clear()  # this process forgets at once; other server processes within CACHE_SECONDS
    return token


@dataclass(frozen=True)
class CalendarKey:
    key: str
    owners: list[str]  # whose feeds it reads: the user's own first, then the users they see

    @property
    def feeds(self) -> list[tuple[str, str]]:
        """Each owner with the path of their feed, key included."""
        return [(owner, calendar_path(owner, self.key)) for owner in self.owners]


def new_calendar_key(engine: Engine, name: str) -> CalendarKey:
    """A new secret for `name`'s calendar addresses, shown once and stored only hashed; the
    addresses made before stop working. It reads the feeds of the deals `name` sees and
    nothing else, so a calendar app never holds a token that can write."""
    key = "cal_" + secrets.token_urlsafe(24)
    with UnitOfWork(engine) as uow:
        user = uow.users.by_name(name)
        if user is None:
            raise not_found_user(name)
        uow.users.set_calendar_key(name, key)
        _, seen = _seeing(uow, user)
        others = [n for n in uow.users.names() if n != name and seen.sees(n)]
        uow.commit()
    return CalendarKey(key, [name, *others])


def has_calendar_key(engine: Engine, name: str) -> bool:
    with UnitOfWork(engine, write=False) as uow:
        return uow.users.has_calendar_key(name)


def calendar_reader(engine: Engine, key: str) -> tuple[User, Visibility] | None:
    """Who a calendar address reads for, and what they see; None for an unknown key."""
    with UnitOfWork(engine, write=False) as uow:
        user = uow.users.by_calendar_key(key)
        return None if user is None else _seeing(uow, user)


def _seeing(uow: UnitOfWork, user: User) -> tuple[User, Visibility]:
    """The user with whose deals they see (their team's members, for a manager)."""
    return user, visibility(user, uow.users.team_members(user.team))


# Who a token belongs to, remembered for a moment: every API request needs it, and reading it
# is a transaction of its own. A revoked token keeps working for at most CACHE_SECONDS.
CACHE_SECONDS = 1.0
# By engine object, not id(): an engine's id is reused once it is gone.
_recent: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, tuple[User, Visibility]]]] = (
    weakref.WeakKeyDictionary()
)


def recall(engine: Engine, token: str) -> tuple[User, Visibility] | None:
    """The caller behind a token authenticated in the last second, without touching the
    database; None when it must be looked up."""
    tokens = _recent.get(engine)
    hit = None if tokens is None else tokens.get(token)
    return hit[1] if hit is not None and hit[0] > time.monotonic() else None


def authenticate(engine: Engine, token: str) -> tuple[User, Visibility] | None:
    hit = recall(engine, token)
    if hit is not None:
        return hit
    now = time.monotonic()
    tokens = _recent.setdefault(engine, {})
    with UnitOfWork(engine, write=False) as uow:
        user = uow.users.by_token(token)
        if user is None:
            tokens.pop(token, None)
            return None
        found = _seeing(uow, user)
    if len(tokens) > 10_000:
        tokens.clear()
    tokens[token] = (now + CACHE_SECONDS, found)
    return found


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    if len(password) < 8:
        raise invalid("weak_password", "A password needs at least 8 characters.", "password")
    return PasswordHasher().hash(password)
