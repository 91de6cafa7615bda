"""The import pages: upload another CRM's export, check the stage mapping, see what came in.

Three steps, as `dealgate import` takes them: the files, the mapping of their stage names to
ours (suggested, changeable), then the import and its review. The files wait between the
first two steps in a folder of their own, named by a random token and kept for their
uploader only. The import runs in the server while its page shows how far it got
(`import_jobs`); up to MAX_UPLOAD of files, a larger export goes through `dealgate import`.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dealgate.domain.errors import DealgateError, ErrorDetail, invalid
from dealgate.io import readers
from dealgate.io.readers import (
    SALESFORCE_FILES,
    check_owner_mapping,
    check_owner_users,
    check_stage_mapping,
    unpack_salesforce_zip,
)
from dealgate.io.records import SourceData
from dealgate.io.spreadsheets import is_workbook, workbook_to_csv
from dealgate.services import deals as svc
from dealgate.services.users import user_names
from dealgate.web import import_jobs
from dealgate.web.routes import Csrf, EngineDep, NowDep, Page, PageDep, render, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

MAX_UPLOAD = 64 * 1024 * 1024  # bytes in one upload; the CLI takes any size
MAX_UNPACKED = 16 * MAX_UPLOAD  # bytes a Data Export's ZIP may unpack to (CSV packs ~10x)
UPLOADS = Path(tempfile.gettempdir()) / "dealgate-uploads"
KEEP_SECONDS = 6 * 3600  # an upload whose mapping nobody sent is removed after this

SOURCES = {
    "salesforce": "Salesforce: Opportunity.csv with any of its related objects, a report, or "
    "a Data Export's ZIP",
    "hubspot": "HubSpot: the deals export (one CSV file)",
    "pipedrive": "Pipedrive: the deals export (one CSV file)",
}
SINGLE_FILE = "deals.csv"  # a HubSpot or Pipedrive export, whatever its name was


def _read(source: str, folder: Path) -> SourceData:
    if source == "salesforce":
        return readers.salesforce(folder)
    if source == "hubspot":
        return readers.hubspot(folder / SINGLE_FILE)
    return readers.pipedrive(folder / SINGLE_FILE)


@router.get("/import")
def import_form(request: Request, p: PageDep) -> HTMLResponse:
    if not p.user.may_import:
        return _page(request, p, "upload", errors=_refused(p), status=403)
    return _page(request, p, "upload")


@router.post("/import")
def upload(
    request: Request,
    engine: EngineDep,
    p: PageDep,
    csrf: Csrf,
    files: Annotated[list[UploadFile], Form()],
    source: Annotated[str, Form(max_length=20)] = "salesforce",
) -> HTMLResponse:
    """Keep the files and show the mapping of the stage names they hold."""
    p.check(csrf)
    if not p.user.may_import:
        return _page(request, p, "upload", errors=_refused(p), status=403)
    _forget_old_uploads()
    token = secrets.token_urlsafe(18)
    folder = UPLOADS / token
    try:
        _keep(files, source, folder, p.user.name)
        data = _read(source, folder)
    except DealgateError as e:
        shutil.rmtree(folder, ignore_errors=True)
        return _page(request, p, "upload", errors=e.details, status=e.status, source=source)
    if not data.stage_names:
        shutil.rmtree(folder, ignore_errors=True)
        return _page(
            request,
            p,
            "upload",
            errors=[
                ErrorDetail(
                    "no_deals",
                    "The file holds no deal with a stage: export the deals (opportunities) "
                    "with their stage column.",
                    "files",
                )
            ],
            status=422,
            source=source,
        )
    process = svc.active_process(engine)
    keys = list(process.stage_keys)
    users = user_names(engine)
    return _page(
        request,
        p,
        "mapping",
        token=token,
        source=source,
        files=_csv_names(folder),
        mapping=readers.suggest_stages(data.stage_names, process),
        stage_keys=keys,
        owners=readers.suggest_owners(data.owner_names, users),
        users=users,
        deals_of=_deals_of(data),
    )


@router.post("/import/{token}")
def run(
    request: Request,
    token: str,
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    csrf: Csrf,
    theirs: Annotated[list[str], Form(max_length=200)],
    ours: Annotated[list[str], Form(max_length=40)],
    owner_theirs: Annotated[list[str] | None, Form(max_length=100)] = None,
    owner_ours: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> Response:
    """Start importing the kept files with the mapping as sent; its page shows how far."""
    p.check(csrf)
    if not p.user.may_import:
        return _page(request, p, "upload", errors=_refused(p), status=403)
    folder = UPLOADS / token
    if not _valid(token):
        return _gone(request, p)
    try:
        if not _is_uploaders(folder, p):
            raise FileNotFoundError(folder)
        source = (folder / ".source").read_text(encoding="utf-8")
    except OSError:  # sent again (or twice at once): the import is under way or done
        return _taken(request, p, token)
    keys = list(svc.active_process(engine).stage_keys)
    chosen = dict(zip(theirs, ours, strict=False))
    mapping = {name: stage for name, stage in chosen.items() if stage}  # "": left out
    owner_theirs, owner_ours = owner_theirs or [], owner_ours or []
    owners = dict(zip(owner_theirs, owner_ours, strict=False))
    wrong: list[ErrorDetail] = []
    try:
        mapping = check_stage_mapping(mapping, keys, "The stages")
    except DealgateError as e:
        wrong += e.details
    try:
        owners = check_owner_mapping(owners, "The owners")
        check_owner_users(owners, user_names(engine), "The owners")
    except DealgateError as e:
        wrong += e.details
    if wrong or len(theirs) != len(ours) or len(owner_theirs) != len(owner_ours):
        return _page(
            request,
            p,
            "mapping",
            errors=wrong
            or [ErrorDetail("invalid_mapping", "Each stage name needs one stage.", "stages")],
            status=422,
            token=token,
            source=source,
            files=_csv_names(folder),
            mapping=chosen,
            stage_keys=keys,
            owners=owners,
            users=user_names(engine),
            deals_of=_deals_of(_read(source, folder)),
        )
    # Claimed by renaming, so that a second click starts nothing rather than reading files
    # the first one is importing; it is shown the first one's progress.
    claimed = _claimed(token)
    try:
        folder.rename(claimed)
    except OSError:  # claimed by a click sent at the same time
        return _taken(request, p, token)
    try:
        data = _read(source, claimed)
    except DealgateError as e:  # the files were read at upload; a reader's refusal still says
        shutil.rmtree(claimed, ignore_errors=True)
        return _page(request, p, "upload", errors=e.details, status=e.status, source=source)
    import_jobs.start(engine, claimed, source, data, mapping, owners, now)
    return RedirectResponse(f"/import/{token}", status_code=303)


def _deals_of(data: SourceData) -> dict[str, dict[str, int]]:
    """How many deals each of their stage names and owners holds, for the mapping's rows."""
    return {"stage": dict(data.stage_names), "owner": dict(data.owner_names)}


