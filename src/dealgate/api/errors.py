"""One error handler for every error the API returns, 4xx and 5xx alike (DESIGN.md §4)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dealgate.api.responses import FastJSONResponse
from dealgate.domain.errors import DealgateError, ErrorDetail, unavailable
from dealgate.web.error_page import error_page, wants_a_page

log = logging.getLogger("dealgate.api")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}

VALIDATION_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "json_invalid": "invalid_json",
}


def error_response(error: DealgateError, headers: dict[str, str] | None = None) -> JSONResponse:
    return FastJSONResponse(error.to_dict(), status_code=error.status, headers=headers)


def _validation_detail(item: dict[str, Any]) -> ErrorDetail:
    loc = [str(x) for x in item.get("loc", ()) if x not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    kind = str(item.get("type", ""))
    code = VALIDATION_CODES.get(
        kind, "invalid_type" if "type" in kind or "parsing" in kind else "invalid_value"
    )
    hint = {
        "required": "add it",
        "unknown_field": "remove it; the fields this endpoint takes are in /api/docs",
    }.get(code, "correct it; the expected format is in /api/docs")
    return ErrorDetail(
        code, f"{field or 'request'}: {item.get('msg', 'is invalid')}; {hint}.", field
    )


def known_error_response(exc: Exception) -> JSONResponse | None:
    """The answer to an error a use case raises (refused, not found, database down), as
    the routes give it; None for anything else. Shared with the layers that call the
    routes' functions before FastAPI routes a request (`hot_writes`)."""
    if isinstance(exc, DealgateError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc, headers)
    if isinstance(exc, OperationalError):
        log.exception("database unavailable")
        return error_response(unavailable())
    return None


async def _answer(
    request: Request, error: DealgateError, headers: dict[str, str] | None = None
) -> Response:
    """The one error shape: as JSON, or as a page to a browser asking for one."""
    if wants_a_page(request):
        return await error_page(request, error, headers)
    return error_response(error, headers)


def install(app: FastAPI) -> None:
    async def known(request: Request, exc: Exception) -> Response:
        answer = known_error_response(exc)
        assert answer is not None  # registered only for the errors it knows
        if wants_a_page(request):
            error = exc if isinstance(exc, DealgateError) else unavailable()
            return await error_page(request, error)
        return answer

    for known_error in (DealgateError, OperationalError):
        app.add_exception_handler(known_error, known)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [_validation_detail(dict(e)) for e in exc.errors()]
        first = details[0].message if details else "The request is invalid."
        return await _answer(request, DealgateError(first, details, 422))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if 300 <= exc.status_code < 400 and exc.headers and "Location" in exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        code = HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        person = wants_a_page(request)
        if exc.status_code == 404:
            message = (
                f"There is no page at {request.url.path}; the pipeline is at /."
                if person
                else "No such endpoint; the API is described at /api/v1/openapi.json."
            )
        elif exc.status_code == 405:
            message = (
                "This address does not take that method; go back and use the page's form."
                if person
                else "This endpoint does not take that method; see /api/docs."
            )
        error = DealgateError(message, [ErrorDetail(code, message, None)], exc.status_code)
        return await _answer(request, error, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        message = "dealgate failed unexpectedly; nothing was saved. The error has been logged."
        return await _answer(
            request, DealgateError(message, [ErrorDetail("internal_error", message, None)], 500)
        )
