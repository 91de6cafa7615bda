"""Loading an edited process over a pipeline: where the stages it leaves out go.

A team renames, merges or drops a stage by loading an edited process. Every read judges a
deal by the active process, so no deal may stand in a stage that process does not know: the
deals standing in a left-out stage move to a stage the person loading it names. Stages no
open deal stands in still appear in deals' histories; a review of a past day judges a deal
that stood in one where that stage went (by default: the nearest earlier stage kept, which
the deal had at least reached).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dealgate.domain.errors import DealgateError, ErrorDetail, invalid
from dealgate.domain.process import CLOSED_STAGES, Process


@dataclass(frozen=True)
class ProcessChange:
    """What loading `new` over `old` does: each left-out stage and the stage it goes to."""

    moves: dict[str, str]  # every stage of the old process the new one leaves out -> kept stage
    moving: dict[str, int]  # the open deals standing in each left-out stage that holds any

    @property
    def deals_moved(self) -> int:
        return sum(self.moving.values())

    def told(self) -> list[str]:
        """What the load did to each stage it left out, in the product's words."""
        return [
            f"Stage '{stage}' left out: {self.moving[stage]} open deal(s) moved to '{to}'."
            if self.moving.get(stage)
            else f"Stage '{stage}' left out; no open deal stood in it."
            for stage, to in self.moves.items()
        ]


@dataclass(frozen=True)
class ProcessLoad:
    """A process made the active one: when, by whom, and where the stages it left out went."""

    name: str
    at: datetime
    by: str | None  # None for loads made before they were recorded
    moves: dict[str, str]


def parse_moves(pairs: Iterable[str]) -> dict[str, str]:
    """`OLD=NEW` pairs as written on a command line."""
    moves: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = (part.strip() for part in pair.partition("="))
        if not sep or not old or not new:
            raise invalid(
                "invalid_move",
                f"'{pair}' is no move: write the left-out stage, '=', and the stage its deals "
                "go to, e.g. resolve=decide.",
                "move",
            )
        if moves.get(old, new) != new:
            raise invalid(
                "invalid_move",
                f"Stage '{old}' is moved twice ({moves[old]}, {new}): name one stage for it.",
                "move",
            )
        moves[old] = new
    return moves


def plan_process_change(
    old: Process | None,
    new: Process,
    standing: Mapping[str, int],
    asked: Mapping[str, str],
) -> ProcessChange:
    """Check the moves `asked` for loading `new` over `old` with `standing` open deals per stage;
    every problem is reported at once. A stage no deal stands in needs no move."""
    open_stages = tuple(s.key for s in new.stages)
    choices = ", ".join(open_stages)
    left_out = [s.key for s in old.stages if not new.has_stage(s.key)] if old else []
    # A stage deals stand in that the active process lacks too: a load made before loads were
    # checked stranded them, and naming where they go repairs it.
    stray = [s for s in standing if s not in CLOSED_STAGES and not new.has_stage(s)]
    left_out += [s for s in stray if s not in left_out]
    problems: list[ErrorDetail] = []
    for source, target in asked.items():
        if source not in left_out:
            kept = new.has_stage(source)
            problems.append(
                ErrorDetail(
                    "invalid_move",
                    f"Stage '{source}' is "
                    + ("still a stage of the new process" if kept else "no stage of either process")
                    + ": only the deals of a stage it leaves out are moved"
                    + (f" ({', '.join(left_out)})." if left_out else " (it leaves out none)."),
                    "move",
                )
            )
        elif target not in open_stages:
            problems.append(
                ErrorDetail(
                    "invalid_move",
                    f"The deals of '{source}' cannot go to '{target}': name an open stage of "
                    f"the new process ({choices}). Closing a deal needs the buyer's commitment "
                    "or a reason, deal by deal.",
                    "move",
                )
            )
    for stage in left_out:
        count = standing.get(stage, 0)
        if count and stage not in asked:
            deals = "1 open deal stands" if count == 1 else f"{count} open deals stand"
            problems.append(
                ErrorDetail(
                    "stage_in_use",
                    f"{deals} in stage '{stage}', which the new process leaves out: name the "
                    f"stage they go to, one of {choices}.",
                    f"move.{stage}",
                )
            )
    if problems:
        raise DealgateError(
            f"Process '{new.name}' cannot be loaded: " + "; ".join(p.message for p in problems),
            problems,
        )
    moves = {s: asked.get(s) or _nearest_kept(old, new, s) for s in left_out}
    return ProcessChange(moves, {s: standing[s] for s in left_out if standing.get(s)})


def _nearest_kept(old: Process | None, new: Process, stage: str) -> str:
    """The nearest stage before `stage` in the old process that the new one keeps (a deal in
    `stage` had reached it), else the new process's first stage."""
    earlier: Sequence[str] = ()
    if old is not None and old.has_stage(stage):
        earlier = [s.key for s in old.stages[: old.position(stage)]]
    for key in reversed(earlier):
        if new.has_stage(key):
            return key
    return new.stages[0].key


def compose(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, str]:
    """Where each stage ever left out stands now: the moves of earlier loads, followed through
    the moves of a later one (a stage moved to a stage that was itself left out later)."""
    return {**{old: after.get(new, new) for old, new in before.items()}, **after}


def stage_now(process: Process, former: Mapping[str, str], stage: str) -> str:
    """The stage of today's `process` that `stage`, perhaps left out since, stands for. A stage
    left out by a load that kept no moves (made before they were kept) reads as the first."""
    if process.has_stage(stage):  # perhaps left out once and brought back since
        return stage
    found = former.get(stage, stage)
    return found if process.has_stage(found) else process.stages[0].key
