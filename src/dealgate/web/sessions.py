"""Logins for the pages: argon2 passwords, a random session id in an HttpOnly cookie, and a
CSRF token per session that every form carries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from dealgate.domain.access import User, Visibility, visibility
from dealgate.domain.errors import invalid
from dealgate.domain.password_guessing import LIMIT, WINDOW, minutes_to_wait
from dealgate.store import tables as t
from dealgate.store.login_failures import LoginFailures
from dealgate.store.unit_of_work import UnitOfWork

COOKIE = "dealgate_session"
LOGIN_CSRF_COOKIE = "dealgate_login_csrf"
LIFETIME = timedelta(hours=12)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(engine: Engine, name: str, password: str) -> User | None:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    with UnitOfWork(engine, write=False) as uow:
        stored = uow.users.password_hash(name)
        user = uow.users.by_name(name)
    if stored is None or user is None:
        PasswordHasher().hash(password)  # same work either way: no timing hint of who exists
        return None
    try:
        PasswordHasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def open_session(engine: Engine, user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    with UnitOfWork(engine) as uow:
        uow.connection.execute(
            insert(t.sessions).values(
                token_hash=_hash(token),
                user_name=user.name,
                csrf=secrets.token_hex(16),
                expires_at=now + LIFETIME,
            )
        )
        uow.commit()
    return token


def close_session(engine: Engine, token: str) -> None:
    with UnitOfWork(engine) as uow:
        uow.connection.execute(delete(t.sessions).where(t.sessions.c.token_hash == _hash(token)))
        uow.commit()


def current(
    engine: Engine, token: str | None, now: datetime
) -> tuple[User, Visibility, str] | None:
    """The session's user, what they see, and the CSRF token their forms must carry."""
    if not token:
        return None
    with UnitOfWork(engine, write=False) as uow:
        row = uow.connection.execute(
            select(t.sessions).where(t.sessions.c.token_hash == _hash(token))
        ).first()
        if row is None or row.expires_at < now:
            return None
        user = uow.users.by_name(row.user_name)
        if user is None:
            return None
        return user, visibility(user, uow.users.team_members(user.team)), str(row.csrf)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


def logged_in(engine: Engine, user: User, now: datetime, to: str) -> Response:
    """A redirect to `to` that carries a new session of `user` (after a login, or after a
    password change ended all their sessions)."""
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        COOKIE,
        open_session(engine, user, now),
        httponly=True,
        samesite="lax",
        max_age=int(LIFETIME.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def require_typed_twice(password: str, repeated: str) -> None:
    """A password a person chooses on a page is typed twice, against a slip of the finger."""
    if password != repeated:
        raise invalid("passwords_differ", "The password and its repetition differ.", "repeated")


class Throttle:
    """Wrong passwords by name and address, counted in the database (`LoginFailures`) so
    every server process sees the same ones; the rule is `password_guessing`'s."""

    def __init__(self, engine: Engine, limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        self.engine, self.limit, self.window = engine, limit, window

    def check(self, name: str, address: str, now: datetime) -> None:
        with UnitOfWork(self.engine, write=False) as uow:
            failures = LoginFailures(uow.connection).since(name, address, now - self.window)
        wait = minutes_to_wait(failures, now, self.limit, self.window)
        if wait is not None:
            raise invalid(
                "too_many_attempts",
                f"Too many wrong passwords for {name} from this address: try again in {wait} "
                "minutes, or ask an admin to set a new password.",
                "password",
                status=429,
            )

    def failed(self, name: str, address: str, now: datetime) -> None:
        with UnitOfWork(self.engine) as uow:
            failures = LoginFailures(uow.connection)
            failures.forget_before(now - self.window)  # aged out, whoever's
            failures.add(name, address, now)
            uow.commit()

    def succeeded(self, name: str, address: str) -> None:
        with UnitOfWork(self.engine) as uow:
            LoginFailures(uow.connection).forget(name, address)
            uow.commit()


def throttle(request: Request) -> Throttle:
    """The app's own count of wrong passwords (`create_app` makes it)."""
    found = request.app.state.passwords
    assert isinstance(found, Throttle)
    return found
