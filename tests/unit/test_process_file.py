"""Process files: a wrong file is refused with the file, the key and what to change."""

from __future__ import annotations

import pytest

from dealgate.domain.errors import DealgateError
from dealgate.processes import parse_process
from tests.builders import PROCESS

GOOD = """
[process]
name = "Mini"

[[stages]]
key = "prospect"
name = "Prospect"
exit = ["first_meeting_accepted"]
stall_after_days = 14
"""


def refusal(text: str) -> DealgateError:
    with pytest.raises(DealgateError) as caught:
        parse_process(text, "team.toml")
    assert set(caught.value.codes) == {"invalid_process"}
    return caught.value


def test_a_file_without_kinds_uses_the_default_catalogue() -> None:
    process = parse_process(GOOD, "team.toml")
    assert [s.key for s in process] == ["prospect"]
    assert "economic_buyer_meeting" in process.kinds


def test_a_file_may_add_kinds_of_its_own_on_the_ten_rungs() -> None:
    text = GOOD + '\n[[kinds]]\nkey = "board_memo_drafted"\nrung = "consensus"\nlabel = "Memo"\n'
    assert parse_process(text, "team.toml").kinds["board_memo_drafted"].rung.value == "consensus"


@pytest.mark.parametrize(
    ("broken", "key", "hint"),
    [
        (
            GOOD.replace("first_meeting_accepted", "handshake"),
            "stages[0] (prospect).exit",
            "unknown kind 'handshake'",
        ),
        (
            GOOD + '[[kinds]]\nkey = "x"\nrung = "hope"\nlabel = "x"\n',
            "kinds[0].rung",
            "unknown rung 'hope'",
        ),
        (
            GOOD + GOOD.split("\n", 4)[4].replace("[process]", ""),
            "stages[1] (prospect).key",
            "duplicate stage",
        ),
        (GOOD.replace('name = "Prospect"\n', ""), "stages[0].name", "is missing"),
        (GOOD.replace('[process]\nname = "Mini"\n', ""), "process.name", "is missing"),
        ("[process\nname=", "toml", "not valid TOML"),
        ("", "file", "is empty"),
        (
            GOOD.replace("stall_after_days", "stall_days"),
            "stages[0].stall_days",
            "not a stage field",
        ),
        (
            GOOD.replace(
                'exit = ["first_meeting_accepted"]',
                'exit = ["first_meeting_accepted"]\nrequires = ["vibes"]',
            ),
            "stages[0] (prospect).requires",
            "unknown prerequisite",
        ),
        (
            GOOD + '[[kinds]]\nkey = "budget_confirmed"\nrung = "time"\nlabel = "x"\n',
            "kinds[0].key",
            "already defined on rung 'invest'",
        ),
    ],
    ids=[
        "unknown kind",
        "unknown rung",
        "duplicate stage",
        "missing key",
        "missing process",
        "bad toml",
        "empty file",
        "misspelt field",
        "unknown prerequisite",
        "a default kind moved to another rung",
    ],
)
def test_a_wrong_process_file_is_refused(broken: str, key: str, hint: str) -> None:
    error = refusal(broken)
    matching = [d for d in error.details if d.field == key]
    assert matching, [d.field for d in error.details]
    assert "team.toml" in matching[0].message and hint in matching[0].message


def test_an_empty_exit_menu_loads_for_the_audit_to_report() -> None:
    process = parse_process(GOOD.replace('["first_meeting_accepted"]', "[]"), "team.toml")
    assert process.stages[0].exit == ()


@pytest.mark.parametrize(
    ("stage", "later"),
    [
        ("prospect", ("discover", "change", "design", "propose", "resolve", "decide", "won")),
        ("resolve", ("decide", "won")),
        ("decide", ("won",)),
        ("won", ()),
        ("lost", ()),
    ],
)
def test_a_deal_may_be_moved_to_every_later_open_stage_then_won_and_a_closed_one_nowhere(
    stage: str, later: tuple[str, ...]
) -> None:
    assert PROCESS.later_stages(stage) == later
