"""Errors as a page, for a person's browser: the same codes and messages as the API's one
error shape (DESIGN.md §4), where a JSON body would show a browser raw text (a stale form, a
mistyped address, a database gone)."""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from dealgate.domain.access import User, Visibility
from dealgate.domain.errors import DealgateError
from dealgate.web import sessions
from dealgate.web.routes import render

HEADINGS = {
    401: "Log in first",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Changed meanwhile",
    413: "Too large",
    503: "The database is unavailable",
}


def wants_a_page(request: Request) -> bool:
    """A browser asking for a page: not the API, and HTML accepted or htmx asking (a boosted
    form swaps the answer into the page). Scripts and the API's clients send neither, and
    keep the JSON shape."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers


async def error_page(
    request: Request, error: DealgateError, headers: dict[str, str] | None = None
) -> HTMLResponse:
    heading = HEADINGS.get(error.status) or (
        "Something went wrong" if error.status >= 500 else "Not accepted"
    )
    found = None if error.status >= 500 else await run_in_threadpool(_session, request)
    page = render(
        request,
        "error.html",
        {
            "user": found[0] if found else None,  # the page's own navigation, when logged in
            "csrf": found[2] if found else None,
            "heading": heading,
            "errors": error.details,
            "status": error.status,
        },
        error.status,
    )
    page.headers.update(headers or {})
    return page


def _session(request: Request) -> tuple[User, Visibility, str] | None:
    try:
        engine, now = request.app.state.engine, request.app.state.clock()
        return sessions.current(engine, request.cookies.get(sessions.COOKIE), now)
    except Exception:  # the error page shows, navigation or not
        return None
