"""The import pages over real HTTP, on both databases: upload an export, map its stages, see
what came in; bad uploads are refused in words and leave nothing behind."""

from __future__ import annotations

import csv
import json
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select, text

from dealgate.api.app import create_app
from dealgate.domain.access import UserRole
from dealgate.io import readers
from dealgate.services.demo import DEMO_ADMIN, DEMO_PASSWORD, demo_users
from dealgate.services.users import add_user
from dealgate.store import tables as t
from dealgate.web import import_jobs, import_pages
from tests.api_support import running_api, serve
from tests.builders import T0
from tests.integration.test_import import DATA, _big_export, salesforce, snapshot
from tests.pages_support import log_in

SALESFORCE = sorted((DATA / "salesforce").iterdir())
MAPPING = {
    "Prospecting": "prospect",
    "Qualification": "prospect",
    "Needs Analysis": "discover",
    "Value Proposition": "change",
    "Id. Decision Makers": "design",
    "Perception Analysis": "design",
    "Proposal/Price Quote": "propose",
    "Negotiation/Review": "resolve",
    "Closed Won": "won",
    "Closed Lost": "lost",
}


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of this test's own for the uploads waiting for their mapping."""
    folder = tmp_path / "uploads"
    monkeypatch.setattr(import_pages, "UPLOADS", folder)
    return folder


def _upload(
    browser: httpx.Client, csrf: str, paths: list[Path], source: str = "salesforce"
) -> httpx.Response:
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in paths]
    return browser.post("/import", data={"csrf": csrf, "source": source}, files=files)


def _token(mapping_page: str) -> str:
    found = re.search(r'action="/import/([^"]+)"', mapping_page)
    assert found is not None, mapping_page
    return found.group(1)


def _started(browser: httpx.Client, token: str, form: dict[str, Any]) -> httpx.Response:
    """Send the mapping: the import starts, and its page is where the answer points."""
    started = browser.post(f"/import/{token}", data=form)
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"/import/{token}"
    return started


def _sample_mapping(csrf: str, mapping_page: str) -> dict[str, Any]:
    """The form that maps the stage names the page lists as MAPPING does (others left out)."""
    theirs = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.replace("&#34;", '"'))
    return {"csrf": csrf, "theirs": theirs, "ours": [MAPPING.get(n, "") for n in theirs]}


def _finished(browser: httpx.Client, token: str) -> httpx.Response:
    """The import's page once it no longer shows progress (as the page polls it)."""
    deadline = time.monotonic() + 120
    while True:
        page = browser.get(f"/import/{token}")
        if 'id="import-progress"' not in page.text:
            return page
        assert time.monotonic() < deadline, page.text
        time.sleep(0.05)


def _deals(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.deals)) or 0)


