"""Stage prerequisites: facts about a deal that must hold before it leaves a stage.

Prerequisites alone never open a gate; they are checked beside the exit commitment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dealgate.domain.stakeholder import Role

if TYPE_CHECKING:
    from dealgate.domain.deal import Deal


@dataclass(frozen=True)
class Prerequisite:
    key: str
    description: str
    fix: str
    holds: Callable[[Deal], bool]


def _dissatisfaction_documented(deal: Deal) -> bool:
    return bool(deal.dissatisfaction)


def _buying_committee_mapped(deal: Deal) -> bool:
    return any(s.role is Role.ECONOMIC_BUYER for s in deal.stakeholders)


PREREQUISITES: dict[str, Prerequisite] = {
    p.key: p
    for p in (
        Prerequisite(
            "dissatisfaction_documented",
            "the buyer's dissatisfaction with today is documented on the deal",
            "record it with `dealgate deal note DEAL --dissatisfaction TEXT`",
            _dissatisfaction_documented,
        ),
        Prerequisite(
            "buying_committee_mapped",
            "the buying committee is mapped: an economic buyer is among the stakeholders",
            "add them with `dealgate stakeholder add DEAL NAME --role economic_buyer`",
            _buying_committee_mapped,
        ),
    )
}
