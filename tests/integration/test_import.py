"""Importing Salesforce, HubSpot, Pipedrive and generic CSV exports, on both databases."""

from __future__ import annotations

import csv
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from dealgate.cli import app
from dealgate.domain.access import UserRole
from dealgate.domain.errors import DealgateError
from dealgate.domain.interaction import InteractionKind
from dealgate.io import readers
from dealgate.processes import default_process
from dealgate.services.deals import add_interaction, confirm_commitment
from dealgate.services.exporting import export_tables
from dealgate.services.importing import COMMIT_ROWS, ImportSummary, import_review, run_import
from dealgate.services.setup import init_database
from dealgate.services.users import add_user
from dealgate.store import bulk
from dealgate.store import tables as t
from dealgate.store.db import make_engine
from dealgate.store.deal_document import forget_documents
from dealgate.store.unit_of_work import UnitOfWork
from tests.builders import PROCESS, T0

DATA = Path(__file__).parents[1] / "data"
KEYS = ["prospect", "discover", "change", "design", "propose", "resolve", "decide", "won", "lost"]


def salesforce(
    engine: Engine,
    commit_every: int = COMMIT_ROWS,
    batch: int = 2000,
    text_workers: int | None = None,
) -> ImportSummary:
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    return run_import(
        engine,
        "salesforce",
        readers.salesforce(DATA / "salesforce"),
        mapping,
        now=T0,
        as_of=T0.date(),
        commit_every=commit_every,
        batch=batch,
        text_workers=text_workers,
    )


def _document(text: str | None) -> Any:
    """A deal's children document as what it holds: its JSON lists come in the order the
    rows were found, and carry our row ids."""
    if text is None:
        return None
    lists = json.loads(text)
    return {
        name: sorted(
            (
                json.dumps({k: v for k, v in row.items() if k != "deal_id"}, sort_keys=True)
                for row in rows or ()
            ),
        )
        for name, rows in sorted(lists.items())
    }


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything an import wrote, keyed by the source's ids rather than our row ids."""
    with engine.connect() as conn:
        external: dict[int, str] = {
            r.id: r.external_id for r in conn.execute(select(t.deals.c.id, t.deals.c.external_id))
        }
        out: dict[str, Any] = {}
        for table in (
            t.deals,
            t.stakeholders,
            t.interactions,
            t.commitments,
            t.events,
            t.import_keys,
        ):
            rows = []
            for row in conn.execute(select(table)):
                item = dict(row._mapping)
                item.pop("id", None)
                if "deal_id" in item:
                    item["deal_id"] = external.get(item["deal_id"])
                if table is t.deals:
                    item["children"] = _document(item["children"])
                rows.append(tuple(sorted((k, str(v)) for k, v in item.items())))
            out[table.name] = sorted(rows)
        return out


def test_a_salesforce_export_comes_in_with_its_history_committee_and_activities(
    engine: Engine,
) -> None:
    summary = salesforce(engine)
    assert summary.deals_created == 10
    assert summary.stakeholders == 5
    assert summary.interactions == 7  # the account task and the undated one are not deal ones
    # Next steps and activity notes read for commitments: 8 of the buyer, 2 our own promises;
    # "Sent the pricing deck" and "They'll think about it" give none.
    assert summary.inferred_commitments == 10
    rejected = {(e.file, e.line, e.column) for e in summary.rejected}
    assert rejected == {
        ("Opportunity.csv", 12, "Amount"),
        ("Opportunity.csv", 13, "CloseDate"),
        ("Opportunity.csv", 14, "StageName"),
        ("OpportunityContactRole.csv", 7, "ContactId"),
        ("OpportunityHistory.csv", 16, "OpportunityId"),
        ("Task.csv", 8, "ActivityDate"),
    }
    review = summary.review
    assert review["per_stage"] == {
        "prospect": 1,
        "discover": 1,
        "change": 1,
        "design": 2,
        "propose": 2,
        "resolve": 1,
        "won": 1,
        "lost": 1,
    }
    assert review["evidence"]["confirmed"] == 0 and review["evidence"]["inferred"] >= 3
    claimed = {d["name"]: d["evidenced_stage"] for d in review["unevidenced_stage"]}
    assert claimed["Billing platform"] == "prospect"
    with UnitOfWork(engine, write=False) as uow:
        deal = uow.deals.find_by_external_id("salesforce:0061x00001AAA04")
        assert deal is not None
        assert [(m.from_stage, m.to_stage) for m in deal.history] == [
            (None, "prospect"),
            ("prospect", "propose"),
            ("propose", "resolve"),
        ]
        assert deal.stakeholders[0].role.value == "procurement"
        inferred = [c for c in deal.commitments if c.status.value == "inferred"]
        assert {c.kind for c in inferred} >= {"legal_review_started"}
        assert not deal.can_advance(uow.processes.active())  # inferred opens no gate


