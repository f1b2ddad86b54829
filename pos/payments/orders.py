"""Wallet payment orders in the ledger: journaled before they are sent, resolved after.

`start_order` writes payment.started and only then may the order go to the gateway;
`finish_order` writes payment.resolved. An order with no outcome when the till starts
was cut off by a crash: `settle_open_orders` asks the gateway and finishes it. A
payment found paid there is given back, because its sale never committed (the sale
and its tender commit together); the customer is asked to pay again.

How it is given back depends on the order's trade type, journaled with it: a scanned
code (MICROPAY) is queried and reversed; the store's QR (NATIVE) cannot be reversed,
so it is closed, and refunded in full if the customer had paid it.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import select

from pos.ledger.database import Ledger, Writer
from pos.ledger.tables import JOURNAL, PAYMENT_ORDERS
from pos.payments.micropay import MicropayClient, Outcome, Payment

if TYPE_CHECKING:
    from pos.payments.native import NativePayClient

_log = logging.getLogger(__name__)


class TradeType(StrEnum):
    """How the customer pays an order, in the gateway's words (its trade_type)."""

    MICROPAY = "MICROPAY"
    """A payment code scanned at the counter."""
    NATIVE = "NATIVE"
    """The store's QR, scanned by the customer's phone."""


@dataclass(frozen=True, slots=True)
class OpenOrder:
    out_trade_no: str
    amount: int
    draft_id: str
    trade_type: TradeType = TradeType.MICROPAY


def new_out_trade_no(device_id: str) -> str:
    """Unique, at most 32 characters of the gateway's alphabet, the till's id first."""
    return f"{device_id[:7]}-{uuid.uuid4().hex[:24]}"


def start_order(
    ledger: Ledger,
    *,
    provider: str,
    amount: int,
    draft_id: str,
    cashier: str,
    auth_code: str = "",
    trade_type: TradeType = TradeType.MICROPAY,
) -> str:
    """Journal a new order and return its out_trade_no; send it only after this returns."""
    out_trade_no = new_out_trade_no(ledger.device_id)
    with ledger.transaction() as writer:
        writer.append(
            "payment.started",
            {
                "out_trade_no": out_trade_no,
                "provider": provider,
                "amount": amount,
                "draft_id": draft_id,
                "cashier": cashier,
                "code_tail": auth_code[-4:],
                # Read back if a crash leaves the order open: it says how to settle it.
                "trade_type": trade_type.value,
            },
        )
    return out_trade_no


def finish_order(ledger: Ledger, payment: Payment) -> None:
    with ledger.transaction() as writer:
        journal_outcome(writer, payment)


def journal_outcome(writer: Writer, payment: Payment) -> None:
    """payment.resolved in the caller's transaction (a paid order's sale commits with it)."""
    writer.append(
        "payment.resolved",
        {
            "out_trade_no": payment.out_trade_no,
            "outcome": payment.outcome.value,
            "transaction_id": payment.transaction_id,
            "openid": payment.openid,
            "reason": payment.reason,
        },
    )


def open_orders(ledger: Ledger) -> list[OpenOrder]:
    orders = PAYMENT_ORDERS.c
    with ledger.read() as conn:
        rows = conn.execute(
            select(orders.out_trade_no, orders.amount, orders.draft_id, JOURNAL.c.payload)
            # The trade type is in the order's payment.started only (no column needed:
            # it is read for the few orders still open, or a part given back).
            .join(JOURNAL, JOURNAL.c.seq == orders.started_seq)
            .where(orders.outcome.is_(None))
            .order_by(orders.started_seq)
        ).all()
    return [
        OpenOrder(out_trade_no, amount, draft_id, _trade_type(payload))
        for out_trade_no, amount, draft_id, payload in rows
    ]


def trade_type_of(ledger: Ledger, out_trade_no: str) -> TradeType:
    """The trade type journaled with an order (MICROPAY for one the ledger lacks)."""
    orders = PAYMENT_ORDERS.c
    with ledger.read() as conn:
        payload = conn.execute(
            select(JOURNAL.c.payload)
            .join(PAYMENT_ORDERS, JOURNAL.c.seq == orders.started_seq)
            .where(orders.out_trade_no == out_trade_no)
        ).scalar_one_or_none()
    return _trade_type(payload)


def _trade_type(payload: str | None) -> TradeType:
    # Orders journaled before the store QR existed have no trade_type: all were codes.
    if payload is None:
        return TradeType.MICROPAY
    return TradeType(json.loads(payload).get("trade_type", TradeType.MICROPAY))


def settle_open_orders(
    ledger: Ledger, client: MicropayClient, native: NativePayClient | None = None
) -> list[Payment]:
    """Finish every order a crash left open; blocking (a worker's job at start-up).

    A scanned code's order is queried, and reversed if paid or unclear. A store QR's
    is closed, and refunded in full if paid: that needs `native`; without it the order
    stays open (and is logged) for a start that has one, since a reverse is not how a
    QR order ends.
    """
    settled = []
    for order in open_orders(ledger):
        if order.trade_type is TradeType.NATIVE:
            if native is None:
                _log.warning("Store-QR order %s left open: no QR client", order.out_trade_no)
                continue
            payment = native.settle(order.out_trade_no, order.amount)
        else:
            payment = client.resolve(order.out_trade_no)
            if payment.outcome is Outcome.PAID:
                payment = client.reverse(order.out_trade_no)
        finish_order(ledger, payment)
        settled.append(payment)
    return settled
