"""The CLI end to end through Typer's runner, on a real database, asserting exit codes and JSON."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from openpyxl import Workbook
from sqlalchemy import Engine, select
from typer.testing import CliRunner, Result

from dealgate.cli import app
from dealgate.io import readers
from dealgate.services import transfer
from dealgate.services.users import authenticate
from dealgate.store import tables as t
from dealgate.store.db import alembic_config, make_engine
from dealgate.web.sessions import check_password
from tests.integration.test_process_change import process_without

runner = CliRunner()


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = runner.invoke(app, ["--db", self.url, *args])
        # Print what the command said when the exit code is not the one expected.
        assert result.exit_code == code, (
            f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        return result

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self(*args, "--json", code=code).stdout)

    def error(self, *args: str) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self(*args, code=1).stderr)
        assert body["ok"] is False and isinstance(body["status"], int) and body["errors"]
        return body


@pytest.fixture
def cli(engine: Engine) -> Cli:
    return Cli(engine.url.render_as_string(hide_password=False))


def codes(body: dict[str, Any]) -> list[str]:
    return [e["code"] for e in body["errors"]]


def test_a_deal_advances_only_on_the_buyers_commitment(cli: Cli) -> None:
    deal = cli("deal", "add", "Fleet tracking", "--account", "Acme", "--owner", "alice")
    deal_id = deal.stdout.strip()
    assert deal_id.isdigit()

    assert codes(cli.error("advance", deal_id)) == ["no_buyer_commitment"]

    cli("commit", "add", deal_id, "--party", "seller", "--action", "send references")
    assert codes(cli.error("advance", deal_id)) == ["only_seller_commitments"]

    cli("stakeholder", "add", deal_id, "Maria Lopez", "--role", "champion", "--title", "COO")
    cli(
        "commit",
        "add",
        deal_id,
        "--party",
        "buyer",
        "--action",
        "Accepted an intro meeting",
        "--kind",
        "first_meeting_accepted",
        "--who",
        "Maria Lopez",
        "--due",
        "2026-12-03",
    )
    assert cli("advance", deal_id).stdout.strip() == "discover"

    cli(
        "commit",
        "add",
        deal_id,
        "--party",
        "buyer",
        "--action",
        "Budget is there",
        "--kind",
        "budget_confirmed",
        "--who",
        "Maria Lopez",
        "--due",
        "2026-12-10",
    )
    assert codes(cli.error("advance", deal_id)) == ["kind_not_on_exit_menu"]

    shown = cli.json("deal", "show", deal_id)
    history = shown["stage_history"]
    assert [(h["from"], h["to"]) for h in history] == [(None, "prospect"), ("prospect", "discover")]
    justified = history[1]["justified_by"]
    assert [(c["kind"], c["person"], c["party"]) for c in justified] == [
        ("first_meeting_accepted", "Maria Lopez", "buyer")
    ]
    assert shown["gate"]["can_advance"] is False
    assert [v["code"] for v in shown["gate"]["violations"]] == ["kind_not_on_exit_menu"]


def test_deal_add_json_gives_the_deal(cli: Cli) -> None:
    deal = cli.json(
        "deal",
        "add",
        "Claims",
        "--account",
        "Borealis",
        "--owner",
        "bruno",
        "--stage",
        "propose",
        "--amount",
        "45000",
        "--close-date",
        "2027-01-31",
    )
    assert deal["stage"] == "propose" and deal["amount"] == "45000.00"
    assert deal["close_date"] == "2027-01-31" and deal["version"] == 1


def test_deal_list_filters_by_stage_and_owner(cli: Cli) -> None:
    cli("deal", "add", "A", "--account", "X", "--owner", "alice")
    cli("deal", "add", "B", "--account", "Y", "--owner", "bruno", "--stage", "design")
    assert [d["name"] for d in cli.json("deal", "list", "--owner", "bruno")] == ["B"]
    assert [d["name"] for d in cli.json("deal", "list", "--stage", "prospect")] == ["A"]
    assert "A" in cli("deal", "list").stdout
    assert codes(cli.error("deal", "list", "--stage", "negotiation")) == ["unknown_stage"]


def test_an_override_is_recorded_against_the_manager(cli: Cli) -> None:
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    assert codes(cli.error("advance", deal_id, "--override", "CEO intro")) == [
        "override_needs_manager"
    ]
    moved = cli.json("advance", deal_id, "--override", "CEO intro", "--as", "maria")
    assert moved["stage"] == "discover" and moved["overridden"] is True
    history = cli.json("deal", "show", deal_id)["stage_history"]
    assert history[-1]["override_reason"] == "CEO intro" and history[-1]["actor"] == "maria"


def test_commitment_lifecycle_through_the_cli(cli: Cli) -> None:
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    number = cli(
        "commit",
        "add",
        deal_id,
        "--party",
        "buyer",
        "--action",
        "Intro call",
        "--kind",
        "intro_call_booked",
        "--status",
        "asked",
    ).stdout.strip()
    assert cli.json("commit", "set", deal_id, number, "--status", "obtained")["status"] == (
        "obtained"
    )
    assert codes(cli.error("commit", "set", deal_id, number, "--status", "asked")) == [
        "invalid_transition"
    ]
    assert codes(cli.error("commit", "set", deal_id, "99", "--status", "kept")) == ["not_found"]


def test_interactions_show_their_outcome(cli: Cli) -> None:
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    cli("stakeholder", "add", deal_id, "Ken Okafor", "--role", "technical")
    i = cli(
        "interaction",
        "add",
        deal_id,
        "--kind",
        "call",
        "--date",
        "2026-11-20",
        "--summary",
        "Good call, they'll think about it",
    ).stdout.strip()
    cli("commit", "add", deal_id, "--party", "seller", "--action", "Send deck", "--interaction", i)
    shown = cli.json("deal", "show", deal_id)
    assert shown["interactions"][0]["outcome"] == "continuation"
    cli(
        "commit",
        "add",
        deal_id,
        "--party",
        "buyer",
        "--action",
        "Meet on Tuesday",
        "--kind",
        "first_meeting_accepted",
        "--who",
        "Ken Okafor",
        "--due",
        "2026-11-24",
        "--interaction",
        i,
    )
    assert cli.json("deal", "show", deal_id)["interactions"][0]["outcome"] == "advance"


def test_closing_a_deal(cli: Cli) -> None:
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    assert codes(cli.error("close", deal_id, "--lost")) == ["reason_required"]
    refused = codes(cli.error("close", deal_id, "--won"))
    assert refused[0] == "no_buyer_commitment" and "stage_skipped" in refused
    assert cli("close", deal_id, "--lost", "--reason", "No budget").stdout.strip() == "lost"
    assert codes(cli.error("advance", deal_id)) == ["deal_closed"]
    assert codes(cli.error("stakeholder", "add", deal_id, "X", "--role", "user")) == ["deal_closed"]


BAD_INPUT = [
    (["deal", "add", "A", "--account", "X", "--owner", "a", "--amount", "lots"], "invalid_amount"),
    (
        ["deal", "add", "A", "--account", "X", "--owner", "a", "--close-date", "31/12"],
        "invalid_date",
    ),
    (["deal", "add", "A", "--account", "X", "--owner", "a", "--stage", "won"], "invalid_stage"),
    (["deal", "add", " ", "--account", "X", "--owner", "a"], "required"),
    (["deal", "show", "999"], "not_found"),
    (["stakeholder", "add", "1", "P", "--role", "boss"], "invalid_role"),
    (["commit", "add", "1", "--party", "them", "--action", "x"], "invalid_party"),
    (["commit", "add", "1", "--party", "buyer", "--action", "x", "--kind", "hug"], "unknown_kind"),
    (
        ["commit", "add", "1", "--party", "seller", "--action", "x", "--kind", "data_shared"],
        "kind_on_seller_commitment",
    ),
    (
        ["interaction", "add", "1", "--kind", "fax", "--date", "2026-01-01", "--summary", "x"],
        "invalid_interaction_kind",
    ),
    (["advance", "1", "--to", "nowhere"], "unknown_stage"),
]


@pytest.mark.parametrize(("args", "code"), BAD_INPUT, ids=[c for _, c in BAD_INPUT])
def test_bad_input_gets_the_error_shape_and_loses_nothing(
    cli: Cli, args: list[str], code: str
) -> None:
    cli("deal", "add", "Keep me", "--account", "X", "--owner", "alice")
    before = cli.json("deal", "show", "1")
    assert code in codes(cli.error(*args))
    assert cli.json("deal", "show", "1") == before


def test_usage_errors_exit_2(cli: Cli) -> None:
    cli("deal", "add", code=2)


def test_init_is_idempotent_and_loads_a_process_file(cli: Cli, tmp_path: Path) -> None:
    assert cli.json("init")["loaded"] is False
    custom = tmp_path / "team.toml"
    custom.write_text(
        '[process]\nname = "Team"\n[[stages]]\nkey = "qualify"\nname = "Qualify"\n'
        "exit = []\nstall_after_days = 10\n"
    )
    result = cli("init", "--process", str(custom), "--json")
    assert json.loads(result.stdout)["loaded"] is True
    assert "empty exit menu" in result.stderr
    assert cli.json("process", "show")["name"] == "Team"


def test_a_process_leaving_out_a_stage_with_deals_says_which_move_loads_it(
    cli: Cli, tmp_path: Path
) -> None:
    deal_id = cli(
        "deal", "add", "Fleet", "--account", "Acme", "--owner", "alice", "--stage", "resolve"
    ).stdout.strip()
    path = process_without(tmp_path, "resolve")
    body = cli.error("init", "--process", str(path))
    assert codes(body) == ["stage_in_use"]
    assert body["errors"][0]["message"].endswith(
        f"Run `dealgate init --process {path} --move resolve=STAGE`."
    )
    assert codes(cli.error("init", "--process", str(path), "--move", "resolve")) == ["invalid_move"]
    assert cli.json("deal", "show", deal_id)["stage"] == "resolve"

    loaded = cli.json("init", "--process", str(path), "--move", "resolve=decide")
    assert (loaded["moves"], loaded["deals_moved"]) == ({"resolve": "decide"}, {"resolve": 1})
    moved = cli.json("deal", "show", deal_id)
    assert moved["stage"] == "decide"
    assert moved["stage_history"][-1]["reason"] == "Process 'Default' left out stage 'resolve'."
    said = cli("init", "--process", str(path), "--move", "resolve=decide").stdout
    assert "already active" in said
    assert cli.json("init")["moves"] == {}  # the shipped process brings the stage back
    loads = cli.json("process", "history")
    assert [x["moves"] for x in loads[:3]] == [{}, {"resolve": "decide"}, {}]
    assert "resolve -> decide" in cli("process", "history").stdout
    assert cli.json("deal", "show", deal_id)["stage"] == "decide"


def test_a_wrong_process_file_is_refused_with_file_and_key(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[process]\nname = "Bad"\n[[stages]]\nkey = "x"\nname = "X"\nexit = ["hug"]\n')
    body = cli.error("init", "--process", str(bad))
    assert codes(body) == ["invalid_process"]
    assert "bad.toml" in body["errors"][0]["message"] and body["errors"][0]["field"] == (
        "stages[0] (x).exit"
    )
    assert cli.json("process", "show")["name"] == "Default"


def test_process_show_lists_stages_menus_and_rungs(cli: Cli) -> None:
    shown = cli.json("process", "show")
    assert [s["key"] for s in shown["stages"]][:2] == ["prospect", "discover"]
    assert shown["stages"][0]["exit"][0] == {
        "kind": "first_meeting_accepted",
        "rung": "time",
        "label": "Accepted a dated first meeting",
    }
    assert "economic_buyer_meeting" in cli("process", "show").stdout


def test_the_demo_fills_an_empty_database_once(cli: Cli) -> None:
    first = cli.json("demo")
    assert first["created"] >= 60
    assert first["users"] == ["maria", "alice", "bruno", "chen", "dana", "ada"]
    assert cli.json("demo")["created"] == 0
    deals = cli.json("deal", "list")
    assert len({d["owner"] for d in deals}) >= 3
    stages = {d["stage"] for d in deals}
    assert {"prospect", "discover", "propose", "decide", "won", "lost"} <= stages
    assert any(d["can_advance"] for d in deals) and not all(d["can_advance"] for d in deals)


def test_a_command_before_init_says_to_run_init(tmp_path: Path) -> None:
    fresh = Cli(f"sqlite:///{tmp_path / 'fresh.db'}")
    body = fresh.error("deal", "list")
    assert codes(body) != []


def test_review_lists_flagged_deals_with_a_summary(cli: Cli) -> None:
    cli("demo")
    body = cli.json("review")
    summary = body["summary"]
    assert summary["deals_reviewed"] > 40
    assert summary["flag_counts"]["unevidenced_stage"] > 0
    assert float(summary["value_claimed"]) > 0 and float(summary["value_evidenced"]) > 0
    assert float(summary["forecast_by_evidence"]) < float(summary["forecast_by_stage"])
    unevidenced = [
        d for d in body["deals"] if any(f["code"] == "unevidenced_stage" for f in d["flags"])
    ]
    assert all(d["evidenced_stage"] != d["stage"] for d in unevidenced)
    only = cli.json("review", "--flag", "seller_only", "--owner", "dana")
    assert only["deals"] and all(d["owner"] == "dana" for d in only["deals"])
    assert "seller_only" in cli("review").stdout
    assert codes(cli.error("review", "--flag", "sleepy")) == ["unknown_flag"]
    assert codes(cli.error("review", "--as-of", "tomorrow")) == ["invalid_date"]


def test_review_as_of_a_later_date_finds_more_stalls(cli: Cli) -> None:
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    assert cli.json("review", "--as-of", "2026-01-01")["deals"] == []
    later = cli.json("review", "--as-of", "2099-01-01")["deals"]
    assert [d["id"] for d in later] == [int(deal_id)]
    assert later[0]["flags"][0]["code"] == "stalled"


def test_review_since_a_day_lists_what_changed_and_refuses_to_mix_with_as_of(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEALGATE_NOW", "2026-03-02T09:00:00+00:00")
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    monkeypatch.setenv("DEALGATE_NOW", "2026-03-30T09:00:00+00:00")
    body = cli.json("review", "--since", "2026-03-05")
    [changed] = body["deals"]
    assert changed["id"] == int(deal_id) and changed["added"] == ["stalled"]
    assert body["flags"]["stalled"] == {"added": 1, "cleared": 0}
    assert "Since 2026-03-05: 1 deals changed" in cli("review", "--since", "2026-03-05").stdout
    mixed = cli.error("review", "--since", "2026-03-05", "--as-of", "2026-03-10")
    assert codes(mixed) == ["conflicting_options"]
    assert codes(cli.error("review", "--since", "2026-04-01")) == ["invalid_date"]


def test_audit_exits_1_on_errors_and_0_on_warnings(cli: Cli, tmp_path: Path) -> None:
    assert cli.json("audit")["findings"] == []
    warn = tmp_path / "warn.toml"
    warn.write_text(
        '[process]\nname = "W"\n[[stages]]\nkey = "a"\nname = "A"\nexit = ["intro_call_booked"]\n'
    )
    found = {f["code"] for f in cli.json("audit", str(warn))["findings"]}
    assert {"single_kind_menu", "no_stall_limit", "kind_not_accepted"} <= found
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[process]\nname = "B"\n[[stages]]\nkey = "a"\nname = "A"\nexit = ["data_shared"]\n'
        'stall_after_days = 5\n[[stages]]\nkey = "b"\nname = "B"\nexit = []\n'
        'stall_after_days = 5\n[[stages]]\nkey = "c"\nname = "C"\n'
        'exit = ["intro_call_booked", "first_meeting_accepted"]\nstall_after_days = 5\n'
    )
    result = runner.invoke(app, ["--db", cli.url, "audit", str(bad), "--json"])
    assert result.exit_code == 1, result.stdout
    codes_found = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert {"empty_exit_menu", "menu_does_not_climb"} <= codes_found


def test_coach_a_deal_names_the_next_ask_and_who_to_ask(cli: Cli) -> None:
    deal_id = cli(
        "deal", "add", "A", "--account", "X", "--owner", "alice", "--stage", "discover"
    ).stdout.strip()
    cli("stakeholder", "add", deal_id, "Lena Ross", "--role", "decision_maker")
    cli("stakeholder", "add", deal_id, "Ken Okafor", "--role", "champion")
    advice = cli.json("coach", deal_id)
    assert advice["primary"]["exits_stage"] == "change"
    assert advice["primary"]["rung"] == "change"
    assert advice["primary"]["ask"]["name"] == "Lena Ross"
    assert advice["fallback"]["exits_stage"] == "discover"
    assert advice["fallback"]["rung"] == "explore"
    assert advice["fallback"]["ask"]["name"] == "Ken Okafor"
    assert [(p["stage"], p["requires"]) for p in advice["prerequisites_missing"]] == [
        ("change", "dissatisfaction_documented")
    ]
    said = " ".join(cli("coach", deal_id).stdout.split())
    assert "Ask Lena Ross" in said
    assert "Also: Leaving 'change' requires that the buyer's dissatisfaction" in said
    assert f"Run `dealgate deal note {deal_id} --dissatisfaction TEXT`." in said


def test_coach_a_rep_compares_to_the_team_and_gives_a_verdict(cli: Cli) -> None:
    cli("demo")
    dana = cli.json("coach", "--rep", "dana")
    assert dana["verdict"] == "commitment_gaining" and dana["reasons"]
    assert dana["metrics"]["ask_rate"] < dana["team_median"]["ask_rate"]
    assert set(dana["rungs_asked"]) <= {
        "time",
        "explore",
        "change",
        "collaborate",
        "consensus",
        "invest",
        "review",
        "resolve",
        "decide",
        "execute",
    }
    assert cli.json("coach", "--rep", "alice")["verdict"] == "neither"
    assert codes(cli.error("coach", "--rep", "nobody")) == ["not_found"]
    assert codes(cli.error("coach")) == ["deal_or_rep"]


def test_extract_reads_lines_and_json_lines_from_stdin(cli: Cli) -> None:
    text = (
        "Raj will set up the CFO meeting for the 12th; I'll send references\n"
        '{"text": "Tuesday at 2pm works for me, see you then.", "author": "buyer"}\n'
        "They'll think about it.\n"
    )
    result = runner.invoke(app, ["extract", "--date", "2026-11-27"], input=text)
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    first = lines[0]["commitments"]
    assert [(c["party"], c["rung"], c["person"], c["due"]) for c in first] == [
        ("buyer", "consensus", "Raj", "2026-12-12"),
        ("seller", None, None, None),
    ]
    assert lines[1]["commitments"][0]["rung"] == "time"
    assert lines[2] == {"text": "They'll think about it.", "commitments": []}
    bad = runner.invoke(app, ["extract"], input='{"txt": 1}\n')
    assert bad.exit_code == 1 and json.loads(bad.stderr)["errors"][0]["code"] == "invalid_json"


def _first_meeting(cli: Cli, deal_id: str, who: str) -> None:
    """`who` accepted a first meeting on the deal, dated: the prospect stage's exit."""
    cli(
        "commit", "add", deal_id, "--party", "buyer", "--action", "Accepted a first meeting",
        "--kind", "first_meeting_accepted", "--who", who, "--due", "2026-12-03",
    )  # fmt: skip


