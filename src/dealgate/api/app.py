"""The FastAPI application: routers, the one error shape, a body size limit, webhooks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from dealgate import __version__
from dealgate.api import errors
from dealgate.api.errors import error_response
from dealgate.api.routes_deals import router as deals_router
from dealgate.api.routes_pipeline import router as pipeline_router
from dealgate.clock import now as wall_clock
from dealgate.domain.errors import invalid
from dealgate.services.webhooks import Dispatcher
from dealgate.store.db import make_engine
from dealgate.web.routes import router as web_router

STATIC = Path(__file__).parents[1] / "web" / "static"

MAX_BODY = 256 * 1024  # bytes; a deal, a note or an email fits many times over


def create_app(
    engine: Engine | None = None,
    *,
    clock: Callable[[], datetime] = wall_clock,
    webhooks: bool = True,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dispatcher = Dispatcher(app.state.engine, clock) if webhooks else None
        if dispatcher is not None:
            dispatcher.start()
        yield
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
    app.state.clock = clock
    errors.install(app)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return error_response(
                invalid(
                    "body_too_large",
                    f"The request body is larger than {MAX_BODY // 1024} KiB; send less.",
                    "body",
                    status=413,
                )
            )
        return await call_next(request)

    app.include_router(deals_router)
    app.include_router(pipeline_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: reads DEALGATE_DATABASE_URL."""
    return create_app()
