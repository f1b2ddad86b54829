"""Paying the sale in progress with a scanned wallet payment code, in full or in part.

The order is journaled (payment.started) before the gateway hears of it, and a paid
order's resolution commits in the same transaction as the sale with its wallet
tender: either both are in the ledger or neither is. If the sale cannot be committed
after the money was taken (the disk failed), the payment is reversed at once, and if
even that cannot be recorded, the order is still open in the ledger and is settled
(reversed) when the till next starts. Nothing is charged twice, nothing is lost.

A part of a split-tender sale (Checkout.split) is charged the same way; its resolution
commits with the draft that keeps it, and the sale commits with every part when the
last one is paid. Clearing a part-paid sale gives the wallet parts back first: a
scanned code's by a reverse, a store QR's (store_qr_tender) by a refund in full.

Blocking (the gateway's schedule runs up to its 45 s deadline): a worker's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pos.checkout import Checkout
from pos.domain.sale import SaleRecord, TenderError, TenderLine
from pos.errors import PosError
from pos.ledger.database import Writer
from pos.payments.micropay import MicropayClient, Outcome, Payment, Progress
from pos.payments.native import refund_in_full
from pos.payments.orders import (
    TradeType,
    finish_order,
    journal_outcome,
    start_order,
    trade_type_of,
)

PROVIDER = "wechat"


@dataclass(frozen=True, slots=True)
class WalletResult:
    payment: Payment
    sale: SaleRecord | None
    """The committed sale when the payment paid what was due; None otherwise (the cart
    is untouched: take another code, or cash)."""

    @property
    def part_paid(self) -> bool:
        """A part of a split sale was paid; more is due."""
        return self.sale is None and self.payment.outcome is Outcome.PAID


def pay_by_wallet(
    checkout: Checkout,
    client: MicropayClient,
    auth_code: str,
    *,
    body: str,
    on_progress: Callable[[Progress], None] = lambda _progress: None,
    cancel: threading.Event | None = None,
) -> WalletResult:
    amount, out_trade_no = open_order(checkout, auth_code=auth_code)
    payment = client.pay(
        out_trade_no, amount, auth_code, body, on_progress=on_progress, cancel=cancel
    )
    return record_payment(checkout, payment, amount, give_back=client.reverse)


def open_order(
    checkout: Checkout, *, auth_code: str = "", trade_type: TradeType = TradeType.MICROPAY
) -> tuple[int, str]:
    """Journal a wallet order for the next amount due; (amount, out_trade_no) to send.

    Every wallet tender (a code scanned at the counter, the store's QR) starts here;
    the trade type is journaled with it, so a crash's open order is settled its way.
    """
    amount = checkout.next_amount()
    if amount <= 0:
        raise TenderError("Nothing to pay", "The sale has no amount due.")
    # The order names the draft, so the sale it pays for survives a crash with it.
    checkout.save_draft()
    out_trade_no = start_order(
        checkout.ledger,
        provider=PROVIDER,
        amount=amount,
        draft_id=checkout.draft_id,
        cashier=checkout.till.cashier,
        auth_code=auth_code,
        trade_type=trade_type,
    )
    return amount, out_trade_no


def record_payment(
    checkout: Checkout, payment: Payment, amount: int, *, give_back: Callable[[str], Payment]
) -> WalletResult:
    """Journal how an order ended; a paid one commits the sale (or keeps the part) in
    the same transaction. If that cannot be recorded, `give_back` returns the money
    (the order is settled at the next start if even that cannot be recorded)."""
    if payment.outcome is not Outcome.PAID:
        finish_order(checkout.ledger, payment)
        return WalletResult(payment, None)
    tender = TenderLine(payment.out_trade_no, PROVIDER, amount, amount, 0)

    def resolved(writer: Writer) -> None:
        journal_outcome(writer, payment)

    try:
        if amount < checkout.amount_due():
            checkout.take_part(tender, with_part=resolved)
            return WalletResult(payment, None)
        sale = checkout.commit((tender,), with_sale=resolved)
    except PosError:
        finish_order(checkout.ledger, give_back(payment.out_trade_no))
        raise
    return WalletResult(payment, sale)


def give_back_parts(checkout: Checkout, client: MicropayClient | None) -> int:
    """Give back the wallet parts of a part-paid sale (reversed, or refunded in full for
    a store QR's) and clear it; returns the cash parts' total, for the cashier to hand
    back. Stops, keeping the sale, at a part the gateway does not confirm given back."""
    for tender in [t for t in checkout.tenders if t.tender == PROVIDER]:
        if client is None:
            raise PosError(
                "Wallet payments unavailable",
                "A wallet part cannot be given back while the gateway is unavailable.",
            )
        if trade_type_of(checkout.ledger, tender.payment_id) is TradeType.NATIVE:
            # Not reversible: the gateway's reverse is for scanned codes only.
            given_back = refund_in_full(client, tender.payment_id, tender.amount)
        else:
            given_back = client.reverse(tender.payment_id)
        if given_back.outcome is not Outcome.REVERSED:
            raise PosError(
                "Not given back",
                f"Order {tender.payment_id} was not confirmed reversed ({given_back.reason}); "
                "the sale is kept. Try again.",
            )

        def reversed_(writer: Writer, payment: Payment = given_back) -> None:
            journal_outcome(writer, payment)

        checkout.drop_part(tender.payment_id, with_part=reversed_)
    cash = sum(tender.amount for tender in checkout.tenders)
    checkout.clear()
    return cash