@router.post("/import/{token}/finish")
def finish(
    request: Request, token: str, engine: EngineDep, p: PageDep, now: NowDep, csrf: Csrf
) -> Response:
    """Run again an import the server stopped midway (a restart): from its kept files and
    mapping, adding only what is not in yet."""
    p.check(csrf)
    folder = _their_import(request, p, token)
    if not isinstance(folder, Path):
        return folder
    saved = import_jobs.saved_mapping(folder)
    job = import_jobs.status(folder)
    if job.state != "stopped" or saved is None:
        return RedirectResponse(f"/import/{token}", status_code=303)  # running, done or gone
    source = (folder / ".source").read_text(encoding="utf-8")
    mapping, owners = saved
    try:  # the process or the users may have changed since it started
        keys = list(svc.active_process(engine).stage_keys)
        mapping = check_stage_mapping(mapping, keys, "The stages")
        check_owner_users(owners, user_names(engine), "The owners")
        data = _read(source, folder)
    except DealgateError as e:
        return _page(request, p, "upload", errors=e.details, status=e.status, source=source)
    if import_jobs.take_over(folder, job):
        import_jobs.start(engine, folder, source, data, mapping, owners, now)
    return RedirectResponse(f"/import/{token}", status_code=303)


@router.get("/import/{token}")
def progress(request: Request, token: str, p: PageDep) -> Response:
    """A running import's progress, refreshed by the page itself; then what came in."""
    folder = _their_import(request, p, token)
    if not isinstance(folder, Path):
        return folder
    job = import_jobs.status(folder)
    if job.state != "running" and request.headers.get("HX-Request"):
        # The polling fragment asks; the whole page shows the result.
        return Response(status_code=204, headers={"HX-Redirect": f"/import/{token}"})
    source = (folder / ".source").read_text(encoding="utf-8")
    if job.state == "done" and job.summary is not None:
        return _page(request, p, "done", source=source, summary=job.summary)
    if job.state == "failed":
        return _page(request, p, "upload", errors=job.errors, status=job.http_status, source=source)
    finishable = job.state == "stopped" and import_jobs.saved_mapping(folder) is not None
    return _page(request, p, job.state, source=source, token=token, job=job, finishable=finishable)


