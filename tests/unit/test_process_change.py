"""Loading an edited process: the deals of a stage it leaves out go where the loader says, and
nothing stands in a stage the process does not know."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dealgate.domain.as_of import deal_as_of
from dealgate.domain.errors import DealgateError
from dealgate.domain.process import Process
from dealgate.domain.process_change import (
    compose,
    parse_moves,
    plan_process_change,
    stage_now,
)
from tests.builders import PROCESS, a_deal, at

# The default process without its `resolve` stage, and without `resolve` and `change`.
NO_RESOLVE = replace(PROCESS, stages=tuple(s for s in PROCESS.stages if s.key != "resolve"))
NO_CHANGE_NOR_RESOLVE = replace(
    NO_RESOLVE, stages=tuple(s for s in NO_RESOLVE.stages if s.key != "change")
)


def refused(
    old: Process | None, new: Process, standing: dict[str, int], asked: dict[str, str]
) -> list[tuple[str, str | None]]:
    with pytest.raises(DealgateError) as caught:
        plan_process_change(old, new, standing, asked)
    return [(d.code, d.field) for d in caught.value.details]


@pytest.mark.parametrize(
    ("standing", "asked", "problems"),
    [
        ({"resolve": 3}, {}, [("stage_in_use", "move.resolve")]),
        ({"resolve": 3}, {"resolve": "won"}, [("invalid_move", "move")]),
        ({"resolve": 3}, {"resolve": "negotiate"}, [("invalid_move", "move")]),
        (
            {"resolve": 3},
            {"propose": "decide"},
            [("invalid_move", "move"), ("stage_in_use", "move.resolve")],
        ),
        ({}, {"resolv": "decide"}, [("invalid_move", "move")]),
    ],
    ids=[
        "deals_standing_in_a_left_out_stage_need_a_stage_to_go_to",
        "they_cannot_be_closed_by_a_process_change",
        "they_cannot_go_to_a_stage_the_new_process_lacks",
        "a_stage_the_new_process_keeps_is_not_moved_and_every_problem_is_told_at_once",
        "a_misspelt_stage_is_refused_not_ignored",
    ],
)
def test_a_process_change_is_refused_when(
    standing: dict[str, int], asked: dict[str, str], problems: list[tuple[str, str | None]]
) -> None:
    assert refused(PROCESS, NO_RESOLVE, standing, asked) == problems


def test_the_refusal_names_the_stages_the_deals_may_go_to() -> None:
    with pytest.raises(DealgateError) as caught:
        plan_process_change(PROCESS, NO_RESOLVE, {"resolve": 1, "won": 4}, {})
    assert caught.value.details[0].message == (
        "1 open deal stands in stage 'resolve', which the new process leaves out: name the stage "
        "they go to, one of prospect, discover, change, design, propose, decide."
    )


def test_the_deals_of_a_left_out_stage_go_where_the_loader_says() -> None:
    change = plan_process_change(
        PROCESS, NO_RESOLVE, {"resolve": 3, "won": 2}, {"resolve": "decide"}
    )
    assert change.moves == {"resolve": "decide"}
    assert change.moving == {"resolve": 3}
    assert change.deals_moved == 3


def test_a_left_out_stage_no_deal_stands_in_goes_to_the_nearest_earlier_stage_kept() -> None:
    change = plan_process_change(PROCESS, NO_CHANGE_NOR_RESOLVE, {"propose": 2}, {})
    assert change.moves == {"change": "discover", "resolve": "propose"}
    assert change.moving == {}


def test_a_left_out_stage_may_still_be_sent_elsewhere_for_the_past_it_appears_in() -> None:
    assert plan_process_change(PROCESS, NO_RESOLVE, {}, {"resolve": "decide"}).moves == {
        "resolve": "decide"
    }


def test_a_process_that_keeps_every_stage_moves_nothing() -> None:
    change = plan_process_change(PROCESS, PROCESS, {"resolve": 3}, {})
    assert (change.moves, change.moving) == ({}, {})


def test_deals_standing_in_a_stage_the_active_process_never_had_need_a_stage_too() -> None:
    assert refused(NO_RESOLVE, NO_RESOLVE, {"resolve": 2}, {}) == [("stage_in_use", "move.resolve")]
    assert plan_process_change(
        NO_RESOLVE, NO_RESOLVE, {"resolve": 2}, {"resolve": "propose"}
    ).moving == {"resolve": 2}


def test_the_first_load_of_a_database_has_nothing_to_move() -> None:
    change = plan_process_change(None, NO_RESOLVE, {}, {})
    assert (change.moves, change.moving) == ({}, {})


@pytest.mark.parametrize(
    ("pairs", "moves"),
    [
        (["resolve=decide"], {"resolve": "decide"}),
        ([" resolve = decide "], {"resolve": "decide"}),
        (["resolve=decide", "resolve=decide"], {"resolve": "decide"}),
        ([], {}),
    ],
)
def test_moves_are_written_left_out_stage_equals_where_its_deals_go(
    pairs: list[str], moves: dict[str, str]
) -> None:
    assert parse_moves(pairs) == moves


@pytest.mark.parametrize(
    "pairs", [["resolve"], ["=decide"], ["resolve="], ["resolve=decide", "resolve=propose"]]
)
def test_a_move_that_does_not_say_one_stage_for_one_stage_is_refused(pairs: list[str]) -> None:
    with pytest.raises(DealgateError) as caught:
        parse_moves(pairs)
    assert caught.value.codes == ["invalid_move"]


def test_a_stage_moved_to_one_a_later_process_left_out_stands_where_that_one_went() -> None:
    assert compose({"resolve": "negotiate"}, {"negotiate": "decide"}) == {
        "resolve": "decide",
        "negotiate": "decide",
    }


def test_a_stage_brought_back_later_is_itself_again() -> None:
    former = compose({"resolve": "decide"}, {})
    assert stage_now(NO_RESOLVE, former, "resolve") == "decide"
    assert stage_now(PROCESS, former, "resolve") == "resolve"


def test_a_stage_left_out_before_loads_kept_their_moves_reads_as_the_first_stage() -> None:
    assert stage_now(NO_RESOLVE, {}, "resolve") == "prospect"


def test_a_deal_moved_by_a_process_change_keeps_its_stall_clock_and_claims_no_commitment() -> None:
    deal = a_deal("resolve")
    entered = deal.stage_entered_at
    move = deal.restage("decide", NO_RESOLVE, now=at(30), actor="ada")
    assert (deal.stage, deal.stage_entered_at) == ("decide", entered)
    assert move.restaged and move.commitments == () and not move.overridden
    assert move.reason == "Process 'Default' left out stage 'resolve'."
    assert [e.type for e in deal.new_events][-1] == "deal.restaged"


def test_a_closed_deal_is_not_moved_by_a_process_change() -> None:
    deal = a_deal()
    deal.close_lost("No budget", now=at(1), actor="alice")
    with pytest.raises(DealgateError) as caught:
        deal.restage("decide", NO_RESOLVE, now=at(2), actor="ada")
    assert caught.value.codes == ["deal_closed"]


def test_a_deal_is_moved_only_to_an_open_stage_of_the_process() -> None:
    with pytest.raises(DealgateError) as caught:
        a_deal("resolve").restage("won", NO_RESOLVE, now=at(2), actor="ada")
    assert caught.value.codes == ["unknown_stage"]


def test_as_of_after_the_change_the_deal_entered_its_stage_when_it_entered_the_one_left_out() -> (
    None
):
    deal = a_deal("resolve")
    deal.restage("decide", NO_RESOLVE, now=at(30), actor="ada")
    then = deal_as_of(deal, at(31), [])
    assert then is not None
    assert (then.stage, then.stage_entered_at) == ("decide", deal.stage_entered_at)
    before = deal_as_of(deal, at(29), [])
    assert before is not None and before.stage == "resolve"
