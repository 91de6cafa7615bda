"""Interactions and their derived outcome: order, advance, continuation, no-sale (§3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dealgate.domain.commitment import Commitment
from dealgate.domain.errors import invalid
from dealgate.domain.ladder import Rung


class InteractionKind(StrEnum):
    MEETING = "meeting"
    CALL = "call"
    EMAIL = "email"
    NOTE = "note"


class Outcome(StrEnum):
    ORDER = "order"
    ADVANCE = "advance"
    CONTINUATION = "continuation"
    NO_SALE = "no_sale"


def parse_interaction_kind(text: str) -> InteractionKind:
    try:
        return InteractionKind(text)
    except ValueError:
        raise invalid(
            "invalid_interaction_kind",
            f"Unknown interaction kind '{text}'. Use one of: "
            f"{', '.join(k.value for k in InteractionKind)}.",
            "kind",
        ) from None


@dataclass
class Interaction:
    number: int
    kind: InteractionKind
    on: date
    summary: str
    created_at: datetime
    client_declined: bool = False


def outcome_of(interaction: Interaction, produced: Iterable[Commitment]) -> Outcome:
    """An advance needs an obtained buyer commitment; seller promises are continuations."""
    held = [c for c in produced if c.is_buyer and c.is_held]
    if any(c.rung_level is not None and c.rung_level >= Rung.DECIDE.level for c in held):
        return Outcome.ORDER
    if held:
        return Outcome.ADVANCE
    if interaction.client_declined:
        return Outcome.NO_SALE
    return Outcome.CONTINUATION