def _deal_with_maria(cli: Cli, note: str | None = None) -> tuple[str, dict[str, Any]]:
    """A deal of alice's whose committee holds Maria Lopez: its id, and `note` logged as a
    call (its `inferred` commitments and `outcome`)."""
    deal_id = cli("deal", "add", "A", "--account", "X", "--owner", "alice").stdout.strip()
    cli("stakeholder", "add", deal_id, "Maria Lopez", "--role", "champion")
    if note is None:
        return deal_id, {}
    logged = cli.json(
        "interaction", "add", deal_id, "--kind", "call", "--date", "2026-11-27", "--summary", note
    )
    return deal_id, dict(logged)


def test_a_refused_advance_names_the_commands_that_fix_it(cli: Cli) -> None:
    deal_id = cli(
        "deal", "add", "A", "--account", "X", "--owner", "alice", "--stage", "change"
    ).stdout.strip()
    cli("commit", "add", deal_id, "--party", "seller", "--action", "Send references")
    refused = cli.error("advance", deal_id)
    told = {e["code"]: e["message"] for e in refused["errors"]}
    assert set(told) == {"only_seller_commitments", "prerequisite_missing"}
    assert told["prerequisite_missing"].endswith(
        f"Run `dealgate deal note {deal_id} --dissatisfaction TEXT`."
    )
    assert (
        f"`dealgate commit add {deal_id} --party buyer --kind KIND"
        in told["only_seller_commitments"]
    )
    shown = " ".join(cli("deal", "show", deal_id).stdout.split())  # as Rich wrapped it
    assert f"Run `dealgate deal note {deal_id} --dissatisfaction TEXT`." in shown
    cli("deal", "note", deal_id, "--dissatisfaction", "Month-end close takes nine days")
    assert codes(cli.error("advance", deal_id)) == ["only_seller_commitments"]