def _page(
    request: Request,
    p: Page,
    step: str,
    errors: list[ErrorDetail] | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    return render(
        request,
        "import.html",
        {
            "user": p.user,
            "csrf": p.csrf,
            "step": step,
            "started": import_jobs.started_by(UPLOADS, p.user.name) if step == "upload" else [],
            "sources": SOURCES,
            "salesforce_files": SALESFORCE_FILES,
            "max_mb": MAX_UPLOAD // (1024 * 1024),
            "errors": errors,
            "source": context.pop("source", "salesforce"),
            **context,
        },
        status,
    )


def _their_import(request: Request, p: Page, token: str) -> Path | HTMLResponse:
    """The folder of an import the user started, or the page saying why they may not see it."""
    if not p.user.may_import:
        return _page(request, p, "upload", errors=_refused(p), status=403)
    folder = _claimed(token)
    if not _valid(token) or not _is_uploaders(folder, p):
        return _gone(request, p)
    return folder


def _taken(request: Request, p: Page, token: str) -> Response:
    """A mapping sent for files no longer waiting: their import's page, if it is theirs."""
    if _is_uploaders(_claimed(token), p):
        return RedirectResponse(f"/import/{token}", status_code=303)
    return _gone(request, p)


def _gone(request: Request, p: Page) -> HTMLResponse:
    return _page(
        request,
        p,
        "upload",
        errors=[
            ErrorDetail(
                "upload_gone",
                "These files were imported already or kept too long; upload them again "
                "(importing the same export twice changes nothing).",
                "token",
            )
        ],
        status=404,
    )


def _refused(p: Page) -> list[ErrorDetail]:
    try:
        p.user.require_import_right()
    except DealgateError as e:
        return e.details
    return []


def _keep(files: list[UploadFile], source: str, folder: Path, uploader: str) -> None:
    """Write the files where the next step finds them, named as the reader expects."""
    if source not in SOURCES:
        raise invalid(
            "invalid_source",
            f"Unknown source '{source}'; choose one of: {', '.join(SOURCES)}.",
            "source",
        )
    sent = [f for f in files if f.filename]
    if not sent:
        raise invalid("files_required", "Choose the export's CSV file(s) to upload.", "files")
    originals = [Path(f.filename or "").name for f in sent]
    # A workbook is kept as the CSV it holds: Opportunity.xlsx as Opportunity.csv.
    names = [f"{Path(n).stem}.csv" if is_workbook(n) else n for n in originals]
    if source == "salesforce" and len(names) == 1 and names[0].lower().endswith(".zip"):
        folder.mkdir(parents=True)  # removed by the caller when refused
        # Salesforce's Data Export: every object's file, ours among them.
        unpack_salesforce_zip(sent[0].file, names[0], folder, MAX_UNPACKED)
        _mark(folder, source, uploader)
        return
    if source == "salesforce" and len(names) == 1 and names[0] not in SALESFORCE_FILES:
        names = ["Opportunity.csv"]  # one report of opportunities, as Salesforce names it
    if source == "salesforce":
        unknown = [n for n in names if n not in SALESFORCE_FILES]
        if unknown:
            raise invalid(
                "invalid_file",
                f"{', '.join(unknown)}: name each file after its Salesforce object: "
                f"{', '.join(SALESFORCE_FILES)}.",
                "files",
            )
        if "Opportunity.csv" not in names:
            raise invalid(
                "invalid_file",
                "Opportunity.csv is missing: export the Opportunity object; the others are "
                "optional.",
                "files",
            )
    elif len(sent) != 1:
        raise invalid(
            "invalid_file", f"A {source} export is one CSV file; upload only that one.", "files"
        )
    folder.mkdir(parents=True)
    for f, name, original in zip(sent, names, originals, strict=True):
        target = folder / (name if source == "salesforce" else SINGLE_FILE)
        if is_workbook(original):
            workbook_to_csv(f.file, original, target)
            continue
        with target.open("wb") as out:
            shutil.copyfileobj(f.file, out)
    _mark(folder, source, uploader)


def _mark(folder: Path, source: str, uploader: str) -> None:
    """Whose upload the folder holds, and from which source."""
    (folder / ".source").write_text(source, encoding="utf-8")
    (folder / ".uploader").write_text(uploader, encoding="utf-8")


def _valid(token: str) -> bool:
    return token.replace("-", "").replace("_", "").isalnum()


def _claimed(token: str) -> Path:
    """Where an upload's files are imported from, and its progress and result kept."""
    return UPLOADS / f"{token}.importing"


def _csv_names(folder: Path) -> list[str]:
    return sorted(f.name for f in folder.iterdir() if f.suffix == ".csv")


def _is_uploaders(folder: Path, p: Page) -> bool:
    try:
        return (folder / ".uploader").read_text(encoding="utf-8") == p.user.name
    except OSError:
        return False


def _forget_old_uploads() -> None:
    if not UPLOADS.is_dir():
        return
    for folder in UPLOADS.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > KEEP_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # removed by another worker meanwhile
            continue