def test_an_admin_imports_a_salesforce_export_from_the_pages_and_sees_what_came_in(
    engine: Engine, uploads: Path
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "alice.morgan", UserRole.REP, T0, "east", "alice-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        assert 'href="/import"' in browser.get("/").text

        mapping_page = _upload(browser, csrf, SALESFORCE)
        assert mapping_page.status_code == 200
        shown = dict(
            re.findall(
                r'name="theirs" value="([^"]+)">.*?<option value="(\w+)" selected>',
                mapping_page.text.replace("&#34;", '"'),
                flags=re.S,
            )
        )
        assert set(shown) == set(MAPPING) | {"Mystery Stage"}
        assert shown["Proposal/Price Quote"] == "propose" and shown["Closed Won"] == "won"
        # Listed as our pipeline runs, whatever order the export has; what nothing fits last.
        order = list(shown)
        assert order[0] == "Prospecting" and order[-1] == "Mystery Stage"
        assert order.index("Needs Analysis") < order.index("Proposal/Price Quote")
        assert order.index("Proposal/Price Quote") < order.index("Closed Won")
        # Each name with its number of deals: the ones that matter most are seen first.
        counted = re.findall(
            r'name="(theirs|owner_theirs)" value="([^"]+)"></td>\s*<td class="num">(\d+)</td>',
            mapping_page.text,
        )
        deals = {(kind, name): int(n) for kind, name, n in counted}
        assert deals[("theirs", "Prospecting")] == 2 and deals[("theirs", "Mystery Stage")] == 1
        assert deals[("owner_theirs", "Alice Morgan")] == 4
        assert sum(n for (kind, _), n in deals.items() if kind == "theirs") == 13
        token = _token(mapping_page.text)
        assert (uploads / token / "Opportunity.csv").is_file()

        owners = dict(
            re.findall(
                r'name="owner_theirs" value="([^"]+)">.*?<option value="([^"]+)" selected>',
                mapping_page.text,
                flags=re.S,
            )
        )
        assert owners["Alice Morgan"] == "alice.morgan"  # rather than the user alice
        assert owners["Bruno Diaz"] == "bruno"
        assert owners["Chen Li"] == "Chen Li"  # nobody fits: kept
        _started(
            browser,
            token,
            {
                "csrf": csrf,
                "theirs": list(shown),
                "ours": [MAPPING.get(n, "") for n in shown],
                "owner_theirs": list(owners),
                "owner_ours": list(owners.values()),
            },
        )
        done = _finished(browser, token)
        assert done.status_code == 200
        page = done.text
        assert "Imported from salesforce: 10 new deals (0 were in already)" in page
        assert "owned by 2 names that are no dealgate user: Chen Li (3), Dana Kim" in page
        assert 'href="/owners"' in page  # where an admin gives them to users
        assert 'href="/users"' in page and "dealgate deal transfer" not in page  # not the CLI
        backed = re.search(r'id="backed-once-confirmed">([^<]*)', page)
        assert backed is not None and "Confirming what their notes say would back" in backed[1]
        assert '<th scope="col">Read from notes</th>' in page
        assert "<td>Opportunity.csv</td><td>12</td><td>Amount</td>" in page
        assert "<td>Task.csv</td><td>8</td><td>ActivityDate</td>" in page
        assert "<td>Opportunity.csv</td><td>14</td><td>StageName</td>" in page  # left out
        billing = re.search(
            r'>Billing platform</a></td><td>[^<]*</td><td class="num">([\d,]+)</td>'
            r"<td>\w+</td><td>(\w+)<",
            page,
        )
        assert billing is not None and billing.group(2) == "prospect"
        assert billing.group(1) == "210,000"  # the largest deal that only claims its stage first
        amounts = re.findall(
            r'<tr data-deal="\d+"><td><a [^>]*>[^<]*</a></td><td>[^<]*</td>'
            r'<td class="num">([\d,]*)</td>',
            page,
        )
        assert amounts and amounts == sorted(amounts, key=lambda a: -int(a.replace(",", "") or 0))
        assert not (uploads / token).exists()
        assert not list(uploads.glob("*/*.csv"))  # the export is not kept once imported

        with httpx.Client(base_url=api.base) as alice:
            log_in(alice, "alice.morgan", "alice-secret")
            board = alice.get("/").text
            assert "Fleet tracking rollout" in board and "Analytics suite" in board
            assert "Field service" not in board  # Bruno's

        # Sent again (back button, reload): shown what came in, nothing imported twice.
        _started(browser, token, {"csrf": csrf, "theirs": ["x"], "ours": ["prospect"]})
        assert "10 new deals" in _finished(browser, token).text
        assert _deals(engine) == 10

    # What the pages imported is what the import command imports: running it again adds nothing.
    before = snapshot(engine)
    rerun = salesforce(engine)
    assert rerun.deals_created == 0 and rerun.deals_already_imported == 10
    assert rerun.interactions == 0 and rerun.inferred_commitments == 0
    assert snapshot(engine) == before


def test_bad_uploads_are_refused_in_words_and_leave_nothing_behind(
    engine: Engine, tmp_path: Path, uploads: Path
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "dave", UserRole.ADMIN, T0, None, "dave-secret")
    add_user(engine, "erin", UserRole.REP, T0, "east", "erin-secret")
    add_user(engine, "fay", UserRole.MANAGER, T0, "east", "fay-secret")
    renamed = tmp_path / "opportunities.csv"
    renamed.write_bytes((DATA / "salesforce" / "Opportunity.csv").read_bytes())
    with running_api(engine) as api:
        for name in ("erin", "fay"):  # a rep and a manager: neither sees every owner's deals
            with httpx.Client(base_url=api.base) as refused_user:
                csrf = log_in(refused_user, name, f"{name}-secret")
                assert 'href="/import"' not in refused_user.get("/").text
                refused = refused_user.get("/import")
                assert refused.status_code == 403 and "<code>forbidden</code>" in refused.text
                assert "Only admins may import" in refused.text
                assert _upload(refused_user, csrf, SALESFORCE).status_code == 403

        with httpx.Client(base_url=api.base) as browser:
            csrf = log_in(browser, "carol", "carol-secret")
            cases = [
                (
                    _upload(browser, csrf, [renamed, DATA / "salesforce" / "Task.csv"]),
                    422,
                    "invalid_file",
                    "name each file after",
                ),
                (
                    _upload(browser, csrf, [DATA / "salesforce" / "Task.csv"]),
                    422,
                    "invalid_file",
                    "Opportunity.csv is missing",
                ),
                (
                    _upload(browser, csrf, [DATA / "hubspot-deals.csv", renamed], "hubspot"),
                    422,
                    "invalid_file",
                    "is one CSV file",
                ),
                (_upload(browser, csrf, [renamed], "hubspot"), 422, "invalid_file", "Deal Stage"),
                (_upload(browser, csrf, [renamed], "dynamics"), 422, "invalid_source", "hubspot"),
                (
                    browser.post("/import", data={"csrf": csrf, "source": "salesforce"}),
                    422,
                    None,
                    "files",
                ),
            ]
            for answer, status, code, words in cases:
                assert answer.status_code == status, (code, answer.text[:500])
                if code is not None:
                    assert f"<code>{code}</code>" in answer.text, answer.text
                assert words in answer.text

            mapping_page = _upload(browser, csrf, [DATA / "hubspot-deals.csv"], "hubspot")
            token = _token(mapping_page.text)
            names = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.text)
            wrong = browser.post(
                f"/import/{token}",
                data={"csrf": csrf, "theirs": names, "ours": ["nowhere"] * len(names)},
            )
            assert wrong.status_code == 422 and "<code>invalid_mapping</code>" in wrong.text
            assert "use one of: prospect, discover" in wrong.text
            assert f'action="/import/{token}"' in wrong.text  # the mapping, to correct
            owners = re.findall(r'name="owner_theirs" value="([^"]+)"', mapping_page.text)
            assert owners
            nobody = browser.post(  # a form made by hand: the page offers only users
                f"/import/{token}",
                data={
                    "csrf": csrf,
                    "theirs": names,
                    "ours": ["prospect"] * len(names),
                    "owner_theirs": owners,
                    "owner_ours": ["mallory"] * len(owners),
                },
            )
            assert nobody.status_code == 422 and "<code>unknown_user</code>" in nobody.text
            assert "who is no dealgate user" in nobody.text
            assert f'action="/import/{token}"' in nobody.text

        with httpx.Client(base_url=api.base) as other:
            other_csrf = log_in(other, "dave", "dave-secret")
            theirs = other.post(
                f"/import/{token}",
                data={"csrf": other_csrf, "theirs": names, "ours": ["prospect"] * len(names)},
            )
            assert theirs.status_code == 404 and "<code>upload_gone</code>" in theirs.text
            forged = other.post(
                "/import/..%2F..%2Fetc", data={"csrf": other_csrf, "theirs": [], "ours": []}
            )
            assert forged.status_code in (404, 422)
    assert _deals(engine) == 0
    assert set(uploads.iterdir()) == {uploads / token}  # the one waiting for its mapping