def test_a_stakeholder_is_corrected_and_the_commitments_they_made_follow(cli: Cli) -> None:
    deal_id, _ = _deal_with_maria(cli)
    _first_meeting(cli, deal_id, "Maria Lopez")
    assert codes(cli.error("stakeholder", "set", deal_id, "1")) == ["nothing_to_change"]
    assert codes(cli.error("stakeholder", "set", deal_id, "1", "--role", "boss")) == [
        "invalid_role"
    ]
    assert codes(cli.error("stakeholder", "set", deal_id, "2", "--title", "CFO")) == ["not_found"]
    maria = cli.json(
        "stakeholder", "set", deal_id, "1", "--name", "María López", "--role", "economic_buyer"
    )
    assert (maria["name"], maria["role"]) == ("María López", "economic_buyer")
    shown = cli.json("deal", "show", deal_id)
    assert [c["person"] for c in shown["commitments"]] == ["María López"]
    assert cli("advance", deal_id).stdout.strip() == "discover"


def test_a_logged_note_proposes_inferred_commitments_to_confirm(cli: Cli) -> None:
    deal_id, logged = _deal_with_maria(
        cli, "Maria accepted an intro call for Tuesday; I'll send the deck"
    )
    inferred = logged["inferred"]
    assert [(c["party"], c["kind"], c["person"], c["status"]) for c in inferred] == [
        ("buyer", "intro_call_booked", "Maria Lopez", "inferred"),
        ("seller", None, None, "inferred"),
    ]
    assert logged["outcome"] == "continuation"  # nothing confirmed yet
    assert cli.json("review")["summary"]["deals_with_only_inferred_evidence"] == 1
    assert codes(cli.error("advance", deal_id)) == ["no_buyer_commitment"]
    confirmed = cli.json("commit", "confirm", deal_id, str(inferred[0]["number"]))
    assert confirmed["status"] == "obtained"
    shown = cli.json("deal", "show", deal_id)
    assert shown["interactions"][0]["outcome"] == "advance"
    assert cli.json("review")["summary"]["deals_with_only_inferred_evidence"] == 0
    assert cli.json("commit", "reject", deal_id, str(inferred[1]["number"]))["status"] == "rejected"
    assert codes(cli.error("commit", "confirm", deal_id, str(inferred[1]["number"]))) == [
        "not_inferred"
    ]
    assert cli("advance", deal_id).stdout.strip() == "discover"