def test_re_running_an_import_changes_nothing(engine: Engine) -> None:
    salesforce(engine)
    before = snapshot(engine)
    again = salesforce(engine)
    assert again.deals_created == 0 and again.deals_already_imported == 10
    assert again.inferred_commitments == 0 and again.interactions == 0
    assert snapshot(engine) == before


def test_an_activity_listed_twice_in_the_export_comes_in_once(
    engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "salesforce"
    shutil.copytree(DATA / "salesforce", export)
    tasks = (export / "Task.csv").read_text().splitlines(keepends=True)
    (export / "Task.csv").write_text("".join([*tasks, tasks[1]]))  # the first task again
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    summary = run_import(
        engine, "salesforce", readers.salesforce(export), mapping, now=T0, as_of=T0.date()
    )
    with engine.connect() as conn:
        keys = [r[0] for r in conn.execute(select(t.interactions.c.source_key))]
    assert len(keys) == len(set(keys)) == summary.interactions > 0
    assert keys.count("salesforce:task:" + tasks[1].split(",")[0]) == 1


@pytest.mark.parametrize(
    ("reader", "file", "mapping", "source", "created", "bad_line"),
    [
        (readers.hubspot, "hubspot-deals.csv", "hubspot-mapping.toml", "hubspot", 6, 8),
        (readers.pipedrive, "pipedrive-deals.csv", "pipedrive-mapping.toml", "pipedrive", 5, 7),
    ],
)
def test_hubspot_and_pipedrive_exports(
    engine: Engine,
    reader: Any,
    file: str,
    mapping: str,
    source: str,
    created: int,
    bad_line: int,
) -> None:
    stages = readers.load_stage_mapping(DATA / mapping, KEYS)
    summary = run_import(engine, source, reader(DATA / file), stages, now=T0, as_of=T0.date())
    assert summary.deals_created == created
    assert [(e.file, e.line) for e in summary.rejected] == [(file, bad_line)]
    assert summary.stakeholders >= 2
    with engine.connect() as conn:
        stages_seen = set(conn.execute(select(t.deals.c.stage)).scalars())
    assert {"won"} <= stages_seen


def _but_owners(warnings: list[str]) -> list[str]:
    """The warnings other than the one on owners no user is called (these tests add none)."""
    return [w for w in warnings if "no dealgate user" not in w]


def test_an_import_says_whose_deals_no_rep_or_manager_sees_and_how_to_give_them(
    engine: Engine,
) -> None:
    """Deals owned by a name no user has are seen by admins alone: nobody reviews them."""
    add_user(engine, "alice", UserRole.REP, T0, "east")
    stages = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    data = readers.salesforce(DATA / "salesforce")
    summary = run_import(
        engine, "salesforce", data, stages, now=T0, owners={"Alice Morgan": "alice"}
    )
    with engine.connect() as conn:
        owned = Counter(conn.scalars(select(t.deals.c.owner)))
    assert summary.owners_without_user == {n: owned[n] for n in owned if n != "alice"}
    assert list(summary.owners_without_user.values()) == sorted(
        summary.owners_without_user.values(), reverse=True
    )  # most deals first
    (warning,) = summary.warnings
    assert f"{sum(summary.owners_without_user.values())} imported deals" in warning
    assert "dealgate deal transfer --from NAME --to USER" in warning
    assert summary.to_dict()["owners_without_user"] == summary.owners_without_user
    again = run_import(engine, "salesforce", data, stages, now=T0)
    assert again.owners_without_user == summary.owners_without_user  # still nobody's
    assert again.warnings == [warning]


def test_an_export_in_one_currency_comes_in_without_a_warning(engine: Engine) -> None:
    stages = readers.load_stage_mapping(DATA / "pipedrive-mapping.toml", KEYS)
    data = readers.pipedrive(DATA / "pipedrive-deals.csv")
    summary = run_import(engine, "pipedrive", data, stages, now=T0, as_of=T0.date())
    assert summary.currencies == {"EUR": 5} and _but_owners(summary.warnings) == []


def test_an_export_saved_by_excel_on_windows_comes_in_with_its_accents_and_a_note(
    engine: Engine, tmp_path: Path
) -> None:
    """Excel's 'CSV (Comma delimited)' is Windows-1252: it failed as not UTF-8 before."""
    export = tmp_path / "deals.csv"
    utf8 = (DATA / "pipedrive-deals.csv").read_text(encoding="utf-8")
    export.write_bytes(utf8.replace("Acme", "Café Müller €").encode("cp1252"))
    stages = readers.load_stage_mapping(DATA / "pipedrive-mapping.toml", KEYS)
    summary = run_import(
        engine, "pipedrive", readers.pipedrive(export), stages, now=T0, as_of=T0.date()
    )
    assert summary.deals_created == 5  # the sample's row without a title is refused, as ever
    assert [(e.line, e.column) for e in summary.rejected] == [(7, "Title")]
    (note,) = _but_owners(summary.warnings)
    assert note.startswith("deals.csv: not UTF-8")
    with engine.connect() as conn:
        accounts = set(conn.scalars(select(t.deals.c.account)))
    assert "Café Müller € Logistics" in accounts
    utf8_copy = tmp_path / "utf8.csv"
    utf8_copy.write_text(utf8, encoding="utf-8")
    assert readers.read_as_windows(readers.pipedrive(utf8_copy)) == []


def test_amounts_in_several_currencies_come_in_as_they_are_with_a_warning_naming_them(
    engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "deals.csv"
    header = (DATA / "pipedrive-deals.csv").read_text(encoding="utf-8").splitlines()[0]
    export.write_text(
        header
        + "\n1,A,1000,EUR,Lead In,Sales,Alice Morgan,open,2026-10-02,,,Acme,"
        + "\n2,B,2000,usd,Lead In,Sales,Alice Morgan,open,2026-10-02,,,Acme,"
        + "\n3,C,3000,EUR,Lead In,Sales,Alice Morgan,open,2026-10-02,,,Acme,\n",
        encoding="utf-8",
    )
    stages = readers.load_stage_mapping(DATA / "pipedrive-mapping.toml", KEYS)
    summary = run_import(
        engine, "pipedrive", readers.pipedrive(export), stages, now=T0, as_of=T0.date()
    )
    assert summary.deals_created == 3 and summary.rejected == []
    assert summary.to_dict()["currencies"] == {"EUR": 2, "USD": 1}
    (warning,) = _but_owners(summary.to_dict()["warnings"])
    assert "2 currencies (EUR 2, USD 1)" in warning and "unconverted" in warning
    with engine.connect() as conn:
        amounts = sorted(conn.execute(select(t.deals.c.amount)).scalars())
    assert amounts == [1000, 2000, 3000]  # as the export has them
    again = run_import(
        engine, "pipedrive", readers.pipedrive(export), stages, now=T0, as_of=T0.date()
    )
    assert again.deals_created == 0 and _but_owners(again.warnings) == []  # nothing new came in


def test_a_salesforce_report_naming_the_currency_in_each_amount_warns_of_several(
    engine: Engine, tmp_path: Path
) -> None:
    """A multi-currency org's report writes "USD 12,000.00" in the Amount cell, with no
    CurrencyIsoCode column: the amounts come in as numbers, and the warning still names
    the currencies."""
    export = tmp_path / "salesforce"
    export.mkdir()
    header = "Id,Name,Account.Name,StageName,Amount,Owner.Name,CreatedDate"
    export.joinpath("Opportunity.csv").write_text(
        header
        + '\n006A,A,Acme,Prospecting,"USD 12,000.00",Alice Morgan,2026-10-02'
        + '\n006B,B,Acme,Prospecting,"EUR 8.500,50",Alice Morgan,2026-10-02'
        + '\n006C,C,Acme,Prospecting,"USD 1,000",Alice Morgan,2026-10-02\n',
        encoding="utf-8",
    )
    stages = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    summary = run_import(engine, "salesforce", readers.salesforce(export), stages, now=T0)
    assert summary.deals_created == 3 and summary.rejected == []
    assert summary.to_dict()["currencies"] == {"USD": 2, "EUR": 1}
    (warning,) = _but_owners(summary.to_dict()["warnings"])
    assert "2 currencies (USD 2, EUR 1)" in warning
    with engine.connect() as conn:
        amounts = sorted(conn.execute(select(t.deals.c.amount)).scalars())
    assert amounts == [Decimal("1000"), Decimal("8500.50"), Decimal("12000")]


def test_a_generic_csv_with_a_column_mapping(engine: Engine) -> None:
    columns = readers.load_columns(DATA / "generic-columns.toml")
    stages = readers.load_stage_mapping(DATA / "generic-mapping.toml", KEYS)
    summary = run_import(
        engine,
        columns["source"],
        readers.single_file(DATA / "generic-deals.csv", columns),
        stages,
        now=T0,
        as_of=T0.date(),
    )
    assert summary.deals_created == 3 and summary.rejected == []
    assert summary.inferred_commitments == 2  # Ken's data (buyer) and our proposal (seller)
    with UnitOfWork(engine, write=False) as uow:
        deal = uow.deals.find_by_external_id("legacycrm:G-1")
        assert (
            deal is not None
            and deal.owner == "alice"
            and deal.stakeholders[0].name == ("Ken Okafor")
        )


def test_a_mapping_to_an_unknown_stage_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text('[stages]\n"Prospecting" = "qualify"\n')
    with pytest.raises(DealgateError) as caught:
        readers.load_stage_mapping(bad, KEYS)
    assert caught.value.codes == ["invalid_mapping"]
    assert "qualify" in caught.value.details[0].message


def test_a_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Opportunity.csv").write_text("Id,Name\n1,A\n")
    with pytest.raises(DealgateError) as caught:
        readers.salesforce(tmp_path)
    assert caught.value.codes == ["invalid_file"]
    assert "StageName" in caught.value.details[0].message


def test_suggested_mapping_names_every_stage(tmp_path: Path) -> None:
    text = readers.suggest_mapping(
        readers.salesforce(DATA / "salesforce").stage_names, default_process()
    )
    assert '"Closed Won" = "won"' in text and '"Id. Decision Makers" = "design"' in text
    (tmp_path / "m.toml").write_text(text)
    assert len(readers.load_stage_mapping(tmp_path / "m.toml", KEYS)) == 11


def _big_export(folder: Path, deals: int) -> None:
    """The benchmark's seeded export, smaller (`bench/import.py` is a keyword's name)."""
    folder.mkdir()
    importlib.import_module("bench.import").write_export(folder, deals, seed=11)


def _written(engine: Engine, *tables: Any) -> int:
    """How far an import has got: the activity rows and source keys committed so far."""
    with engine.connect() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (tables or (t.interactions, t.import_keys))
        )


def test_an_import_killed_midway_and_run_again_equals_one_clean_run(
    engine: Engine, backend: str, tmp_path: Path, pg_url_or_none: str | None
) -> None:
    export = tmp_path / "export"
    _big_export(export, 1500)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "DEALGATE_NOW": "2026-11-27T12:00:00+00:00"}
    command = [
        sys.executable,
        "-m",
        "dealgate.cli",
        "--db",
        url,
        "import",
        "salesforce",
        str(export),
        "--mapping",
        str(DATA / "salesforce-mapping.toml"),
        "--json",
        # Small transactions, so the kill lands among the activities' commits.
        "--commit-every",
        "2000",
    ]
    victim = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _written(engine, t.interactions) > 0:
            break
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    written_at_kill = _written(engine)
    activities_at_kill = _written(engine, t.interactions)
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    killed_then_rerun = snapshot(engine)
    assert 0 < written_at_kill < _written(engine)  # it stopped midway,
    assert 0 < activities_at_kill < _written(engine, t.interactions)  # among the activities

    clean_url = _fresh_database(backend, tmp_path, pg_url_or_none)
    clean = subprocess.run(
        [*command[:4], clean_url, *command[5:]],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert clean.returncode == 0, clean.stderr

    clean_engine = make_engine(clean_url)
    try:
        assert snapshot(clean_engine) == killed_then_rerun
    finally:
        clean_engine.dispose()


def _fresh_database(backend: str, tmp_path: Path, pg_url: str | None) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'clean.db'}"
    else:
        assert pg_url is not None
        url = pg_url
    engine = make_engine(url)
    init_database(engine, T0)
    engine.dispose()
    return url


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite runs one writer at a time
def test_a_call_logged_on_a_deal_while_its_activities_come_in_keeps_its_number(
    engine: Engine,
) -> None:
    """The import numbers a deal's activities from what it counted; a user who logs a call
    on that deal meanwhile takes the next number first. Both stay, the import ends."""
    logged: list[int] = []

    def user_logs_a_call(phase: str, _rows: int) -> None:
        if phase != "activities" or logged:
            return
        with UnitOfWork(engine, write=False) as uow:
            deal = uow.deals.find_by_external_id("salesforce:0061x00001AAA09")
        assert deal is not None and deal.id is not None and not deal.interactions
        logged.append(deal.id)
        add_interaction(
            engine,
            deal.id,
            now=T0,
            actor="maria",
            kind=InteractionKind.CALL,
            on=T0.date(),
            summary="Called Ken about the committee.",
            infer=False,
        )

    summary = run_import(
        engine,
        "salesforce",
        readers.salesforce(DATA / "salesforce"),
        readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS),
        now=T0,
        as_of=T0.date(),
        commit_every=1,
        batch=1,  # the deals committed, then an activity at a time
        tick=user_logs_a_call,
        text_workers=1,
    )
    assert logged and summary.interactions == 7
    with UnitOfWork(engine, write=False) as uow:
        deal = uow.deals.get(logged[0])  # through its document, written again at the end
    assert [(i.number, i.summary) for i in deal.interactions] == [
        (1, "Called Ken about the committee."),
        (2, "Call: Ken will bring the steering committee to review our proposal on the 15th."),
    ]
    # The commitment read from the imported note points at the imported activity.
    assert {c.interaction for c in deal.commitments if c.interaction is not None} == {2}


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite runs one writer at a time
def test_a_change_numbered_as_a_row_an_import_wrote_meanwhile_is_a_conflict(
    engine: Engine,
) -> None:
    """An import writes rows without reading the deal, so the version may not have moved:
    the duplicate number tells, and the user is asked to reload rather than shown a 500."""
    salesforce(engine)
    with UnitOfWork(engine) as uow:
        deal_id = uow.deals.find_by_external_id("salesforce:0061x00001AAA03").id  # type: ignore[union-attr]
        forget_documents(uow.connection, [deal_id or 0])  # as the import leaves a deal
        uow.commit()
    with UnitOfWork(engine) as user:
        deal = user.deals.get(deal_id or 0)
        with UnitOfWork(engine) as importing:
            bulk.insert_rows(
                importing.connection,
                t.interactions,
                [
                    {
                        "deal_id": deal_id,
                        "number": len(deal.interactions) + 1,
                        "kind": "call",
                        "on_date": T0.date(),
                        "summary": "Imported",
                        "created_at": T0,
                        "client_declined": False,
                        "source_key": "salesforce:00T-late",
                    }
                ],
            )
            importing.commit()
        deal.add_interaction(
            kind=InteractionKind.CALL, on=T0.date(), summary="Mine", now=T0, actor="maria"
        )
        with pytest.raises(DealgateError) as refused:
            user.deals.save(deal)
    assert [d.code for d in refused.value.details] == ["conflict"]


