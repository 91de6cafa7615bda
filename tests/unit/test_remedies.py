"""Each front end says how to fix a gate refusal in its own terms: the command line names the
command, a page links to the form. The refusal itself names neither."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from dealgate.cli import app
from dealgate.cli_remedies import COMMANDS, command_for, with_commands
from dealgate.domain.deal import Deal
from dealgate.domain.errors import DealgateError, ErrorDetail
from dealgate.web import remedies as page
from tests.builders import PROCESS
from tests.unit.test_gate import RULES

DEAL = 42
# What a refusal cannot be fixed by with a form or a command of the deal: it is not a gap.
NO_FIX = {"deal_closed"}
DEAL_PAGE = (Path(page.__file__).parent / "templates" / "deal.html").read_text()


def _refused() -> list[tuple[str, Deal]]:
    return [(rule, setup()) for rule, setup, codes in RULES if set(codes) - NO_FIX]


@pytest.mark.parametrize(("rule", "deal"), _refused(), ids=[r for r, _ in _refused()])
def test_a_refusal_names_no_front_end_and_each_front_end_says_how_to_fix_it(
    rule: str, deal: Deal
) -> None:
    for v in deal.gate(PROCESS).violations:
        assert "dealgate " not in v.message and "--" not in v.message, rule
        command = command_for(v.code, v.field, DEAL, v.commitment)
        assert command is not None and f" {DEAL} " in command, (rule, v.code)
        link = page.remedy(v, DEAL)
        assert link is not None and link.href.startswith(f"/deals/{DEAL}#"), (rule, v.code)
        if v.commitment is not None:
            assert f" {DEAL} {v.commitment} " in command
            assert link.href.endswith(f"#commitment-{v.commitment}")


FIXES: list[tuple[str, str, str, int | None, str, str]] = [
    # code, field, commitment -> the command, the page's anchor
    (
        "the dissatisfaction prerequisite is documented on the deal",
        "prerequisite_missing",
        "requires.dissatisfaction_documented",
        None,
        f"`dealgate deal note {DEAL} --dissatisfaction TEXT`",
        "dissatisfaction",
    ),
    (
        "an unmapped committee is fixed by adding its economic buyer",
        "prerequisite_missing",
        "requires.buying_committee_mapped",
        None,
        f"`dealgate stakeholder add {DEAL} NAME --role economic_buyer`",
        "committee-h",
    ),
    (
        "a commitment naming no one is given who made it",
        "no_buyer_person",
        "person",
        3,
        f"`dealgate stakeholder add {DEAL} NAME --role ROLE`, then "
        f"`dealgate commit name {DEAL} 3 --who NAME`",
        "commitment-3",
    ),
    (
        "an undated commitment is kept or recorded with its date",
        "commitment_undated",
        "due",
        2,
        f"`dealgate commit set {DEAL} 2 --status kept` once done, or `dealgate commit add {DEAL} "
        "--party buyer --kind KIND --who NAME --due YYYY-MM-DD --action TEXT`",
        "commitment-2",
    ),
    (
        "no buyer commitment is fixed by recording one",
        "no_buyer_commitment",
        "commitments",
        None,
        f"`dealgate commit add {DEAL} --party buyer --kind KIND --who NAME --due YYYY-MM-DD "
        "--action TEXT`",
        "record-commitment",
    ),
]


@pytest.mark.parametrize(
    ("rule", "code", "field", "number", "command", "anchor"), FIXES, ids=[f[0] for f in FIXES]
)
def test_how_each_refusal_is_fixed(
    rule: str, code: str, field: str, number: int | None, command: str, anchor: str
) -> None:
    assert command_for(code, field, DEAL, number) == command, rule
    link = page.remedy(ErrorDetail(code, "…", field, number), DEAL)
    assert link is not None and link.href == f"/deals/{DEAL}#{anchor}"
    assert f'id="{anchor.replace(str(number), "{{ c.number }}")}"' in DEAL_PAGE


def test_a_refusal_about_a_commitment_not_named_gets_no_command_with_a_hole() -> None:
    assert command_for("no_buyer_person", "person", DEAL, None) is None
    assert page.remedy(ErrorDetail("no_buyer_person", "…", "person"), DEAL) is None
    assert command_for("deal_closed", "stage", DEAL, None) is None


def test_the_cli_adds_the_command_to_each_detail_and_keeps_the_rest_of_the_error() -> None:
    error = DealgateError(
        "Cannot leave",
        [
            ErrorDetail("no_buyer_person", "Commitment 1 names no one.", "person", 1),
            ErrorDetail("not_forward", "Not after.", "to"),
        ],
        422,
    )
    told = with_commands(error, DEAL)
    assert (told.error, told.status, told.codes) == ("Cannot leave", 422, error.codes)
    assert told.details[0].message.startswith("Commitment 1 names no one. Run `dealgate")
    assert told.details[1].message == "Not after."


def test_the_page_links_each_fix_once() -> None:
    twice = [ErrorDetail("no_buyer_commitment", "…", "commitments")] * 2
    assert len(page.remedies(list(twice), DEAL)) == 1


def _options(path: list[str]) -> set[str]:
    """The options of the command at `path` (e.g. commit name); fails when there is none."""
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup) and name in command.commands, path
        command = command.commands[name]
    return {o for p in command.params for o in p.opts}


@pytest.mark.parametrize("key", sorted(COMMANDS), ids=["/".join(k) for k in sorted(COMMANDS)])
def test_every_command_named_exists_with_its_options(key: tuple[str, str]) -> None:
    for written in re.findall(r"`dealgate ([^`]+)`", COMMANDS[key]):
        words = written.split()
        path = [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)]
        options = _options(path)
        for option in (w for w in words if w.startswith("--")):
            assert option in options, (written, option)