def test_confirming_a_note_that_named_no_one_names_who_on_the_committee_made_it(
    cli: Cli,
) -> None:
    deal_id, logged = _deal_with_maria(cli, "Their ops lead accepted an intro call for Tuesday")
    (found,) = [c for c in logged["inferred"] if c["party"] == "buyer"]
    number = str(found["number"])
    assert found["person"] != "Maria Lopez"
    refused = cli.error("commit", "confirm", deal_id, number, "--who", "Ken Okafor")
    assert codes(refused) == ["not_a_stakeholder"]
    assert "add them as a stakeholder first" in refused["errors"][0]["message"]
    confirmed = cli.json("commit", "confirm", deal_id, number, "--who", "maria lopez")
    assert (confirmed["person"], confirmed["status"]) == ("Maria Lopez", "obtained")
    assert cli("advance", deal_id).stdout.strip() == "discover"  # the gate takes it now


def test_a_recorded_commitment_naming_no_member_is_given_its_stakeholder(cli: Cli) -> None:
    deal_id, _ = _deal_with_maria(cli)
    _first_meeting(cli, deal_id, "Their CTO")
    refused = cli.error("advance", deal_id)
    assert codes(refused) == ["no_buyer_person"]
    assert f"dealgate commit name {deal_id} 1 --who NAME" in refused["errors"][0]["message"]
    assert codes(cli.error("commit", "name", deal_id, "1", "--who", "Ken")) == ["not_a_stakeholder"]
    named = cli.json("commit", "name", deal_id, "1", "--who", "maria lopez")
    assert named["person"] == "Maria Lopez"
    assert cli("advance", deal_id).stdout.strip() == "discover"
    assert codes(cli.error("commit", "name", deal_id, "1", "--who", "Maria Lopez")) == [
        "already_named"
    ]


