"""The API's most frequent writes, handed to their route functions before FastAPI routes
them.

`POST /api/v1/deals`, `POST /api/v1/deals/{id}/commitments` and
`POST /api/v1/deals/{id}/advance` are most of a busy API's writes, and FastAPI's routing,
dependency solving and body handling cost ~0.3 ms of server CPU each, on top of the use
case. When everything about the request is plain (no query string, a JSON body of a
declared length that the route's own model accepts, no If-Match, a bearer token
authenticated in the last second), this validates the body with that model and calls the
route's function in the thread pool, as FastAPI would; its errors are answered by the same
handler as the routes'. Any other request, invalid bodies included, goes on to the routes;
`tests/integration/test_api.py` holds both equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealgate.api import routes_deals
from dealgate.api.errors import known_error_response
from dealgate.api.hot_reads import caller_of
from dealgate.api.schemas import AdvanceRequest, CommitmentCreate, DealCreate

Route = Callable[[re.Match[str], Any, Any, Any, Any], Any]
# path, the body's model, the route function called with (match, body, engine, caller, now)
ROUTES: tuple[tuple[re.Pattern[str], type[BaseModel], Route], ...] = (
    (
        re.compile(r"/api/v1/deals"),
        DealCreate,
        lambda _, body, engine, caller, now: routes_deals.create_deal(body, engine, caller, now),
    ),
    (
        re.compile(r"/api/v1/deals/([1-9][0-9]{0,8})/commitments"),
        CommitmentCreate,
        lambda m, body, engine, caller, now: routes_deals.add_commitment(
            int(m[1]), body, engine, caller, now
        ),
    ),
    (
        re.compile(r"/api/v1/deals/([1-9][0-9]{0,8})/advance"),
        AdvanceRequest,
        lambda m, body, engine, caller, now: routes_deals.advance(
            int(m[1]), body, engine, caller, now
        ),
    ),
)


class HotWrites:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and not scope["query_string"]:
            for path, model, route in ROUTES:
                found = path.fullmatch(scope["path"])
                if found is not None and _plain(scope):
                    await self._write(scope, receive, send, found, model, route)
                    return
        await self.app(scope, receive, send)

    async def _write(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        found: re.Match[str],
        model: type[BaseModel],
        route: Route,
    ) -> None:
        state = scope["app"].state
        caller = caller_of(scope, state.engine) if state.hot_paths else None
        if caller is None:  # the routes authenticate it, or answer 401
            await self.app(scope, receive, send)
            return
        body, messages = await _body(receive)
        replay = _replaying(messages, receive)
        if body is None:
            await self.app(scope, replay, send)
            return
        try:
            parsed = model.model_validate_json(body)
        except ValidationError:
            await self.app(scope, replay, send)  # the routes answer it in the one shape
            return
        try:
            answer = await run_in_threadpool(
                route, found, parsed, state.engine, caller, state.clock()
            )
        except Exception as exc:
            answer = known_error_response(exc)
            if answer is None:
                raise
        state.hot_writes_answered += 1  # how tests see this path ran
        await answer(scope, replay, send)


def _plain(scope: Scope) -> bool:
    """A JSON body of a declared length (`BodyLimit` has refused it if too long), no
    If-Match."""
    json_body = sized = False
    for name, value in scope["headers"]:
        if name == b"if-match":
            return False
        if name == b"content-type":
            json_body = value == b"application/json"
        elif name == b"content-length":
            sized = True
    return json_body and sized


async def _body(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole body (None if the client left), and the messages it came in."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives the routes the messages already read, then the client's."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