def test_an_opportunities_report_uploaded_alone_is_imported_whatever_its_file_is_called(
    engine: Engine, tmp_path: Path, uploads: Path
) -> None:
    """A manager's Salesforce report downloads as report1732791234567.csv, its columns
    labelled ("Opportunity Name", "Stage"): it is the opportunities, with no other object."""
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with (DATA / "salesforce" / "Opportunity.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    labels = readers.SALESFORCE_COLUMNS["Opportunity"]
    report = tmp_path / "report1732791234567.csv"
    with report.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[(labels.get(h) or (h,))[0] for h in rows[0]], *rows[1:]])
    assert "Opportunity Name" in report.read_text()
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, [report])
        assert mapping_page.status_code == 200, mapping_page.text
        assert 'value="Proposal/Price Quote"' in mapping_page.text
        token = _token(mapping_page.text)
        assert sorted(p.name for p in (uploads / token).glob("*.csv")) == ["Opportunity.csv"]
        _started(browser, token, _sample_mapping(csrf, mapping_page.text))
        done = _finished(browser, token)
    assert "10 new deals" in done.text
    assert _deals(engine) == 10


def test_the_import_page_takes_files_larger_than_any_other_request(engine: Engine) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    big = b"Record ID,Deal Name\n" + b"1,x\n" * 100_000  # ~400 KiB: over the API's 256 KiB
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        upload = browser.post(
            "/import",
            data={"csrf": csrf, "source": "hubspot"},
            files=[("files", ("deals.csv", big, "text/csv"))],
        )
        assert upload.status_code == 422 and "<code>invalid_file</code>" in upload.text
        too_big = browser.post("/deals", data={"csrf": csrf, "name": "x" * 400_000})
        assert too_big.status_code == 413
        assert too_big.json()["errors"][0]["code"] == "body_too_large"


