"""Returns: what can still come back from a sale, what it is worth, and which tenders
the money goes back on. Pure: the ledger supplies what earlier returns took.

Amounts are cumulative so a sale returned in pieces gives back exactly what it took,
to the fen: after `k` of a line's `n` units have come back, the customer has had
floor(net * k / n), so the last unit carries the rounding and the parts add up to
the line's net. Weighed lines come back whole (quantity 1 stands for the weight).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pos.domain.errors import DomainError
from pos.domain.money import allocate, format_amount, tax_included
from pos.domain.sale import SaleRecord, SoldLine, fields_of


class ReturnError(DomainError):
    """A return that cannot be made (nothing picked, more than is left to return)."""


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    line_no: int
    """The sale's line number."""
    quantity: int
    amount: int
    """What these units paid, in fen (their share of the line's net)."""
    tax: int


@dataclass(frozen=True, slots=True)
class RefundPart:
    refund_no: str
    payment_id: str
    """The sale's tender the money goes back on."""
    tender: str
    amount: int


class RefundOutcome(StrEnum):
    """How a refund part ended (return.completed)."""

    REFUNDED = "refunded"
    """Back on its own tender (cash out of the drawer, or the wallet's refund API)."""
    IN_CASH = "in_cash"
    """The wallet refused the refund (it gave its reason), so it was paid out in cash."""


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_no: str
    outcome: str
    """A RefundOutcome value."""
    refund_id: str = ""
    """The gateway's id for a wallet refund."""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReturnRecord:
    """A return as journaled: return.started holds all but `results`; return.completed
    adds them once every refund has an answer."""

    return_id: str
    receipt_no: str
    """The return's own receipt number."""
    sale_id: str
    sale_receipt_no: str
    cashier: str
    manager: str
    """Who approved it with a PIN."""
    lines: tuple[ReturnedLine, ...]
    refunds: tuple[RefundPart, ...]
    results: tuple[RefundResult, ...] = ()
    ts: str = ""
    """When the return completed (or started, while it is open)."""
    device_id: str = ""
    names: dict[int, str] = field(default_factory=dict)
    """The returned lines' product names by line number, for the screen and receipt."""

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def cash_back(self) -> int:
        """What comes out of the drawer: cash refunds and refused wallet refunds."""
        in_cash = {r.refund_no for r in self.results if r.outcome == RefundOutcome.IN_CASH}
        return sum(
            part.amount
            for part in self.refunds
            if part.tender == "cash" or part.refund_no in in_cash
        )

    def started_payload(self) -> dict[str, Any]:
        return {
            "return_id": self.return_id,
            "receipt_no": self.receipt_no,
            "sale_id": self.sale_id,
            "sale_receipt_no": self.sale_receipt_no,
            "cashier": self.cashier,
            "manager": self.manager,
            "amount": self.amount,
            "lines": [fields_of(line) for line in self.lines],
            "refunds": [fields_of(part) for part in self.refunds],
            "names": {str(no): name for no, name in self.names.items()},
        }

    def completed_payload(self) -> dict[str, Any]:
        return {
            "return_id": self.return_id,
            "results": [fields_of(result) for result in self.results],
            "cash_back": self.cash_back,
        }

    @classmethod
    def from_payloads(
        cls,
        started: dict[str, Any],
        completed: dict[str, Any] | None,
        *,
        ts: str,
        device_id: str,
    ) -> ReturnRecord:
        return cls(
            return_id=started["return_id"],
            receipt_no=started["receipt_no"],
            sale_id=started["sale_id"],
            sale_receipt_no=started["sale_receipt_no"],
            cashier=started["cashier"],
            manager=started["manager"],
            lines=tuple(ReturnedLine(**line) for line in started["lines"]),
            refunds=tuple(RefundPart(**part) for part in started["refunds"]),
            results=tuple(
                RefundResult(**result) for result in (completed or {}).get("results", [])
            ),
            ts=ts,
            device_id=device_id,
            names={int(no): name for no, name in started["names"].items()},
        )


@dataclass(frozen=True, slots=True)
class History:
    """What earlier returns of the sale took back, per line and per tender."""

    returned: Mapping[int, int]
    """Units already returned, by line number."""
    refunded: Mapping[str, int]
    """Fen already given back, by payment id."""


def units(line: SoldLine) -> int:
    """How many units the line sold as far as returns count them."""
    return 1 if line.weight_g is not None else line.quantity


def returnable(sale: SaleRecord, history: History) -> dict[int, int]:
    """Units of each line still returnable."""
    return {
        line.line_no: units(line) - history.returned.get(line.line_no, 0) for line in sale.lines
    }


def returned_line(line: SoldLine, already: int, quantity: int) -> ReturnedLine:
    """The refund for `quantity` more units of `line` after `already` came back."""
    count = units(line)
    before = line.net * already // count
    after = line.net * (already + quantity) // count
    tax = tax_included(after, line.tax_rate_bp) - tax_included(before, line.tax_rate_bp)
    return ReturnedLine(line.line_no, quantity, after - before, tax)


def plan_lines(
    sale: SaleRecord, picks: Mapping[int, int], history: History
) -> tuple[ReturnedLine, ...]:
    """The returned lines for `picks` (line number -> units), checked against what is left."""
    left = returnable(sale, history)
    by_no = {line.line_no: line for line in sale.lines}
    lines = []
    for line_no, quantity in sorted(picks.items()):
        if quantity == 0:
            continue
        if line_no not in by_no:
            raise ReturnError("No such line", f"Receipt {sale.receipt_no} has no line {line_no}.")
        if quantity < 0 or quantity > left[line_no]:
            raise ReturnError(
                "Too many returned",
                f"Line {line_no} has {left[line_no]} left to return, not {quantity}.",
            )
        already = history.returned.get(line_no, 0)
        lines.append(returned_line(by_no[line_no], already, quantity))
    if not lines:
        raise ReturnError("Nothing to return", "Pick the lines and quantities coming back.")
    return tuple(lines)


def plan_refunds(
    sale: SaleRecord, amount: int, history: History, refund_nos: list[str]
) -> tuple[RefundPart, ...]:
    """Spread `amount` over the sale's tenders in proportion to what each has left.

    A split-tender sale returned in part gives back on every tender, and never more on
    a tender than it paid; `refund_nos` names each part (one per tender, in order).
    """
    left = [
        payment.amount - history.refunded.get(payment.payment_id, 0) for payment in sale.payments
    ]
    if amount > sum(left):
        raise ReturnError(
            "Refund too large",
            f"Only {format_amount(sum(left))} of receipt {sale.receipt_no} is left to refund.",
        )
    shares = allocate(amount, left)
    return tuple(
        RefundPart(refund_no, payment.payment_id, payment.tender, share)
        for refund_no, payment, share in zip(refund_nos, sale.payments, shares, strict=True)
        if share
    )
