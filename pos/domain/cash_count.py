"""Counting a drawer: notes and coins by denomination, and the cash it should hold.

Pure. The denominations come from pos.toml ([drawer] denominations, CNY by default) as
fen; a count names how many pieces of each, so the total is exact and a recount can be
compared piece by piece.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pos.domain.errors import DomainError
from pos.domain.money import format_amount

CNY_DENOMINATIONS = (10000, 5000, 2000, 1000, 500, 100, 50, 10)
"""Renminbi in circulation, in fen: 100, 50, 20, 10, 5 and 1 yuan (note or coin), 5 jiao
and 1 jiao. The 1-yuan note and coin are one denomination: they are worth the same."""

MAX_PIECES = 100_000
"""More pieces of one kind than any drawer holds: a slip of the keyboard."""


class CountError(DomainError):
    """A count that cannot be right (an unknown denomination, a negative number)."""


@dataclass(frozen=True, slots=True)
class CashCount:
    pieces: dict[int, int]
    """Pieces counted of each denomination (fen); denominations not counted are 0."""

    @property
    def total(self) -> int:
        return sum(value * count for value, count in self.pieces.items())

    def as_payload(self) -> dict[str, int]:
        """JSON object keys are text: "10000" for a 100-yuan note."""
        return {str(value): count for value, count in self.pieces.items()}


def count_cash(pieces: Mapping[int, int], denominations: Sequence[int]) -> CashCount:
    """The count, checked against the drawer's denominations."""
    for value, count in pieces.items():
        if value not in denominations:
            raise CountError(
                "Unknown denomination",
                f"{format_amount(value)} is not one of this drawer's notes or coins.",
            )
        if not 0 <= count <= MAX_PIECES:
            raise CountError(
                "Impossible count",
                f"{count} pieces of {format_amount(value)} cannot be right; count again.",
            )
    return CashCount({value: pieces.get(value, 0) for value in denominations})


@dataclass(frozen=True, slots=True)
class DrawerTakings:
    """What went into and out of one shift's drawer, by the ledger."""

    opening_float: int
    cash_sales: int
    cash_refunds: int
    pay_ins: int
    pay_outs: int
    bleeds: int
    by_tender: dict[str, int]
    """Net takings of the shift on every tender (sales less refunds), cash included."""

    @property
    def expected_cash(self) -> int:
        return expected_cash(
            self.opening_float,
            self.cash_sales,
            self.cash_refunds,
            pay_ins=self.pay_ins,
            pay_outs=self.pay_outs,
            bleeds=self.bleeds,
        )


def expected_cash(
    opening_float: int,
    cash_sales: int,
    cash_refunds: int,
    *,
    pay_ins: int,
    pay_outs: int,
    bleeds: int,
) -> int:
    """What a drawer should hold: the float, plus cash taken and put in, less cash given
    back, paid out and taken to the safe."""
    return opening_float + cash_sales - cash_refunds + pay_ins - pay_outs - bleeds
