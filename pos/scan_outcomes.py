"""What a scan or a typed entry did to the sale.

Kept apart from the checkout (which needs the database) so the TUI can tell outcomes
apart without importing the ledger at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.cart import CartLine
from pos.domain.catalog import CatalogItem


@dataclass(frozen=True, slots=True)
class Added:
    """A scan or entry put an item on the sale."""

    line: CartLine
    item: CatalogItem


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing changed; `reason` is a stable key, title and message are for the cashier."""

    reason: str
    title: str
    message: str


@dataclass(frozen=True, slots=True)
class ReceiptRequested:
    """A receipt's code was scanned: the caller opens that sale (reprint, return)."""

    receipt_no: str


@dataclass(frozen=True, slots=True)
class WalletPresented:
    """A customer's payment code was scanned with a sale to pay: the caller charges it."""

    code: str
    provider: str
    """wechat or alipay."""


@dataclass(frozen=True, slots=True)
class MemberPresented:
    """A member code was scanned: the caller checks it and puts the member on the sale
    (Checkout.present_member, which reads the ledger)."""

    code: str


@dataclass(frozen=True, slots=True)
class CouponPresented:
    """A coupon code was scanned: the caller checks it and adds it to the sale
    (Checkout.present_coupon, which reads the ledger)."""

    code: str


ScanOutcome = (
    Added | Refused | ReceiptRequested | WalletPresented | MemberPresented | CouponPresented
)