def test_any_transaction_size_imports_the_same_data(
    engine: Engine, backend: str, tmp_path: Path, pg_url_or_none: str | None
) -> None:
    other = make_engine(_fresh_database(backend, tmp_path, pg_url_or_none))
    try:
        salesforce(engine, commit_every=1, batch=1)  # a commit after every row
        salesforce(other, commit_every=50_000)
        assert snapshot(engine) == snapshot(other)
    finally:
        other.dispose()


def test_texts_read_in_worker_processes_come_in_exactly_as_when_read_here(
    engine: Engine, backend: str, tmp_path: Path, pg_url_or_none: str | None
) -> None:
    other = make_engine(_fresh_database(backend, tmp_path, pg_url_or_none))
    try:
        # Batches of 3 rows: the workers start with the third, and read ahead of the writes.
        pooled = salesforce(engine, batch=3, text_workers=2)
        here = salesforce(other, batch=3, text_workers=1)
        assert pooled.inferred_commitments == here.inferred_commitments > 5
        assert pooled.texts_read == here.texts_read
        assert snapshot(engine) == snapshot(other)
        again = salesforce(engine, batch=3, text_workers=2)  # nothing is read twice
        assert (again.texts_read, again.inferred_commitments) == (0, 0)
        assert snapshot(engine) == snapshot(other)
    finally:
        other.dispose()


