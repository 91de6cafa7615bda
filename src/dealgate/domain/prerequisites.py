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
            "document it on the deal, in the buyer's words",
            _dissatisfaction_documented,
        ),
        Prerequisite(
            "buying_committee_mapped",
            "the buying committee is mapped (an economic buyer among the stakeholders)",
            "add the economic buyer to the buying committee",
            _buying_committee_mapped,
        ),
    )
}
