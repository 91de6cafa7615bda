"""A stage's deals and amount, and the part no buyer commitment backs (board and review)."""

from __future__ import annotations

from decimal import Decimal

from dealgate.services import views


class StageTotal:
    """A stage's deals and amount, and the part of both that no buyer commitment backs:
    what other CRMs' column totals do not tell."""

    def __init__(self) -> None:
        self.deals = self.unbacked = 0
        self.amount = self.unbacked_amount = Decimal(0)

    def add(self, amount: Decimal | None, backed: bool, deals: int = 1) -> None:
        """`deals` deals of `amount` in all, backed by their buyers' commitments or not."""
        self.deals += deals
        self.amount += amount or 0
        if not backed:
            self.unbacked += deals
            self.unbacked_amount += amount or 0

    @property
    def amount_display(self) -> str | None:
        return views.money_display(self.amount)

    @property
    def unbacked_display(self) -> str | None:
        return views.money_display(self.unbacked_amount)
