"""Request dependencies: the engine, the clock and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine

from dealgate.domain.access import User, Visibility
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError, ErrorDetail, not_found
from dealgate.services.users import authenticate, calendar_reader, recall

bearer = HTTPBearer(auto_error=False, description="An API token from `dealgate user add`.")


class Unauthenticated(DealgateError):
    pass


def unauthenticated(message: str) -> DealgateError:
    return DealgateError(message, [ErrorDetail("unauthenticated", message, "authorization")], 401)


# Ids in paths, bounded to what the databases store: a larger number is a 422, not a 500.
DealId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The deal's id.")]
Number = Annotated[int, Path(ge=1, le=2**31 - 1, description="The commitment's number.")]


@dataclass(frozen=True)
class Caller:
    user: User
    visibility: Visibility

    def guard(self, deal: Deal) -> None:
        """Another rep's deal is 404, not 403, so its existence does not leak."""
        if not self.visibility.sees(deal.owner):
            raise not_found("deal", deal.id, "List the deals you can see at /api/v1/deals.")


# Cheap dependencies are async so they run on the event loop: a sync one costs a trip
# through the thread pool on every request.
async def get_engine(request: Request) -> Engine:
    engine = request.app.state.engine
    assert isinstance(engine, Engine)
    return engine


async def get_now(request: Request) -> datetime:
    value = request.app.state.clock()
    assert isinstance(value, datetime)
    return value


async def get_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated(
            "Send your API token as `Authorization: Bearer TOKEN`; `dealgate user add` creates one."
        )
    engine = request.app.state.engine
    found = recall(engine, credentials.credentials) or await run_in_threadpool(
        authenticate, engine, credentials.credentials
    )
    if found is None:
        raise unauthenticated(
            "The token is not valid (revoked or mistyped); issue a new one with "
            "`dealgate user token NAME`."
        )
    return Caller(*found)


async def get_feed_reader(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    """Who reads a calendar feed. Calendar apps cannot send headers, so a feed's address
    carries the user's calendar key (`key`, read-only) or, as before, their API token."""
    key = request.query_params.get("key")
    if credentials is None and key:
        found = await run_in_threadpool(calendar_reader, request.app.state.engine, key)
        if found is None:
            message = (
                "This calendar address is not valid: a newer one replaced it, or it was "
                "copied in part. Make a new one on your Account page (/account)."
            )
            raise DealgateError(message, [ErrorDetail("unauthenticated", message, "key")], 401)
        return Caller(*found)
    token = request.query_params.get("token")
    if credentials is None and token:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    return await get_caller(request, credentials)


EngineDep = Annotated[Engine, Depends(get_engine)]
NowDep = Annotated[datetime, Depends(get_now)]
CallerDep = Annotated[Caller, Depends(get_caller)]
FeedReaderDep = Annotated[Caller, Depends(get_feed_reader)]
