"""Where on a deal's page a gate refusal is fixed. The domain says what to do in the product's
words; the pages link each refusal to the form that does it, as the CLI names the command."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

_RECORD = ("record-commitment", "Record the buyer's commitment")

# (code, field) -> (the anchor on the deal page, the link's words); {number}: the commitment.
FORMS: dict[tuple[str, str], tuple[str, str]] = {
    ("no_buyer_commitment", "commitments"): _RECORD,
    ("only_seller_commitments", "commitments"): _RECORD,
    ("kind_not_on_exit_menu", "kind"): _RECORD,
    ("stage_skipped", "commitments"): _RECORD,
    ("commitment_undated", "due"): ("commitment-{number}", "Mark #{number} kept once done"),
    ("no_buyer_person", "person"): ("commitment-{number}", "Name who made #{number}"),
    ("prerequisite_missing", "requires.dissatisfaction_documented"): (
        "dissatisfaction",
        "Document the buyer's dissatisfaction",
    ),
    ("prerequisite_missing", "requires.buying_committee_mapped"): (
        "committee-h",
        "Add the economic buyer to the committee",
    ),
}


class Refusal(Protocol):
    """A gate violation or an error detail: both say their code, field and commitment."""

    @property
    def code(self) -> str: ...
    @property
    def field(self) -> str | None: ...
    @property
    def commitment(self) -> int | None: ...


@dataclass(frozen=True)
class Remedy:
    href: str
    label: str


def remedy(refusal: Refusal, deal_id: int) -> Remedy | None:
    """The link to the form on deal `deal_id`'s page that fixes `refusal`, if one does."""
    form = FORMS.get((refusal.code, refusal.field or ""))
    if form is None:
        return None
    anchor, label = form
    if "{number}" in anchor and refusal.commitment is None:
        return None
    number = refusal.commitment
    return Remedy(f"/deals/{deal_id}#{anchor.format(number=number)}", label.format(number=number))


def remedies(refusals: list[Refusal], deal_id: int) -> list[Remedy]:
    """Each distinct link that fixes one of `refusals`, in their order."""
    out: list[Remedy] = []
    for r in refusals:
        found = remedy(r, deal_id)
        if found is not None and found not in out:
            out.append(found)
    return out
