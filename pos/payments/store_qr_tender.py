"""Paying the sale in progress with the store's QR (WeChat Pay native pay), in full or
in part: the till shows a QR for the amount due and the customer scans it.

    open_order (payment.started, trade_type NATIVE)
    create ─► code_url ─► on_code (the screen draws the QR)
        no QR (refused, or no answer) ─► payment.resolved failed, PosError raised
    wait (the notify, or queries) ─► PAID / FAILED (closed) / UNRESOLVED
    record_payment: a paid order commits the sale, or keeps the part, with its tender

Like a scanned code's (wallet_tender), the order is journaled before the gateway
hears of it and a paid order commits with its sale. What differs is the way money is
given back: a QR order cannot be reversed, so a paid order whose sale cannot be
recorded is refunded in full, and one a crash left open is closed (and refunded if
paid) when the till starts (orders.settle_open_orders).

Blocking (the QR stays up to its deadline): a worker's job.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pos.checkout import Checkout
from pos.payments.micropay import Outcome, Payment
from pos.payments.native import (
    DEFAULT_DEADLINE_S,
    NativePayClient,
    NativePayError,
    NativeProgress,
    NotifyReceiver,
)
from pos.payments.orders import TradeType, finish_order
from pos.payments.wallet_tender import WalletResult, open_order, record_payment


def pay_by_store_qr(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    *,
    body: str,
    on_code: Callable[[str], None],
    on_progress: Callable[[NativeProgress], None] = lambda _progress: None,
    cancel: threading.Event | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> WalletResult:
    """Show the customer a QR for the next amount due (`on_code` gets its code_url) and
    wait for it to be paid, until `deadline_s` or `cancel`.

    Raises TenderError when nothing is due, and the gateway's NativePayError (a
    PosError) when there is no QR to show; the order is journaled failed first.
    """
    amount, out_trade_no = open_order(checkout, trade_type=TradeType.NATIVE)
    notified = receiver.expect(out_trade_no)
    try:
        try:
            code_url = native.create(out_trade_no, amount, body, receiver.url)
        except NativePayError as error:
            # No one holds a QR for it, so no one can pay it: failed for good.
            finish_order(
                checkout.ledger, Payment(out_trade_no, Outcome.FAILED, reason=error.message)
            )
            raise
        if cancel is None or not cancel.is_set():
            # Not shown once cancelled: the wait closes it at once, unpaid.
            on_code(code_url)
        payment = native.wait(
            out_trade_no,
            notified=notified,
            on_progress=on_progress,
            cancel=cancel,
            deadline_s=deadline_s,
        )
        return record_payment(
            checkout,
            payment,
            amount,
            give_back=lambda paid: native.refund_in_full(paid, payment.total_fee or amount),
        )
    finally:
        receiver.forget(out_trade_no)