def test_a_change_made_in_the_cli_is_announced_to_webhooks(cli: Cli, engine: Engine) -> None:
    cli("webhook", "add", "http://127.0.0.1:9/hook", "--events", "deal.advanced")
    deal_id = cli("deal", "add", "Fleet", "--account", "Acme", "--owner", "alice").stdout.strip()
    cli("advance", deal_id, code=1)  # refused by the gate: nothing to announce
    cli("advance", deal_id, "--override", "Board call", "--as", "maria")
    with engine.connect() as conn:
        queued = conn.execute(select(t.deliveries.c.event, t.deliveries.c.body)).all()
    assert [row.event for row in queued] == ["deal.advanced"]
    assert json.loads(queued[0].body)["data"]["deal"] == int(deal_id)


def test_an_import_in_several_currencies_says_so_after_its_summary(
    cli: Cli, tmp_path: Path
) -> None:
    data = Path(__file__).parents[1] / "data"
    header = (data / "pipedrive-deals.csv").read_text(encoding="utf-8").splitlines()[0]
    export = tmp_path / "deals.csv"
    export.write_text(
        header
        + "\n1,A,1000,EUR,Lead In,Sales,Alice Morgan,open,2026-10-02,,,Acme,"
        + "\n2,B,2000,USD,Lead In,Sales,Alice Morgan,open,2026-10-02,,,Acme,\n",
        encoding="utf-8",
    )
    mapping = str(data / "pipedrive-mapping.toml")
    printed = cli("import", "pipedrive", str(export), "--mapping", mapping).stdout
    assert "Warning:" in printed and "2 currencies" in " ".join(printed.split())


def test_serve_says_how_to_bring_an_empty_or_older_database_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert codes(Cli(url).error("serve")) == ["not_initialized"]
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0007")
    engine.dispose()
    body = Cli(url).error("serve")
    assert codes(body) == ["schema_older"] and "dealgate init" in body["error"]


def test_user_add_prints_the_token_once_and_keeps_only_its_hash(cli: Cli, engine: Engine) -> None:
    added = cli.json("user", "add", "alice", "--role", "rep", "--team", "east")
    assert {k: v for k, v in added.items() if k != "token"} == {
        "name": "alice",
        "role": "rep",
        "team": "east",
    }
    token = added["token"]
    with engine.connect() as conn:
        stored = [str(value) for row in conn.execute(select(t.users)) for value in row]
    assert not any(token in value for value in stored)
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert authenticate(engine, token) is not None
    # A new token revokes the old one at once.
    rotated = cli.json("user", "token", "alice")
    assert rotated["name"] == "alice" and rotated["token"] != token
    assert authenticate(engine, token) is None
    assert authenticate(engine, rotated["token"]) is not None
    # Without --json the token alone is printed, for scripts: `TOKEN=$(dealgate user add ...)`.
    plain = cli("user", "add", "bruno", "--role", "manager").stdout.strip()
    found = authenticate(engine, plain)
    assert found is not None and found[0].role.value == "manager"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("user", "add", "carla", "--role", "boss"), "invalid_role"),
        (("user", "add", " ", "--role", "rep"), "invalid_name"),
        (("user", "add", "dora", "--role", "rep", "--password", "short"), "weak_password"),
        (("user", "token", "nobody"), "not_found"),
    ],
)
def test_user_commands_refuse_bad_input_in_the_one_shape(
    cli: Cli, engine: Engine, args: tuple[str, ...], code: str
) -> None:
    cli("user", "add", "alice", "--role", "rep")
    assert codes(cli.error(*args)) == [code]
    with engine.connect() as conn:
        assert list(conn.scalars(select(t.users.c.name))) == ["alice"]


