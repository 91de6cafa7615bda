"""The gate: may a deal leave its stage? Returns every reason it may not (DESIGN.md §3).

A deal leaves stage S only on a buyer commitment that is obtained or kept, of a kind on S's
exit menu, dated, given by a named stakeholder, obtained while the deal was in S (unless S
accepts earlier ones) and not broken since. Prerequisites must hold too but never open the
gate alone. Skipping stages needs the exit commitment of every stage skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dealgate.domain.commitment import Commitment, Status
from dealgate.domain.prerequisites import PREREQUISITES
from dealgate.domain.process import CLOSED_STAGES, LOST, Process, Stage

if TYPE_CHECKING:
    from dealgate.domain.deal import Deal

# Stable codes, part of the public interface.
NO_BUYER_COMMITMENT = "no_buyer_commitment"
ONLY_SELLER_COMMITMENTS = "only_seller_commitments"
KIND_NOT_ON_EXIT_MENU = "kind_not_on_exit_menu"
COMMITMENT_UNDATED = "commitment_undated"
NO_BUYER_PERSON = "no_buyer_person"
PREREQUISITE_MISSING = "prerequisite_missing"
STAGE_SKIPPED = "stage_skipped"
DEAL_CLOSED = "deal_closed"
NOT_FORWARD = "not_forward"
EMPTY_EXIT_MENU = "empty_exit_menu"


@dataclass(frozen=True)
class Violation:
    code: str
    stage: str
    message: str
    field: str = "commitments"
    commitment: int | None = None  # the commitment at fault, when one is


@dataclass(frozen=True)
class GateVerdict:
    from_stage: str
    to_stage: str | None
    violations: tuple[Violation, ...]
    exits: tuple[tuple[str, int], ...]  # (stage left, the commitment number that exits it)
    exit_menu: tuple[str, ...]

    @property
    def justifying(self) -> tuple[int, ...]:
        return tuple(number for _, number in self.exits)

    @property
    def allowed(self) -> bool:
        return not self.violations and self.to_stage is not None

    @property
    def codes(self) -> list[str]:
        return [v.code for v in self.violations]


def check_gate(deal: Deal, process: Process, to: str | None = None) -> GateVerdict:
    if deal.stage in CLOSED_STAGES:
        return GateVerdict(
            deal.stage,
            None,
            (
                Violation(
                    DEAL_CLOSED,
                    deal.stage,
                    f"The deal is closed ({deal.stage}); a closed deal does not move. "
                    "Open a new deal for new business.",
                    "stage",
                ),
            ),
            (),
            (),
        )
    current = process.stage(deal.stage)
    target = to or process.next_stage(current.key)
    assert target is not None  # an open stage always has a next one (`won` at the end)
    if target == LOST or process.position(target) <= process.position(current.key):
        reason = (
            "Losing a deal is a close: use `dealgate close DEAL --lost --reason TEXT`."
            if target == LOST
            else f"'{target}' is not after '{current.key}'; the gate only moves deals forward."
        )
        return GateVerdict(
            current.key,
            target,
            (Violation(NOT_FORWARD, current.key, reason, "to"),),
            (),
            current.exit,
        )

    violations: list[Violation] = []
    exits: list[tuple[str, int]] = []
    first = process.position(current.key)
    for stage in process.stages[first : process.position(target)]:
        skipped = stage.key != current.key
        found, problems = exit_evidence(deal, process, stage)
        if found is not None:
            exits.append((stage.key, found.number))
        elif skipped:
            violations.append(
                Violation(
                    STAGE_SKIPPED,
                    stage.key,
                    f"Skipping '{stage.key}' needs its exit commitment too: "
                    + _lowercase_first(problems[0].message),
                )
            )
        else:
            violations.extend(problems)
        violations.extend(missing_prerequisites(deal, stage))
    return GateVerdict(current.key, target, tuple(violations), tuple(exits), current.exit)


def missing_prerequisites(deal: Deal, stage: Stage) -> list[Violation]:
    out = []
    for key in stage.requires:
        prerequisite = PREREQUISITES[key]
        if not prerequisite.holds(deal):
            out.append(
                Violation(
                    PREREQUISITE_MISSING,
                    stage.key,
                    f"Leaving '{stage.key}' requires that {prerequisite.description}: "
                    f"{prerequisite.fix}.",
                    f"requires.{key}",
                )
            )
    return out


def exit_evidence(
    deal: Deal, process: Process, stage: Stage
) -> tuple[Commitment | None, list[Violation]]:
    """The commitment that exits `stage`, or the violations that explain why none does."""
    # Labels for people, keys for the forms and commands that take them.
    menu = ", ".join(
        f"{process.kinds[k].label} ({k})" if k in process.kinds else k for k in stage.exit
    )
    how = (
        f"record a buyer commitment of one of these kinds, obtained from a named stakeholder "
        f"with a date: {menu}"
    )
    if not stage.exit:
        return None, [
            Violation(
                EMPTY_EXIT_MENU,
                stage.key,
                f"Stage '{stage.key}' has an empty exit menu, so nothing the buyer does can "
                "exit it; add commitment kinds to its `exit` in the process file.",
                "exit",
            )
        ]
    # Inferred commitments are proposals until a person confirms them; rejected ones never were.
    window = [
        c
        for c in deal.commitments
        if c.status not in (Status.INFERRED, Status.REJECTED) and _in_window(deal, stage, c)
    ]
    held = [c for c in window if c.is_buyer and c.is_held]
    on_menu = [c for c in held if c.kind in stage.exit]

    def problems_of(c: Commitment) -> list[Violation]:
        out = []
        if not c.dated:
            out.append(
                Violation(
                    COMMITMENT_UNDATED,
                    stage.key,
                    f"Commitment {c.number} ({c.kind}) has no date; the gate takes a dated "
                    "commitment: record it with its due date, or mark it kept once done.",
                    "due",
                    c.number,
                )
            )
        if not any(s.is_named(c.person) for s in deal.stakeholders):
            who = f"names '{c.person}', who is not a stakeholder" if c.person else "names no one"
            out.append(
                Violation(
                    NO_BUYER_PERSON,
                    stage.key,
                    f"Commitment {c.number} ({c.kind}) {who}; a buyer commitment needs a named "
                    "person on the buyer side: add them to the buying committee, then name "
                    "them as who made it.",
                    "person",
                    c.number,
                )
            )
        return out

    if on_menu:
        scored = sorted(on_menu, key=lambda c: (len(problems_of(c)), -(c.rung_level or 0)))
        best = scored[0]
        problems = problems_of(best)
        return (best, []) if not problems else (None, problems)
    if held:
        kinds = ", ".join(sorted({c.kind or "(no kind)" for c in held}))
        return None, [
            Violation(
                KIND_NOT_ON_EXIT_MENU,
                stage.key,
                f"The buyer's commitments here ({kinds}) are not on the exit menu of "
                f"'{stage.key}'; {how}.",
                "kind",
            )
        ]
    if any(not c.is_buyer for c in window):
        return None, [
            Violation(
                ONLY_SELLER_COMMITMENTS,
                stage.key,
                f"Only the seller has committed in '{stage.key}'; our own promises never "
                f"advance a deal: {how}.",
            )
        ]
    asked = [c for c in deal.commitments if c.is_buyer and c.status is Status.ASKED]
    hint = f" Commitment {asked[-1].number} was asked for but not obtained yet." if asked else ""
    return None, [
        Violation(
            NO_BUYER_COMMITMENT,
            stage.key,
            f"No buyer commitment in '{stage.key}' yet; {how}.{hint}",
        )
    ]


def _in_window(deal: Deal, stage: Stage, c: Commitment) -> bool:
    if stage.accepts_earlier:
        return True
    # Buyer evidence counts from when it was obtained; a seller promise from when it was made.
    stamp = c.obtained_at if c.is_buyer else c.created_at
    return stamp is not None and stamp >= deal.stage_entered_at


def _lowercase_first(text: str) -> str:
    return text[:1].lower() + text[1:]
