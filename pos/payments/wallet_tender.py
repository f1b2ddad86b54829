"""Paying the sale in progress with a scanned wallet payment code.

The order is journaled (payment.started) before the gateway hears of it, and a paid
order's resolution commits in the same transaction as the sale with its wallet
tender: either both are in the ledger or neither is. If the sale cannot be committed
after the money was taken (the disk failed), the payment is reversed at once, and if
even that cannot be recorded, the order is still open in the ledger and is settled
(reversed) when the till next starts. Nothing is charged twice, nothing is lost.

Blocking (the gateway's schedule runs up to its 45 s deadline): a worker's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pos.checkout import Checkout
from pos.domain.sale import SaleRecord, TenderError, TenderLine
from pos.errors import PosError
from pos.payments.micropay import MicropayClient, Outcome, Payment, Progress
from pos.payments.orders import finish_order, journal_outcome, start_order

PROVIDER = "wechat"


@dataclass(frozen=True, slots=True)
class WalletResult:
    payment: Payment
    sale: SaleRecord | None
    """The committed sale when the payment went through; None otherwise (the cart is
    untouched: take another code, or cash)."""


def pay_by_wallet(
    checkout: Checkout,
    client: MicropayClient,
    auth_code: str,
    *,
    body: str,
    on_progress: Callable[[Progress], None] = lambda _progress: None,
    cancel: threading.Event | None = None,
) -> WalletResult:
    totals = checkout.cart.totals()
    if totals.total <= 0:
        raise TenderError("Nothing to pay", "The sale has no amount due.")
    # The order names the draft, so the sale it pays for survives a crash with it.
    checkout.save_draft()
    out_trade_no = start_order(
        checkout.ledger,
        provider=PROVIDER,
        amount=totals.total,
        draft_id=checkout.draft_id,
        cashier=checkout.till.cashier,
        auth_code=auth_code,
    )
    payment = client.pay(
        out_trade_no, totals.total, auth_code, body, on_progress=on_progress, cancel=cancel
    )
    if payment.outcome is not Outcome.PAID:
        finish_order(checkout.ledger, payment)
        return WalletResult(payment, None)
    tender = TenderLine(out_trade_no, PROVIDER, totals.total, totals.total, 0)
    try:
        sale = checkout.commit(
            (tender,), totals, with_sale=lambda writer: journal_outcome(writer, payment)
        )
    except PosError:
        given_back = client.reverse(out_trade_no)
        finish_order(checkout.ledger, given_back)  # may fail too: then settled at start
        raise
    return WalletResult(payment, sale)