def test_the_demo_has_an_admin_who_may_import(engine: Engine) -> None:
    demo_users(engine, T0)
    app = create_app(engine, clock=lambda: T0, webhooks=False)
    with serve(app) as base, httpx.Client(base_url=base) as browser:
        log_in(browser, DEMO_ADMIN, DEMO_PASSWORD)
        page = browser.get("/import")
        assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text


def test_a_mapping_sent_twice_at_once_imports_once(engine: Engine, uploads: Path) -> None:
    """A double click: one import, and both clicks shown its page (never a 500 from reading
    files the first is importing)."""
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, SALESFORCE)
        token = _token(mapping_page.text)
        names = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.text)
        form = {"csrf": csrf, "theirs": names, "ours": [MAPPING.get(n, "") for n in names]}
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(lambda _: browser.post(f"/import/{token}", data=form), range(2))
            )
        assert [a.status_code for a in answers] == [303, 303]
        assert {a.headers["location"] for a in answers} == {f"/import/{token}"}
        assert "10 new deals" in _finished(browser, token).text
    assert _deals(engine) == 10 and list(uploads.iterdir()) == [uploads / f"{token}.importing"]


def test_a_nul_character_in_a_stage_or_owner_cell_rejects_its_row_not_the_mapping(
    engine: Engine, tmp_path: Path
) -> None:
    """The mapping page sends every name back; one no page may send would have refused it."""
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    sample = (DATA / "hubspot-deals.csv").read_text(encoding="utf-8")
    first = sample.splitlines()[1]
    cells = first.split(",")
    cells[0], cells[2], cells[6] = "999001", "closed\x00won", "Eve\x00Mallory"
    export = tmp_path / "deals.csv"
    export.write_text(sample + ",".join(cells) + "\n", encoding="utf-8")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, [export], "hubspot")
        assert mapping_page.status_code == 200 and "\x00" not in mapping_page.text
        names = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.text)
        owners = re.findall(r'name="owner_theirs" value="([^"]+)"', mapping_page.text)
        stages = dict(
            re.findall(r'"([^"]+)" = "(\w+)"', (DATA / "hubspot-mapping.toml").read_text())
        )
        token = _token(mapping_page.text)
        form = {
            "csrf": csrf,
            "theirs": names,
            "ours": [stages.get(n, "") for n in names],
            "owner_theirs": owners,
            "owner_ours": owners,
        }
        _started(browser, token, form)
        done = _finished(browser, token)
        assert done.status_code == 200
        assert re.search(r"<td>deals.csv</td><td>\d+</td><td>Deal (Stage|owner)</td>", done.text)
        assert "NUL character" in done.text


