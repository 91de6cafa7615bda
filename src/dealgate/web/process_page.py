"""The process page: the stages, their exit menus and the audit for everyone; for an admin, the
process file to edit and load, saying where the deals of a stage it leaves out go."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from dealgate.domain.audit import audit_process
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.processes import parse_process
from dealgate.services.setup import (
    InitResult,
    active_source,
    check_process_text,
    load_process_text,
    process_as_loaded,
)
from dealgate.web.routes import (
    Csrf,
    EngineDep,
    NowDep,
    Page,
    PageDep,
    redirect,
    render,
    storable_input,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

MAX_SOURCE = 100_000  # characters: the shipped file is about 5,000
LOADS_SHOWN = 20  # the newest; `dealgate process history` lists them all


@router.get("/process")
def process_page(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    # What a load did: a line per stage left out and per warning (see `_said`).
    notice: Annotated[str | None, Query(max_length=4000)] = None,
) -> HTMLResponse:
    return _page(request, engine, p, notice=notice)


@router.get("/process.toml")
def process_file(engine: EngineDep, p: PageDep) -> Response:
    """The active process's file, to edit in an editor or load with `dealgate init --process`."""
    return Response(
        active_source(engine),
        media_type="application/toml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="process.toml"'},
    )


@router.post("/process")
def load(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    source: Annotated[str, Form(max_length=MAX_SOURCE)],
    move_from: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies it)
    move_to: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006
    check: Annotated[bool, Form()] = False,
) -> Response:
    """Load the process sent, or with `check` say what loading it would do, changing nothing."""
    p.check(csrf)
    moves = {old: new for old, new in zip(move_from, move_to, strict=False) if new}
    text = source.replace("\r\n", "\n")  # as a browser sends a textarea
    try:
        p.user.require_process_right()
        if check:
            found = check_process_text(engine, now, text, moves)
            checked = {
                "name": found.process.name,
                "findings": audit_process(found.process),
                "change": found.change,
                # Only the flags the process would change, counted over the open deals.
                "flags": {
                    code: (n, found.flags_after[code])
                    for code, n in found.flags_before.items()
                    if n != found.flags_after[code]
                },
            }
            return _page(request, engine, p, source=source, moves=moves, checked=checked)
        result = load_process_text(engine, now, text, moves, p.user.name)
    except DealgateError as e:
        return _page(
            request, engine, p, errors=e.details, status=e.status, source=source, moves=moves
        )
    return redirect(f"/process?notice={quote(_said(result))}")


def _said(result: InitResult) -> str:
    name = result.process.name
    if not result.loaded:
        return f"Process '{name}' is already the active one: nothing changed."
    told = [f"Process '{name}' loaded.", *result.change.told(), *result.warnings]
    return " ".join(told)[:4000]


def _page(
    request: Request,
    engine: EngineDep,
    p: Page,
    *,
    notice: str | None = None,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
    source: str | None = None,
    moves: dict[str, str] | None = None,
    checked: dict[str, Any] | None = None,
) -> HTMLResponse:
    process, active_file, loads = process_as_loaded(engine)
    context: dict[str, Any] = {
        "user": p.user,
        "csrf": p.csrf,
        "process": process,
        "findings": audit_process(process),
        "loads": loads[:LOADS_SHOWN],
        "notice": notice,
        "errors": errors,
        "errors_title": "Not loaded:",
    }
    if p.user.may_change_process:
        # The stages whose open deals need a stage named: refused for it, or checked with one.
        stranded = [
            e.field.removeprefix("move.")
            for e in errors or []
            if e.code == "stage_in_use" and e.field
        ] + (list(checked["change"].moving) if checked else [])
        context |= {
            "source": active_file if source is None else source,
            "stranded": stranded,
            # The stages of the process sent, which parsed when some of its deals are stranded.
            "choices": [s.key for s in parse_process(source or "")] if stranded else [],
            "moves": moves or {},
            "checked": checked,
        }
    return render(request, "process.html", context, status=status)