def test_a_second_user_of_the_same_name_is_refused_and_the_first_keeps_its_token(
    cli: Cli, engine: Engine
) -> None:
    token = cli.json("user", "add", "alice", "--role", "rep")["token"]
    body = cli.error("user", "add", "alice", "--role", "admin")
    assert body["status"] == 409
    found = authenticate(engine, token)
    assert found is not None and found[0].role.value == "rep"


def test_serve_answers_the_api_over_http_with_several_workers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    Cli(url)("init")
    token = Cli(url).json("user", "add", "alice", "--role", "admin")["token"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dealgate.cli",
            "--db",
            url,
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/openapi.json").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        auth = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{base}/api/v1/deals", json={"name": "Renewal", "account": "Acme"}, headers=auth
        )
        assert created.status_code == 201
        # Every request lands on one worker or the other; each reads what the other wrote.
        for _ in range(6):
            with httpx.Client(headers=auth) as client:  # a new connection each time
                read = client.get(f"{base}/api/v1/deals/{created.json()['id']}")
                assert read.status_code == 200 and read.json()["name"] == "Renewal"
        assert httpx.get(f"{base}/api/v1/deals").status_code == 401
        assert httpx.get(f"{base}/api/docs").status_code == 200
    finally:
        server.terminate()
        server.wait(20)


def test_an_admin_sets_a_users_password_from_the_cli(cli: Cli, engine: Engine) -> None:
    cli("user", "add", "alice", "--role", "rep")  # an API-only user
    assert cli.json("user", "list") == [
        {"name": "alice", "role": "rep", "team": None, "pages": False}
    ]
    said = cli("user", "password", "alice", "--password", "alice-pw-1").stdout
    assert "Password set for alice" in said
    assert check_password(engine, "alice", "alice-pw-1") is not None
    assert codes(cli.error("user", "password", "nobody", "--password", "long-enough")) == [
        "not_found"
    ]
    assert codes(cli.error("user", "password", "alice", "--password", "short")) == ["weak_password"]
    assert check_password(engine, "alice", "alice-pw-1") is not None  # kept
    assert cli("user", "list").stdout == "alice\trep\t-\tpages and API\n"


def test_an_admin_changes_a_users_team_and_role_and_removes_one_from_the_cli(cli: Cli) -> None:
    cli("user", "add", "ada", "--role", "admin")
    cli("user", "add", "alice", "--role", "rep", "--team", "east")
    cli("deal", "add", "Fleet", "--account", "Acme", "--owner", "alice")
    moved = cli.json("user", "set", "alice", "--team", "west", "--role", "manager")
    assert moved == {"name": "alice", "role": "manager", "team": "west"}
    assert cli.json("user", "set", "alice", "--team", "")["team"] is None
    assert codes(cli.error("user", "set", "alice")) == ["nothing_to_change"]
    assert codes(cli.error("user", "set", "ada", "--role", "rep")) == ["last_admin"]
    assert codes(cli.error("user", "remove", "ada")) == ["last_admin"]
    assert codes(cli.error("user", "remove", "ghost")) == ["not_found"]
    said = cli("user", "remove", "alice").stdout
    assert "Their 1 deals are seen by admins alone" in said and '--from "alice"' in said
    assert [u["name"] for u in cli.json("user", "list")] == ["ada"]


def test_coaching_a_rep_right_after_an_import_asks_for_the_notes_to_be_confirmed_first(
    cli: Cli,
) -> None:
    data = Path(__file__).parents[1] / "data"
    cli.json(
        "import",
        "salesforce",
        str(data / "salesforce"),
        "--mapping",
        str(data / "salesforce-mapping.toml"),
    )
    alice = cli.json("coach", "--rep", "Alice Morgan")
    assert alice["verdict"] == "unconfirmed" and alice["waiting"] >= 1
    assert f"{alice['waiting']} commitments read from their notes wait" in alice["reasons"][0]
    said = cli("coach", "--rep", "Alice Morgan").stdout
    assert "Verdict: unconfirmed" in said and "Asks too rarely" not in said


def test_an_imports_audit_says_how_many_claimed_stages_its_notes_would_back(cli: Cli) -> None:
    data = Path(__file__).parents[1] / "data"
    sf = ["import", "salesforce", str(data / "salesforce")]
    mapping = ["--mapping", str(data / "salesforce-mapping.toml")]
    review = cli.json(*sf, *mapping)["review"]
    listed = review["unevidenced_stage"]
    assert listed and all("read_from_notes" in d for d in listed)
    said = " ".join(cli(*sf, *mapping).stdout.split())  # again: the same audit, as text
    assert "read from notes" in said
    assert (
        f"Confirming what their notes say would back {review['backed_once_confirmed']} of "
        f"these {len(listed)}"
    ) in said


