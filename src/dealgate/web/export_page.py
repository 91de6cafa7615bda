"""The whole pipeline as one download, for an admin leaving for another tool, keeping a copy,
or loading it into a new dealgate database: the files `dealgate export` writes, zipped."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from dealgate.services.exporting import export_tables
from dealgate.web.routes import EngineDep, NowDep, PageDep, storable_input

router = APIRouter(include_in_schema=False, dependencies=[Depends(storable_input)])

README = """A dealgate export of {when}: one file per table ({files}).
Every deal with its committee, commitments, interactions, notes and events, ids and history
as they were. Load it into a new, empty database with:

    dealgate --db URL init
    dealgate --db URL import dealgate FOLDER
"""


@router.get("/export.zip")
def export_zip(
    engine: EngineDep,
    p: PageDep,
    now: NowDep,
    fmt: Annotated[str, Query(alias="format", max_length=10)] = "csv",
) -> FileResponse:
    """Written to a temporary file and sent from it: a large pipeline is never held in
    memory, and the file is removed once sent."""
    p.user.require_export_right()
    handle, archive = tempfile.mkstemp(prefix="dealgate-export-", suffix=".zip")
    os.close(handle)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            export_tables(engine, folder, fmt)
            files = sorted(folder.iterdir())
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
                for path in files:
                    zipped.write(path, path.name)
                names = ", ".join(path.name for path in files)
                zipped.writestr(
                    "README.txt", README.format(when=f"{now:%Y-%m-%d %H:%M} UTC", files=names)
                )
    except BaseException:
        os.unlink(archive)
        raise
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"dealgate-export-{now:%Y-%m-%d}-{fmt}.zip",
        background=BackgroundTask(os.unlink, archive),
    )