def test_the_import_page_shows_each_steps_rows_while_the_import_runs_then_what_came_in(
    engine: Engine, tmp_path: Path, uploads: Path
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    add_user(engine, "dave", UserRole.ADMIN, T0, None, "dave-secret")
    export = tmp_path / "export"
    _big_export(export, 1500)  # 1,500 deals, 6,000 stage changes, 15,000 tasks
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, sorted(export.iterdir()))
        token = _token(mapping_page.text)
        names = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.text)
        _started(
            browser, token, {"csrf": csrf, "theirs": names, "ours": [MAPPING[n] for n in names]}
        )
        seen: list[str] = []
        while 'id="import-progress"' in (page := browser.get(f"/import/{token}")).text:
            assert page.status_code == 200
            seen.append(page.text)
            time.sleep(0.02)
        assert seen, "the import ended before its page was asked"
        assert "Importing from salesforce" in seen[0] and 'hx-trigger="every 1s"' in seen[0]
        rows = [
            (phase, int(count.replace(",", "")))
            for text in seen
            for phase, count in re.findall(
                r'data-phase="(\w+)"><td>[^<]+</td><td>([\d,]+)</td>', text
            )
        ]
        assert {"deals", "activities"} <= {phase for phase, _ in rows}
        assert all(0 < n <= 16_500 for _, n in rows)
        assert "1500 new deals" in page.text
        # The page's own polling is told to load the whole page once the import is over.
        polled = browser.get(f"/import/{token}", headers={"HX-Request": "true"})
        assert polled.status_code == 204 and polled.headers["HX-Redirect"] == f"/import/{token}"

        # Left and come back: the import page lists the imports its admin started.
        listed = browser.get("/import").text
        assert f'<a href="/import/{token}">' in listed and "1500 new deals" in listed

        with httpx.Client(base_url=api.base) as other:
            log_in(other, "dave", "dave-secret")
            theirs = other.get(f"/import/{token}")
            assert theirs.status_code == 404 and "<code>upload_gone</code>" in theirs.text
            assert token not in other.get("/import").text
    assert _deals(engine) == 1500