def _alive_children(parent: int) -> list[int]:
    """The processes `parent` started that are still running (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone while listed
            continue
        if int(fields[1]) == parent and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("backend", ["sqlite"])  # the workers never touch the database
def test_the_text_readers_of_an_import_killed_midway_end_with_it(
    engine: Engine, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    _big_export(export, 1500)
    url = engine.url.render_as_string(hide_password=False)
    mapping = str(DATA / "salesforce-mapping.toml")
    command = [sys.executable, "-m", "dealgate.cli", "--db", url, "import", "salesforce"]
    victim = subprocess.Popen(
        [*command, str(export), "--mapping", mapping, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(workers := _alive_children(victim.pid)) < 2:  # the readers (and a tracker)
            assert victim.poll() is None and time.monotonic() < deadline, "no readers started"
            time.sleep(0.05)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    deadline = time.monotonic() + 10
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _running(pid)]


def test_a_commit_size_below_one_row_is_refused_before_anything_is_read(
    engine: Engine,
) -> None:
    result = CliRunner().invoke(
        app,
        [
            "--db",
            engine.url.render_as_string(hide_password=False),
            "import",
            "salesforce",
            str(DATA / "salesforce"),
            "--mapping",
            str(DATA / "salesforce-mapping.toml"),
            "--commit-every",
            "0",
            "--json",
        ],
    )
    assert result.exit_code != 0
    body = json.loads(result.stdout or result.output)
    assert [e["code"] for e in body["errors"]] == ["invalid_commit_every"]
    assert _written(engine, t.deals) == 0


def _local_dates(text: str, day_first: bool) -> str:
    """Every ISO date in `text` as a user with those settings exports it."""

    def local(found: re.Match[str]) -> str:
        year, month, day = found.group(1), found.group(2), found.group(3)
        return f"{day}/{month}/{year}" if day_first else f"{month}/{day}/{year}"

    return re.sub(r"(\d{4})-(\d{2})-(\d{2})(T[0-9:.]+Z)?", local, text)


def _dates_written(folder: Path, day_first: bool) -> None:
    for path in folder.glob("*.csv"):
        path.write_text(_local_dates(path.read_text("utf-8"), day_first), "utf-8")


def _dates_of(engine: Engine) -> dict[str | None, Any]:
    with UnitOfWork(engine, write=False) as uow:
        deals = uow.deals.find()
    return {
        deal.external_id: (
            deal.close_date,
            deal.created_at.date(),
            [m.at.date() for m in deal.history],
            sorted(i.on for i in deal.interactions),
        )
        for deal in deals
    }


@pytest.mark.parametrize("day_first", [True, False], ids=["uk_day_first", "us_month_first"])
def test_an_export_with_local_dates_comes_in_on_the_same_days_and_says_how_it_read_them(
    engine: Engine, tmp_path: Path, day_first: bool
) -> None:
    """03/04/2026 is 3 April in a UK export and 4 March in a US one: the export's own dates
    with a day past 12 tell which, and the summary says when dates were read day first."""
    iso = tmp_path / "iso.db"
    reference = make_engine(f"sqlite:///{iso}")
    init_database(reference, T0)
    rejected = [(e.file, e.line, e.column) for e in salesforce(reference).rejected]
    expected = _dates_of(reference)
    reference.dispose()
    export = tmp_path / "salesforce"
    shutil.copytree(DATA / "salesforce", export)
    _dates_written(export, day_first)
    assert "/" in (export / "Task.csv").read_text()
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    summary = run_import(
        engine, "salesforce", readers.salesforce(export), mapping, now=T0, as_of=T0.date()
    )
    assert [(e.file, e.line, e.column) for e in summary.rejected] == rejected
    assert _dates_of(engine) == expected
    assert summary.dates_day_first is day_first
    assert summary.to_dict()["dates_day_first"] is day_first
    said = [w for w in summary.warnings if "day first" in w]
    assert len(said) == (1 if day_first else 0)


def test_an_export_saved_by_excel_with_french_settings_comes_in_as_the_iso_one(
    engine: Engine, tmp_path: Path
) -> None:
    """Excel on a French Windows saves "CSV" with semicolons, dates day first and amounts
    with a decimal comma (in Windows-1252): the same deals, dates and amounts come in as
    from the original."""
    reference = make_engine(f"sqlite:///{tmp_path / 'iso.db'}")
    init_database(reference, T0)
    rejected = [(e.file, e.line, e.column) for e in salesforce(reference).rejected]
    expected = _dates_of(reference), _amounts(reference)
    reference.dispose()
    export = tmp_path / "salesforce"
    export.mkdir()
    for original in sorted((DATA / "salesforce").glob("*.csv")):
        with original.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        amount = rows[0].index("Amount") if "Amount" in rows[0] else None
        with (export / original.name).open("w", newline="", encoding="cp1252") as f:
            writer = csv.writer(f, delimiter=";")
            writer.writerow(rows[0])
            for row in rows[1:]:
                if amount is not None and row[amount].isdigit():
                    row[amount] = f"{int(row[amount]):,}".replace(",", " ") + ",00"
                writer.writerow([_local_dates(cell, day_first=True) for cell in row])
    saved = (export / "Opportunity.csv").read_bytes()
    assert b";" in saved.splitlines()[0] and b" 000,00" in saved and b"/2026" in saved
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    summary = run_import(engine, "salesforce", readers.salesforce(export), mapping, now=T0)
    assert [(e.file, e.line, e.column) for e in summary.rejected] == rejected
    assert (_dates_of(engine), _amounts(engine)) == expected
    assert summary.dates_day_first


def _amounts(engine: Engine) -> dict[str | None, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(t.deals.c.external_id, t.deals.c.amount))
        return {external_id: amount for external_id, amount in rows}


@pytest.mark.parametrize("mark", [".", ","])
def test_an_export_writing_three_decimals_is_read_with_the_mark_its_other_amounts_show(
    engine: Engine, tmp_path: Path, mark: str
) -> None:
    """`12.500` is 12.5 in an export that writes 1,234.567 and 12500 in one that writes
    1.234,567: each export's amounts that read one way only tell how to read the rest. An
    amount written the other way is rejected with its line and column; the rest comes in."""
    export = tmp_path / "salesforce"
    shutil.copytree(DATA / "salesforce", export)
    with (export / "Opportunity.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    amount = rows[0].index("Amount")
    expected: dict[str | None, Any] = {}
    for row in rows[1:]:
        if not row[amount].isdigit():
            continue  # the sample's amount that is no number, refused as such
        hundredths = Decimal(row[amount]) / 100  # 48000 -> 480.000, 120000 -> 1,200.000
        written = f"{hundredths:,.3f}"
        row[amount] = written if mark == "." else written.translate(str.maketrans(",.", ".,"))
        expected[f"salesforce:{row[0]}"] = hundredths.quantize(Decimal("0.01"))
    rows[1][amount] = "12,50" if mark == "." else "12.50"  # written the other way
    del expected[f"salesforce:{rows[1][0]}"]
    assert any(len(row[amount]) == 7 for row in rows[2:])  # ambiguous: 480.000 or 480,000
    with (export / "Opportunity.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    summary = run_import(
        engine, "salesforce", readers.salesforce(export), mapping, now=T0, read_text=False
    )
    refused = [e for e in summary.rejected if e.column == "Amount"]
    assert ("Opportunity.csv", 2) in [(e.file, e.line) for e in refused]
    assert "not written the way this export writes amounts" in refused[0].reason
    assert len(refused) == 1 + sum(not row[amount][:1].isdigit() for row in rows[1:])
    imported = _amounts(engine)  # the sample's deals refused for other reasons are not in
    assert len(imported) == 9 and imported == {key: expected[key] for key in imported}


def _as_exported(header: list[str], kind: str, style: str) -> list[str]:
    """The header as a report export labels its columns, or as Data Loader capitalizes them."""
    labels = readers.SALESFORCE_COLUMNS[kind]
    if style == "capitals":
        return [h.upper() for h in header]
    return [labels[h][0] if labels.get(h) else h for h in header]


@pytest.mark.parametrize("style", ["report_labels", "capitals"])
def test_a_salesforce_report_or_data_loader_export_comes_in_as_the_api_named_one(
    tmp_path: Path, style: str
) -> None:
    """A manager exports a report, whose columns carry labels ("Opportunity Name", "Stage");
    Data Loader writes API names in capitals (STAGENAME): the same deals, history, committee
    and activities come in as from the API-named export, and a rejected row names the column
    as the export wrote it."""
    kinds = {
        "Opportunity.csv": "Opportunity",
        "OpportunityHistory.csv": "OpportunityHistory",
        "Task.csv": "Activity",
        "Event.csv": "Activity",
        "OpportunityContactRole.csv": "OpportunityContactRole",
        "Contact.csv": "Contact",
    }
    export = tmp_path / "export"
    export.mkdir()
    renamed: dict[tuple[str, str], str] = {}
    for original in sorted((DATA / "salesforce").glob("*.csv")):
        with original.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        header = _as_exported(rows[0], kinds[original.name], style)
        renamed.update(((original.name, a), b) for a, b in zip(rows[0], header, strict=True))
        with (export / original.name).open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *rows[1:]])
    assert (style == "capitals") == ("STAGENAME" in (export / "Opportunity.csv").read_text())
    mapping = readers.load_stage_mapping(DATA / "salesforce-mapping.toml", KEYS)
    dumps = []
    for name, folder in (("api", DATA / "salesforce"), ("exported", export)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        init_database(engine, T0)
        summary = run_import(engine, "salesforce", readers.salesforce(folder), mapping, now=T0)
        export_tables(engine, tmp_path / f"{name}-dump", "json")
        engine.dispose()
        dumps.append(summary)
        files = sorted((tmp_path / f"{name}-dump").iterdir())
        assert [f.name for f in files] and all(f.stat().st_size for f in files[:1])
    api, exported = dumps
    assert exported.deals_created == api.deals_created == 10
    assert exported.interactions == api.interactions and exported.stakeholders == api.stakeholders
    for table in sorted(p.name for p in (tmp_path / "api-dump").iterdir()):
        assert (tmp_path / "exported-dump" / table).read_text() == (
            tmp_path / "api-dump" / table
        ).read_text(), table
    assert [(e.file, e.line, e.column) for e in exported.rejected] == [
        (e.file, e.line, renamed.get((e.file, e.column or ""), e.column)) for e in api.rejected
    ]


@pytest.mark.parametrize(
    ("source", "sample", "rename"),
    [
        ("pipedrive", "pipedrive-deals.csv", lambda h: f"Deal - {h}"),
        ("hubspot", "hubspot-deals.csv", lambda h: h.title()),  # "Deal owner" -> "Deal Owner"
    ],
)
def test_a_single_file_export_whose_headers_differ_in_case_or_prefix_comes_in_the_same(
    tmp_path: Path, source: str, sample: str, rename: Callable[[str], str]
) -> None:
    """Pipedrive writes "Deal - Title" for a deal's Title; HubSpot's headers changed case
    between versions: the same deals come in as from the headers the importer names."""
    with (DATA / sample).open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    renamed = tmp_path / sample
    with renamed.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[rename(h) for h in rows[0]], *rows[1:]])
    assert rows[0][0] not in renamed.read_text().splitlines()[0].split(",")
    mapping = readers.load_stage_mapping(DATA / f"{source}-mapping.toml", KEYS)
    read = readers.hubspot if source == "hubspot" else readers.pipedrive
    for name, path in (("original", DATA / sample), ("renamed", renamed)):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        init_database(engine, T0)
        summary = run_import(engine, source, read(path), mapping, now=T0, read_text=False)
        assert summary.deals_created > 3
        export_tables(engine, tmp_path / name, "json")
        engine.dispose()
    for table in sorted(p.name for p in (tmp_path / "original").iterdir()):
        assert (tmp_path / "renamed" / table).read_text() == (
            tmp_path / "original" / table
        ).read_text(), table


def test_a_hubspot_export_writing_three_decimals_is_read_with_the_mark_its_amounts_show(
    tmp_path: Path,
) -> None:
    with (DATA / "hubspot-deals.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    amount = rows[0].index("Amount")
    rows[1][amount], rows[2][amount] = "1,200.500", "480.500"
    with (tmp_path / "deals.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    deals = list(readers.hubspot(tmp_path / "deals.csv").deals())
    assert [d.amount for d in deals[:2]] == [Decimal("1200.50"), Decimal("480.50")]


def test_a_hubspot_export_with_day_first_dates_comes_in_on_the_same_days(
    engine: Engine, tmp_path: Path
) -> None:
    reference = make_engine(f"sqlite:///{tmp_path / 'iso.db'}")
    init_database(reference, T0)
    stages = readers.load_stage_mapping(DATA / "hubspot-mapping.toml", KEYS)
    run_import(reference, "hubspot", readers.hubspot(DATA / "hubspot-deals.csv"), stages, now=T0)
    expected = _dates_of(reference)
    reference.dispose()
    shutil.copy(DATA / "hubspot-deals.csv", tmp_path / "hubspot-deals.csv")
    _dates_written(tmp_path, day_first=True)
    data = readers.hubspot(tmp_path / "hubspot-deals.csv")
    summary = run_import(engine, "hubspot", data, stages, now=T0)
    assert summary.dates_day_first
    assert {k: v[:1] for k, v in _dates_of(engine).items()} == {
        k: v[:1] for k, v in expected.items()
    }


def test_the_audit_says_which_claimed_stages_the_notes_would_back_once_confirmed(
    engine: Engine,
) -> None:
    before = salesforce(engine).review
    assert before is not None
    claimed = {d["id"]: d for d in before["unevidenced_stage"]}
    assert any(d["read_from_notes"] for d in claimed.values())
    # A person confirms every buyer commitment read from the notes, as the notes say.
    c = t.commitments
    with engine.connect() as conn:
        inferred = conn.execute(
            select(c.c.deal_id, c.c.number).where(c.c.party == "buyer", c.c.status == "inferred")
        ).all()
    for deal_id, number in inferred:
        confirm_commitment(engine, deal_id, number, now=T0, actor="carol")
    after = import_review(engine, PROCESS, "salesforce", T0)
    still = {d["id"]: d for d in after["unevidenced_stage"]}
    assert len(claimed) - len(still) == before["backed_once_confirmed"] > 0
    assert set(still) <= set(claimed)
    for deal_id, left in still.items():  # the notes took it as far as they said, short of its claim
        was = claimed[deal_id]
        assert left["evidenced_stage"] == (was["read_from_notes"] or was["evidenced_stage"])
    assert after["backed_once_confirmed"] == 0
