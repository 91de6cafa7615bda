"""Errors as a page, for a person's browser: the same codes and messages as the API's one
error shape (DESIGN.md §4), where a JSON body would show a browser raw text (a stale form, a
mistyped address, a database gone)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from dealgate.domain.errors import DealgateError
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


def error_page(
    request: Request, error: DealgateError, headers: dict[str, str] | None = None
) -> HTMLResponse:
    heading = HEADINGS.get(error.status) or (
        "Something went wrong" if error.status >= 500 else "Not accepted"
    )
    page = render(
        request,
        "error.html",
        {"user": None, "heading": heading, "errors": error.details, "status": error.status},
        error.status,
    )
    page.headers.update(headers or {})
    return page