def test_an_import_whose_server_stopped_midway_says_so_and_finishes_in_one_click(
    engine: Engine, uploads: Path
) -> None:
    """What a server killed while importing leaves: a claimed upload whose progress is old."""
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        token = _token(_upload(browser, csrf, SALESFORCE).text)
        claimed = uploads / f"{token}.importing"
        (uploads / token).rename(claimed)
        progress = {
            "phases": [{"key": "deals", "rows": 5000, "seconds": 2.0}],
            "expected": {"deals": 12},
            "seconds": 2.0,
            "written": time.time() - import_jobs.STALE_SECONDS - 1,
        }
        (claimed / import_jobs.PROGRESS).write_text(json.dumps(progress))
        page = browser.get(f"/import/{token}")
        assert page.status_code == 200
        assert "The import from salesforce stopped" in page.text
        assert re.search(
            rf'href="/import/{token}">[^<]*</a></td><td>salesforce</td>\s*<td>stopped',
            browser.get("/import").text,
        )
        assert "upload the same export again" in page.text
        assert "hx-trigger" not in page.text  # nothing to wait for
        assert "Finish the import" not in page.text  # no mapping kept: an older import
        progress["written"] = time.time()
        (claimed / import_jobs.PROGRESS).write_text(json.dumps(progress))
        assert "Importing from salesforce" in browser.get(f"/import/{token}").text
        finish = f"/import/{token}/finish"
        assert browser.post(finish, data={"csrf": csrf}).status_code == 303  # running: no
        assert not list(claimed.glob(".finishing-*"))

        # Stopped after its mapping was kept, as every import started now keeps it.
        progress["written"] = time.time() - import_jobs.STALE_SECONDS - 1
        (claimed / import_jobs.PROGRESS).write_text(json.dumps(progress))
        kept = {"stages": MAPPING, "owners": {"Alice Morgan": "mallory"}}
        (claimed / import_jobs.MAPPING).write_text(json.dumps(kept))
        assert "Finish the import" in browser.get(f"/import/{token}").text
        refused = browser.post(finish, data={"csrf": csrf})  # mallory is no user (any more)
        assert refused.status_code == 422 and "<code>unknown_user</code>" in refused.text
        assert _deals(engine) == 0

        kept["owners"] = {}
        (claimed / import_jobs.MAPPING).write_text(json.dumps(kept))
        with ThreadPoolExecutor(2) as pool:  # two clicks at once finish it once
            answers = list(pool.map(lambda _: browser.post(finish, data={"csrf": csrf}), [1, 2]))
        assert [a.status_code for a in answers] == [303, 303]
        assert len(list(claimed.glob(".finishing-*"))) == 1
        done = _finished(browser, token)
        assert "Imported from salesforce: 10 new deals (0 were in already)" in done.text
        assert _deals(engine) == 10
        assert browser.post(finish, data={"csrf": csrf}).headers["location"] == f"/import/{token}"
        assert _deals(engine) == 10


LET_ACTIVITIES = {
    "sqlite": ["DROP TRIGGER IF EXISTS refuse_activities"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS refuse_activities ON interactions",
        "DROP FUNCTION IF EXISTS refuse_activities()",
    ],
}
REFUSE_ACTIVITIES = {
    "sqlite": [
        "CREATE TRIGGER refuse_activities BEFORE INSERT ON interactions "
        "BEGIN SELECT RAISE(ABORT, 'activities refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_activities() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'activities refused'; END $$",
        "CREATE TRIGGER refuse_activities BEFORE INSERT ON interactions "
        "FOR EACH ROW EXECUTE FUNCTION refuse_activities()",
    ],
}


