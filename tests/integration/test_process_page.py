"""The process page over real HTTP, on both databases: an admin edits the process file and
loads it, naming where the open deals of a stage it leaves out go; nobody else may."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy import Engine

from dealgate.domain.access import UserRole
from dealgate.services.demo import fill_demo
from dealgate.services.review import review
from dealgate.services.setup import active_source
from dealgate.services.users import add_user
from tests.api_support import running_api
from tests.builders import T0
from tests.integration.test_process_change import NOW, process_without, standing_in
from tests.pages_support import log_in


def _textarea(page: str) -> str:
    found = re.search(r'<textarea id="source"[^>]*>(.*?)</textarea>', page, re.S)
    assert found is not None
    return html.unescape(found.group(1))


def _demo_with_an_admin(engine: Engine) -> dict[int, datetime]:
    """The demo pipeline and ada, an admin; the deals standing in `resolve`."""
    fill_demo(engine, NOW)
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    return standing_in(engine, "resolve")


def test_an_admin_leaves_out_a_stage_and_names_where_its_deals_go(
    engine: Engine, tmp_path: Path
) -> None:
    in_resolve = _demo_with_an_admin(engine)
    edited = process_without(tmp_path, "resolve").read_text(encoding="utf-8")
    with running_api(engine, NOW) as api, httpx.Client(base_url=api.base) as admin:
        csrf = log_in(admin, "ada", "ada-secret")
        page = admin.get("/process").text
        assert _textarea(page) == active_source(engine)  # the file as loaded, to edit

        refused = admin.post("/process", data={"csrf": csrf, "source": edited})
        assert refused.status_code == 422
        assert "stage_in_use" in refused.text and "Not loaded:" in refused.text
        assert _textarea(refused.text) == edited  # what was typed is kept
        assert 'name="move_from" value="resolve"' in refused.text
        choices = re.findall(r'<option value="(\w+)"', refused.text)
        assert "decide" in choices and "resolve" not in choices
        assert standing_in(engine, "resolve") == in_resolve  # nothing changed

        loaded = admin.post(
            "/process",
            data={"csrf": csrf, "source": edited, "move_from": "resolve", "move_to": "decide"},
            follow_redirects=True,
        )
        assert loaded.status_code == 200  # followed the redirect
        said = f"Stage &#39;resolve&#39; left out: {len(in_resolve)} open deal(s) moved"
        assert said in loaded.text
        assert "Resolve <code>resolve</code>" not in loaded.text  # no longer a stage
        loads = loaded.text[loaded.text.index('id="loads"') :]
        body = loads[loads.index("<tbody>") :]
        newest = body[: body.index("</tr>")]
        assert "<td>ada</td>" in newest and "<code>resolve</code> → <code>decide</code>" in newest
    assert standing_in(engine, "resolve") == {}
    assert set(in_resolve) <= set(standing_in(engine, "decide"))
    assert active_source(engine) == edited


def test_a_process_file_with_a_mistake_is_refused_on_the_page_and_kept_to_fix(
    engine: Engine,
) -> None:
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    before = active_source(engine)
    broken = before.replace('rung = "time"', 'rung = "someday"', 1)
    assert broken != before
    with running_api(engine) as api, httpx.Client(base_url=api.base) as admin:
        csrf = log_in(admin, "ada", "ada-secret")
        refused = admin.post("/process", data={"csrf": csrf, "source": broken})
        assert refused.status_code == 422 and "invalid_process" in refused.text
        assert _textarea(refused.text) == broken
        empty = admin.post("/process", data={"csrf": csrf, "source": ""})
        assert empty.status_code == 422
        stale = admin.post("/process", data={"csrf": "stale", "source": before})
        assert stale.status_code == 403
        same = admin.post("/process", data={"csrf": csrf, "source": before}, follow_redirects=True)
        assert "already the active one: nothing changed" in same.text
    assert active_source(engine) == before


def test_only_an_admin_may_load_a_process(engine: Engine, tmp_path: Path) -> None:
    add_user(engine, "fay", UserRole.MANAGER, T0, "east", "fay-secret")
    before = active_source(engine)
    edited = process_without(tmp_path, "resolve").read_text(encoding="utf-8")
    with running_api(engine) as api, httpx.Client(base_url=api.base) as manager:
        csrf = log_in(manager, "fay", "fay-secret")
        page = manager.get("/process")
        assert page.status_code == 200 and "<textarea" not in page.text  # reads, cannot edit
        assert 'href="/process.toml"' in page.text
        file = manager.get("/process.toml")
        assert file.text == before and "attachment" in file.headers["content-disposition"]
        anonymous = httpx.get(f"{api.base}/process.toml", follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
        refused = manager.post("/process", data={"csrf": csrf, "source": edited})
        assert refused.status_code == 403 and "Only admins may load a process" in refused.text
    assert active_source(engine) == before


def test_an_admin_checks_an_edited_process_before_loading_it(
    engine: Engine, tmp_path: Path
) -> None:
    in_resolve = _demo_with_an_admin(engine)
    before = active_source(engine)
    # `resolve` left out, and `decide` given one forced commitment: the audit warns of it.
    edited = process_without(tmp_path, "resolve").read_text(encoding="utf-8")
    edited = edited.replace(
        'exit = ["contract_signed", "purchase_order_issued"]', 'exit = ["contract_signed"]'
    )
    assert 'exit = ["contract_signed"]' in edited
    with running_api(engine, NOW) as api, httpx.Client(base_url=api.base) as admin:
        csrf = log_in(admin, "ada", "ada-secret")
        form = {"csrf": csrf, "source": edited, "check": "true"}
        stranded = admin.post("/process", data=form)
        assert stranded.status_code == 422 and "stage_in_use" in stranded.text
        checked = admin.post("/process", data={**form, "move_from": "resolve", "move_to": "decide"})
        assert checked.status_code == 200
        said = checked.text[checked.text.index('id="checked"') :]
        said = said[: said.index("</div>")]
        assert "Checked, not loaded" in said and "<code>single_kind_menu</code>" in said
        assert f"{len(in_resolve)} open deal(s) would go to <code>decide</code>" in said
        assert _textarea(checked.text) == edited
        # The move named stays chosen in the form, to load what was checked.
        assert re.search(r'<option value="decide"\s+selected>', checked.text)
        assert active_source(engine) == before
        assert standing_in(engine, "resolve") == in_resolve
        # The flags it said would change are those the load then changes, and only those.
        told = {
            code: (int(was), int(would))
            for code, was, would in re.findall(
                r"flagged <code>(\w+)</code>: (\d+) now, (\d+) with this process", said
            )
        }
        assert "unevidenced_stage" in told
        flags_before = review(engine, NOW).flag_counts
        admin.post(
            "/process", data={**form, "check": "", "move_from": "resolve", "move_to": "decide"}
        )
        flags_after = review(engine, NOW).flag_counts
    assert active_source(engine) == edited
    assert {c: (flags_before[c], flags_after[c]) for c in told} == told
    assert all(flags_before[c] == flags_after[c] for c in flags_before if c not in told)


def test_what_a_load_did_is_told_however_many_stages_it_leaves_out(
    engine: Engine, tmp_path: Path
) -> None:
    add_user(engine, "ada", UserRole.ADMIN, T0, None, "ada-secret")
    left_out = ("discover", "change", "design", "propose", "resolve")
    long_name = "Enterprise new business, North America and EMEA, from first call to signature"
    edited = (
        process_without(tmp_path, *left_out)
        .read_text(encoding="utf-8")
        .replace('name = "Default"', f'name = "{long_name}"', 1)
        .replace('exit = ["contract_signed", "purchase_order_issued"]', "exit = []")
        .replace(
            'exit = ["first_meeting_accepted", "intro_call_booked", "demo_accepted"]', "exit = []"
        )
    )
    assert "exit = []" in edited  # a warning more to tell
    with running_api(engine) as api, httpx.Client(base_url=api.base) as admin:
        csrf = log_in(admin, "ada", "ada-secret")
        done = admin.post("/process", data={"csrf": csrf, "source": edited}, follow_redirects=True)
    assert done.status_code == 200
    told = html.unescape(done.text)
    assert len(told[told.index("Process '") : told.index("</p>", told.index("Process '"))]) > 500
    for stage in left_out:
        assert f"Stage '{stage}' left out; no open deal stood in it." in told
    assert "Stage 'decide' has an empty exit menu" in told
