"""An admin takes the whole pipeline out from the pages, over real HTTP on both databases: a
ZIP of the files `dealgate export` writes, which loads into a new database losslessly."""

from __future__ import annotations

import io
import tempfile
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services.exporting import export_tables, import_tables
from dealgate.services.setup import init_database
from dealgate.services.users import add_user
from dealgate.store.db import make_engine
from tests.api_support import running_api
from tests.builders import T0
from tests.integration.test_import import salesforce
from tests.pages_support import log_in


def _left_behind(expected: set[Path] | None = None) -> set[Path]:
    """The archives in the temporary folder; given `expected`, once they are back to it (the
    server removes an archive just after sending it), or after 5 seconds."""
    deadline = time.monotonic() + 5
    while True:
        found = set(Path(tempfile.gettempdir()).glob("dealgate-export-*.zip"))
        if expected is None or found == expected or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.parametrize(("fmt", "suffix"), [("csv", ".csv"), ("json", ".jsonl")])
def test_an_admin_downloads_the_pipeline_and_it_loads_into_a_new_database_as_it_was(
    engine: Engine, tmp_path: Path, fmt: str, suffix: str
) -> None:
    salesforce(engine)
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    before = _left_behind()
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        log_in(browser, "ada", "ada-secret")
        offered = browser.get("/import").text
        assert f'href="/export.zip?format={fmt}"' in offered
        response = browser.get("/export.zip", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert f'dealgate-export-{T0:%Y-%m-%d}-{fmt}.zip"' in response.headers["content-disposition"]
    assert _left_behind(before) == before  # the archive is removed once sent
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
        zipped.extractall(unpacked)
    assert "import dealgate FOLDER" in (unpacked / "README.txt").read_text()
    (unpacked / "README.txt").unlink()

    fresh = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    init_database(fresh, T0)
    loaded = import_tables(fresh, unpacked)
    assert loaded["deals"] == 10 and loaded["events"] > 10
    again = export_tables(fresh, tmp_path / "again", fmt)
    fresh.dispose()
    assert again == loaded
    for path in sorted(unpacked.iterdir()):
        assert path.suffix == suffix
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes(), path.name


def test_only_an_admin_exports_the_whole_pipeline_and_a_wrong_format_is_refused(
    engine: Engine,
) -> None:
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    add_user(engine, "fay", UserRole.MANAGER, T0, "east", "fay-secret")
    add_user(engine, "amir", UserRole.REP, T0, "east", "amir-secret")
    before = _left_behind()
    with running_api(engine) as api:
        for name in ("fay", "amir"):
            with httpx.Client(base_url=api.base) as browser:
                log_in(browser, name, f"{name}-secret")
                assert "/export.zip" not in browser.get("/import").text
                refused = browser.get("/export.zip", headers={"Accept": "application/json"})
                assert refused.status_code == 403
                assert [e["code"] for e in refused.json()["errors"]] == ["forbidden"]
                page = browser.get("/export.zip", headers={"Accept": "text/html"})
                assert page.status_code == 403 and "Only admins may export" in page.text
        with httpx.Client(base_url=api.base) as browser:
            log_in(browser, "ada", "ada-secret")
            wrong = browser.get(
                "/export.zip", params={"format": "xml"}, headers={"Accept": "application/json"}
            )
            assert wrong.status_code == 422
            assert [(e["code"], e["field"]) for e in wrong.json()["errors"]] == [
                ("invalid_format", "format")
            ]
        anonymous = httpx.get(f"{api.base}/export.zip", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    assert _left_behind(before) == before