def test_a_transfer_gives_an_owners_deals_to_a_user_each_recording_the_change(
    cli: Cli, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an import without [owners], the deals of an owner no user is called (seen by
    admins alone) go to their user, a few per transaction."""
    monkeypatch.setattr(transfer, "CHUNK", 1)  # pages through the owner's deals
    data = Path(__file__).parents[1] / "data"
    sf = ["import", "salesforce", str(data / "salesforce")]
    mapping = ["--mapping", str(data / "salesforce-mapping.toml")]
    imported = cli.json(*sf, *mapping)
    assert imported["owners_without_user"]["Alice Morgan"] == 3
    cli("user", "add", "alice", "--role", "rep", "--team", "east")
    before = {d["id"]: (d["name"], d["owner"]) for d in cli.json("deal", "list")}

    nobody = cli.error("deal", "transfer", "--from", "Alice Morgan", "--to", "alcie")
    assert codes(nobody) == ["unknown_user"] and nobody["status"] == 422
    assert "users: alice" in nobody["errors"][0]["message"]
    typo = cli.error("deal", "transfer", "--from", "Alice Morgn", "--to", "alice")
    assert codes(typo) == ["no_deals"] and typo["status"] == 404
    assert "Alice Morgan" in typo["errors"][0]["message"]  # the owners to choose from
    same = cli.error("deal", "transfer", "--from", "alice", "--to", "alice")
    assert codes(same) == ["same_owner"] and same["status"] == 422
    assert {d["id"]: (d["name"], d["owner"]) for d in cli.json("deal", "list")} == before

    done = cli.json("deal", "transfer", "--from", "Alice Morgan", "--to", "alice", "--open-only")
    assert done == {"from": "Alice Morgan", "to": "alice", "deals": 2, "closed_kept": 1}
    after = {d["id"]: (d["name"], d["owner"]) for d in cli.json("deal", "list")}
    given = {i for i in after if after[i] != before[i]}
    assert sorted(after[i] for i in given) == [
        ("Analytics suite", "alice"),
        ("Fleet tracking rollout", "alice"),
    ]
    assert {before[i][1] for i in given} == {"Alice Morgan"}
    assert ("Fleet tracking", "Alice Morgan") in after.values()  # lost: kept with its owner
    with engine.connect() as conn:
        changes = conn.execute(
            select(t.events.c.payload, t.events.c.actor).where(t.events.c.type == "deal.updated")
        ).all()
    assert [dict(p) for p, _ in changes] == [{"owner": "alice"}] * 2

    printed = cli("deal", "transfer", "--from", "Alice Morgan", "--to", "alice").stdout
    assert printed.strip() == "Gave 1 deals of Alice Morgan to alice."
    assert "Alice Morgan" not in cli.json(*sf, *mapping)["owners_without_user"]


def test_an_import_gives_each_export_owners_deals_to_the_user_the_mapping_names(
    cli: Cli, tmp_path: Path
) -> None:
    """--suggest-mapping guesses the users; the mapping's [owners] table is what counts."""
    data = Path(__file__).parents[1] / "data"
    cli("user", "add", "alice", "--role", "rep", "--team", "east")
    cli("user", "add", "chen.li", "--role", "rep", "--team", "east")
    suggested = tmp_path / "mapping.toml"
    printed = cli(
        "import", "salesforce", str(data / "salesforce"), "--suggest-mapping", str(suggested)
    ).stdout
    assert "deal owners" in printed
    text = suggested.read_text(encoding="utf-8")
    assert '"Alice Morgan" = "alice"' in text and '"Chen Li" = "chen.li"' in text
    assert '"Bruno Diaz" = "Bruno Diaz"' in text  # no user fits: the name stays
    stages = (data / "salesforce-mapping.toml").read_text(encoding="utf-8")
    mapping = tmp_path / "chosen.toml"
    # A user mistyped (or not added yet) would own the deals under a name nobody sees.
    mapping.write_text(stages + '\n[owners]\n"Alice Morgan" = "alcie"\n', encoding="utf-8")
    refused = cli.error("import", "salesforce", str(data / "salesforce"), "--mapping", str(mapping))
    assert codes(refused) == ["unknown_user"]
    assert refused["errors"][0]["field"] == "owners.Alice Morgan"
    assert "alice, chen.li" in refused["errors"][0]["message"]
    assert cli.json("deal", "list") == []  # refused before anything came in
    mapping.write_text(stages + '\n[owners]\n"Alice Morgan" = "alice"\n', encoding="utf-8")
    cli.json("import", "salesforce", str(data / "salesforce"), "--mapping", str(mapping))
    owners = {d["name"]: d["owner"] for d in cli.json("deal", "list")}
    assert owners["Fleet tracking rollout"] == "alice"
    assert owners["Field service"] == "Bruno Diaz"
    assert "Alice Morgan" not in owners.values()

    mapping.write_text(stages + '\n[owners]\n"Alice Morgan" = ""\n', encoding="utf-8")
    refused = cli.error("import", "salesforce", str(data / "salesforce"), "--mapping", str(mapping))
    assert codes(refused) == ["invalid_mapping"]
    assert refused["errors"][0]["field"] == "owners.Alice Morgan"


def test_an_import_shows_a_bar_per_step_with_rows_per_second_filled_when_the_step_ends(
    cli: Cli,
) -> None:
    """On a terminal (forced here), each step's bar counts towards the rows its files hold
    and ends full, rejected rows or not."""
    data = Path(__file__).parents[1] / "data"
    args = ["--db", cli.url, "import", "salesforce", str(data / "salesforce")]
    args += ["--mapping", str(data / "salesforce-mapping.toml")]
    result = runner.invoke(app, args, env={"FORCE_COLOR": "1", "COLUMNS": "160"})
    assert result.exit_code == 0, result.stderr
    shown = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", result.stderr).replace("\r", "\n")
    last = {}
    for line in shown.splitlines():
        found = re.search(
            r"(deals|contacts|activities|text)\s.*?(\d+)/(\d+)\s+([\d,]+) rows/s", line
        )
        if found:
            last[found.group(1)] = (int(found.group(2)), int(found.group(3)))
    assert set(last) == {"deals", "contacts", "activities", "text"}
    assert all(done == total > 0 for done, total in last.values()), last
    assert last["deals"] == (11, 11)  # 13 lines: 2 rows rejected


def test_an_opportunities_report_file_imports_alone_and_a_report_missing_a_column_names_its_label(
    cli: Cli, tmp_path: Path
) -> None:
    """`dealgate import salesforce REPORT.csv`: the opportunities alone, whatever lies beside
    the file; a report without the Opportunity ID column is refused naming its label."""
    data = Path(__file__).parents[1] / "data"
    with (data / "salesforce" / "Opportunity.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    labels = readers.SALESFORCE_COLUMNS["Opportunity"]
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    shutil.copy(data / "salesforce" / "Task.csv", downloads / "Task.csv")  # not this import's
    report = downloads / "report1732791234567.csv"
    with report.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([[(labels.get(h) or (h,))[0] for h in rows[0]], *rows[1:]])
        f.write(  # the footer Salesforce writes after a report's rows: no rows of deals
            '\n"Opportunities by stage"\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights '
            'reserved."\n"Confidential Information - Do Not Distribute"\n'
            '"Generated By:  Maria Lopez  11/27/2026 9:14 AM"\n"Acme Software"\n'
        )
    mapping = ["--mapping", str(data / "salesforce-mapping.toml")]
    imported = cli.json("import", "salesforce", str(report), *mapping)
    assert imported["deals_created"] == 10 and imported["interactions"] == 0
    assert {(e["file"], e["column"]) for e in imported["rejected"]} == {
        ("report1732791234567.csv", "Amount"),
        ("report1732791234567.csv", "Close Date"),
        ("report1732791234567.csv", "Stage"),
    }  # the sample's bad rows, and not the footer's lines

    without_id = downloads / "report-no-id.csv"
    with without_id.open("w", newline="", encoding="utf-8") as f:
        labelled = [[(labels.get(h) or (h,))[0] for h in rows[0]], *rows[1:]]
        csv.writer(f).writerows(row[1:] for row in labelled)  # the first column: the id
    refused = cli.error("import", "salesforce", str(without_id), *mapping)
    assert codes(refused) == ["invalid_file"]
    assert "lacks the column(s) Id (Opportunity ID)" in refused["errors"][0]["message"]


def test_a_salesforce_data_export_zip_imports_as_its_folder_would(cli: Cli, tmp_path: Path) -> None:
    data = Path(__file__).parents[1] / "data"
    archive = tmp_path / "WE_00D5g000001_1.ZIP"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((data / "salesforce").glob("*.csv")):
            zipped.write(path, path.name)
        zipped.writestr("Account.csv", "Id,Name\n001,Acme\n")  # another object's, left out
    mapping = ["--mapping", str(data / "salesforce-mapping.toml")]
    imported = cli.json("import", "salesforce", str(archive), *mapping)
    assert (imported["deals_created"], imported["interactions"], imported["stakeholders"]) == (
        10,
        7,
        5,
    )
    assert (
        cli.json("import", "salesforce", str(data / "salesforce"), *mapping)[
            "deals_already_imported"
        ]
        == 10
    )  # the same deals as the folder's
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip")
    refused = cli.error("import", "salesforce", str(broken), *mapping)
    assert codes(refused) == ["invalid_file"] and "not a ZIP archive" in refused["error"]


def _typed(cell: str) -> Any:
    """A CSV cell as a workbook holds it: numbers as numbers, dates as dates."""
    for parse in (int, float):
        try:
            return parse(cell)
        except ValueError:
            pass
    for form in ("%Y-%m-%d", "%Y-%m-%d %H:%M"):
        try:
            moment = datetime.strptime(cell, form)
        except ValueError:
            continue
        return moment.date() if form == "%Y-%m-%d" else moment
    return cell or None


def test_a_hubspot_export_saved_as_a_workbook_imports_as_its_csv_does(
    cli: Cli, tmp_path: Path
) -> None:
    data = Path(__file__).parents[1] / "data"
    with (data / "hubspot-deals.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for i, row in enumerate(rows):
        sheet.append(row if i == 0 else [_typed(cell) for cell in row])
    book.save(tmp_path / "hubspot-crm-exports-all-deals.xlsx")
    mapping = ["--mapping", str(data / "hubspot-mapping.toml")]
    from_book = cli.json(
        "import", "hubspot", str(tmp_path / "hubspot-crm-exports-all-deals.xlsx"), *mapping
    )
    assert from_book["deals_created"] >= 5
    from_csv = cli.json("import", "hubspot", str(data / "hubspot-deals.csv"), *mapping)
    assert from_csv["deals_created"] == 0  # the same deals: ids read as the CSV writes them
    assert from_csv["deals_already_imported"] == from_book["deals_created"]
    assert [(e["line"], e["column"], e["reason"]) for e in from_book["rejected"]] == [
        (e["line"], e["column"], e["reason"]) for e in from_csv["rejected"]
    ]
    fake = tmp_path / "deals.xlsx"
    fake.write_text("not a workbook")
    refused = cli.error("import", "hubspot", str(fake), *mapping)
    assert codes(refused) == ["invalid_file"] and "Excel workbook" in refused["error"]
    old_excel = tmp_path / "deals.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    refused = cli.error("import", "hubspot", str(old_excel), *mapping)
    assert codes(refused) == ["invalid_file"] and "save it as" in refused["error"]
