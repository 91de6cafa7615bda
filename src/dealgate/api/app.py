"""The FastAPI application: routers, the one error shape, a body size limit, webhooks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dealgate import __version__
from dealgate.api import errors
from dealgate.api.errors import error_response
from dealgate.api.hot_reads import HotReads
from dealgate.api.hot_writes import HotWrites
from dealgate.api.routes_admin import router as admin_router
from dealgate.api.routes_confirm import router as waiting_router
from dealgate.api.routes_deals import router as deals_router
from dealgate.api.routes_pipeline import router as pipeline_router
from dealgate.clock import now as wall_clock
from dealgate.domain.errors import DealgateError, invalid
from dealgate.services.webhooks import Dispatcher
from dealgate.store.async_documents import AsyncDocuments
from dealgate.store.db import make_engine
from dealgate.web import sessions
from dealgate.web.account_page import router as account_router
from dealgate.web.confirm_page import router as confirm_router
from dealgate.web.export_page import router as export_router
from dealgate.web.history import KeepAddressAfterForms
from dealgate.web.import_pages import MAX_UPLOAD
from dealgate.web.import_pages import router as import_router
from dealgate.web.owners_page import router as owners_router
from dealgate.web.process_page import router as process_router
from dealgate.web.review_changes_page import router as review_changes_router
from dealgate.web.review_page import router as review_router
from dealgate.web.routes import router as web_router
from dealgate.web.search_page import router as search_router
from dealgate.web.users_page import router as users_router

log = logging.getLogger("dealgate.api")
STATIC = Path(__file__).parents[1] / "web" / "static"

MAX_BODY = 256 * 1024  # bytes; a deal, a note or an email fits many times over


def _too_large(limit: int) -> DealgateError:
    return invalid(
        "body_too_large",
        f"The request body is larger than {limit // 1024} KiB; send less."
        + (" Import a larger export with `dealgate import`." if limit == MAX_UPLOAD else ""),
        "body",
        status=413,
    )


class BodyLimit:
    """Refuses an oversize body in the one error shape: a declared length before reading,
    a chunked body as soon as it passes the limit. Plain ASGI, because
    `@app.middleware("http")` costs a task and a stream on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = MAX_UPLOAD if scope["path"] == "/import" else MAX_BODY  # the import page's files
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit() or int(value) > limit:
                    await error_response(_too_large(limit))(scope, receive, send)
                    return
                await self.app(scope, receive, send)
                return
        received = 0
        refused = False

        async def counting() -> Message:
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                refused = True
                raise _too_large(limit)
            return message

        async def answering(message: Message) -> None:
            # FastAPI turns any failure while reading the body into its own 400; once the
            # limit is passed, the 413 in the one shape is sent in place of that answer.
            if not refused:
                await send(message)
            elif message["type"] == "http.response.start":
                await error_response(_too_large(limit))(scope, receive, send)

        await self.app(scope, counting, answering)


async def _event_loop_reads(engine: Engine) -> AsyncDocuments | None:
    """The event-loop reader, or None: a database down at startup leaves the reads in the
    thread pool (answering 503 until it is back) rather than stopping the server."""
    try:
        return await AsyncDocuments.open(engine)
    except Exception:
        log.warning(
            "PostgreSQL unreachable at startup: deal reads use the thread pool", exc_info=True
        )
        return None


def create_app(
    engine: Engine | None = None,
    *,
    clock: Callable[[], datetime] = wall_clock,
    webhooks: bool = True,
    hot_paths: bool = True,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dispatcher = Dispatcher(app.state.engine, clock) if webhooks else None
        if dispatcher is not None:
            dispatcher.start()
        app.state.documents = await _event_loop_reads(app.state.engine)
        try:
            yield
        finally:
            if app.state.documents is not None:
                await app.state.documents.close()
                app.state.documents = None
            if dispatcher is not None:
                dispatcher.stop()

    app = FastAPI(
        title="dealgate",
        version=__version__,
        description="A pipeline where a deal advances only on the buyer's commitment.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.engine = engine or make_engine()
    app.state.documents = None  # reads on the event loop, once the lifespan opens them
    app.state.clock = clock
    # False: every request goes through the routes (`hot_reads`, `hot_writes`).
    app.state.hot_paths = hot_paths
    app.state.hot_reads_answered = 0
    app.state.hot_writes_answered = 0
    app.state.passwords = sessions.Throttle(app.state.engine)  # counted in the database
    errors.install(app)
    app.add_middleware(HotWrites)
    app.add_middleware(HotReads)
    app.add_middleware(BodyLimit)
    app.add_middleware(KeepAddressAfterForms)

    app.include_router(deals_router)
    app.include_router(pipeline_router)
    app.include_router(admin_router)
    app.include_router(waiting_router)
    app.include_router(web_router)
    app.include_router(review_router)
    app.include_router(review_changes_router)
    app.include_router(confirm_router)
    app.include_router(import_router)
    app.include_router(owners_router)
    app.include_router(process_router)
    app.include_router(users_router)
    app.include_router(search_router)
    app.include_router(account_router)
    app.include_router(export_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: reads DEALGATE_DATABASE_URL."""
    return create_app()
