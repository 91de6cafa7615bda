"""What changed in the pipeline's review between two moments: the weekly meeting's question.

Both reviews are of the deals as they were at their moment (`as_of.py`), so a flag listed as
new was not there then, and one listed as cleared is gone: a deal closed since has all of
its flags cleared and no stage in the later review.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from dealgate.domain.review import FLAG_CODES, DealReview


@dataclass(frozen=True)
class ReviewChange:
    deal_id: int
    name: str
    owner: str
    stage_then: str | None  # None: opened since (or out of view then)
    stage_now: str | None  # None: closed since (or out of view now)
    added: tuple[str, ...]  # flags it has now and had not then
    cleared: tuple[str, ...]  # flags it had then and has not now

    @property
    def moved(self) -> bool:
        return self.stage_then != self.stage_now


def review_changes(then: list[DealReview], now: list[DealReview]) -> list[ReviewChange]:
    """The deals whose flags or stage differ between two reviews, in deal order."""
    before = {r.deal_id: r for r in then}
    after = {r.deal_id: r for r in now}
    changes = []
    for deal_id in sorted(before.keys() | after.keys()):
        old, new = before.get(deal_id), after.get(deal_id)
        had = set(old.codes) if old else set()
        has = set(new.codes) if new else set()
        latest = new or old
        assert latest is not None
        change = ReviewChange(
            deal_id=deal_id,
            name=latest.name,
            owner=latest.owner,
            stage_then=old.stage if old else None,
            stage_now=new.stage if new else None,
            added=_in_order(has - had),
            cleared=_in_order(had - has),
        )
        if change.added or change.cleared or change.moved:
            changes.append(change)
    return changes


def flag_moves(changes: list[ReviewChange]) -> dict[str, tuple[int, int]]:
    """Per flag, how many deals gained it and how many lost it."""
    added = Counter(code for c in changes for code in c.added)
    cleared = Counter(code for c in changes for code in c.cleared)
    return {code: (added[code], cleared[code]) for code in FLAG_CODES}


def _in_order(codes: set[str]) -> tuple[str, ...]:
    return tuple(code for code in FLAG_CODES if code in codes)