def test_an_import_that_fails_midway_says_so_keeps_what_came_in_and_finishes_when_run_again(
    engine: Engine, uploads: Path
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with engine.begin() as conn:
        for statement in REFUSE_ACTIVITIES[engine.dialect.name]:
            conn.execute(text(statement))
    try:
        _fails_then_finishes(engine, uploads)
    finally:  # whatever happened, the next tests' database refuses nothing
        with engine.begin() as conn:
            for statement in LET_ACTIVITIES[engine.dialect.name]:
                conn.execute(text(statement))


def _fails_then_finishes(engine: Engine, uploads: Path) -> None:
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")

        def import_all() -> httpx.Response:
            mapping_page = _upload(browser, csrf, SALESFORCE)
            token = _token(mapping_page.text)
            names = re.findall(r'name="theirs" value="([^"]+)"', mapping_page.text)
            form = {"csrf": csrf, "theirs": names, "ours": [MAPPING.get(n, "") for n in names]}
            _started(browser, token, form)
            return _finished(browser, token)

        failed = import_all()
        assert failed.status_code == 500 and "<code>internal_error</code>" in failed.text
        assert "importing the same export again adds only the rest" in failed.text
        assert not list(uploads.glob("*/*.csv"))
        assert _deals(engine) == 10  # the deals' transactions came before the activities'

        with engine.begin() as conn:
            for statement in LET_ACTIVITIES[engine.dialect.name]:
                conn.execute(text(statement))
        again = import_all()
        assert again.status_code == 200
        assert "0 new deals (10 were in already)" in again.text
    before = snapshot(engine)
    assert salesforce(engine).interactions == 0  # the page's second run brought in the rest
    assert snapshot(engine) == before


def _data_export(path: Path, extra: dict[str, bytes] | None = None, sample: bool = True) -> Path:
    """A ZIP as Salesforce's Data Export makes it: every object's CSV, ours among them."""
    with zipfile.ZipFile(path, "w") as zipped:
        for csv_file in SALESFORCE if sample else []:
            zipped.write(csv_file, csv_file.name)
        for name, content in (extra or {}).items():
            zipped.writestr(name, content)
    return path


def test_a_salesforce_data_export_zip_is_uploaded_whole_and_its_objects_come_in(
    engine: Engine, tmp_path: Path, uploads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    export = _data_export(
        tmp_path / "WE_00D5g000001_1.ZIP",
        {"Account.csv": b"Id,Name\n001,Acme\n", "../Lead.csv": b"Id\n00Q\n"},
    )
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, [export])
        assert mapping_page.status_code == 200, mapping_page.text
        token = _token(mapping_page.text)
        kept = sorted(p.name for p in (uploads / token).glob("*.csv"))
        assert kept == sorted(p.name for p in SALESFORCE)  # the other objects left out
        _started(browser, token, _sample_mapping(csrf, mapping_page.text))
        assert "10 new deals" in _finished(browser, token).text
        with engine.connect() as conn:  # Task.csv and Event.csv came in with the deals
            assert conn.scalar(select(func.count()).select_from(t.interactions)) == 7

        not_zip = tmp_path / "export.zip"
        not_zip.write_bytes(b"Id,Name\n")
        without = _data_export(tmp_path / "accounts.zip", {"Account.csv": b"Id\n"}, sample=False)
        monkeypatch.setattr(import_pages, "MAX_UNPACKED", 1000)
        for sent, status, code, said in (
            (not_zip, 422, "invalid_file", "is not a ZIP archive"),
            (without, 422, "invalid_file", "holds no Opportunity.csv"),
            (export, 413, "too_large", "unpacks to"),
        ):
            refused = _upload(browser, csrf, [sent])
            assert refused.status_code == status and f"<code>{code}</code>" in refused.text
            assert said in refused.text
    assert sorted(p.name for p in uploads.iterdir()) == [f"{token}.importing"]


def test_a_salesforce_report_saved_as_a_workbook_is_uploaded_and_comes_in(
    engine: Engine, tmp_path: Path, uploads: Path
) -> None:
    """Salesforce's "Formatted Report" export is a workbook with the report's title and
    filters above its columns and a footer below."""
    add_user(engine, "carol", UserRole.ADMIN, T0, None, "carol-secret")
    with (DATA / "salesforce" / "Opportunity.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    labels = readers.SALESFORCE_COLUMNS["Opportunity"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Opportunities by stage"])
    sheet.append(["Filtered By: none"])
    sheet.append([])
    sheet.append([(labels.get(h) or (h,))[0] for h in rows[0]])
    for row in rows[1:]:
        sheet.append([int(c) if c.isdigit() else c for c in row])
    sheet.append([])
    sheet.append(["Confidential Information - Do Not Distribute"])
    book.save(tmp_path / "report1732791234567.xlsx")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as browser:
        csrf = log_in(browser, "carol", "carol-secret")
        mapping_page = _upload(browser, csrf, [tmp_path / "report1732791234567.xlsx"])
        assert mapping_page.status_code == 200, mapping_page.text
        token = _token(mapping_page.text)
        _started(browser, token, _sample_mapping(csrf, mapping_page.text))
        done = _finished(browser, token)
    assert "10 new deals" in done.text
    assert "Rows not imported (3)" in done.text  # the sample's, and not the footer
    assert _deals(engine) == 10
