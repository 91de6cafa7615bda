"""Process audit: what is wrong with a process definition itself (DESIGN.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dealgate.domain.ladder import Rung
from dealgate.domain.process import Process


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    stage: str | None
    message: str


def audit_process(process: Process) -> list[Finding]:
    findings: list[Finding] = []
    previous_floor: Rung | None = None
    previous_key: str | None = None
    for stage in process.stages:
        rungs = sorted({process.kinds[k].rung for k in stage.exit}, key=lambda r: r.level)
        if not stage.exit:
            findings.append(
                Finding(
                    "empty_exit_menu",
                    Severity.ERROR,
                    stage.key,
                    f"'{stage.key}' ends without a client commitment: its exit menu is empty, "
                    "so deals leave it only by override. Add the kinds that prove the buyer "
                    "moved.",
                )
            )
        elif len(stage.exit) == 1:
            findings.append(
                Finding(
                    "single_kind_menu",
                    Severity.WARNING,
                    stage.key,
                    f"'{stage.key}' accepts one commitment only ({stage.exit[0]}); one forced "
                    "commitment cuts off other good ones. Add alternatives on the same rung.",
                )
            )
        if rungs:
            floor = rungs[0]
            if previous_floor is not None and floor.level < previous_floor.level:
                findings.append(
                    Finding(
                        "menu_does_not_climb",
                        Severity.ERROR,
                        stage.key,
                        f"'{stage.key}' exits on '{floor.value}', lower than '{previous_key}' "
                        f"('{previous_floor.value}'); each stage should ask the buyer for at "
                        "least as much as the one before.",
                    )
                )
            previous_floor, previous_key = floor, stage.key
        if stage.stall_after_days is None:
            findings.append(
                Finding(
                    "no_stall_limit",
                    Severity.WARNING,
                    stage.key,
                    f"'{stage.key}' has no stall_after_days, so a deal can sit there unnoticed. "
                    "Set one (14 early, 21 late is the default).",
                )
            )
    accepted = {k for s in process.stages for k in s.exit}
    for kind in sorted(process.kinds.values(), key=lambda k: (k.rung.level, k.key)):
        # Execute-rung kinds come after the decision; no stage needs to accept them.
        if kind.key not in accepted and kind.rung is not Rung.EXECUTE:
            findings.append(
                Finding(
                    "kind_not_accepted",
                    Severity.WARNING,
                    None,
                    f"No stage accepts '{kind.key}' ({kind.rung.value}); add it to a menu "
                    "or remove it from the catalogue.",
                )
            )
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
