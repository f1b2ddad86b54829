"""Wallet payment orders in the ledger: journaled before they are sent, resolved after.

`start_order` writes payment.started and only then may the order go to the gateway;
`finish_order` writes payment.resolved. An order with no outcome when the till starts
was cut off by a crash: `settle_open_orders` asks the gateway and finishes it. A
payment found paid there is reversed, because its sale never committed (the sale and
its tender commit together); the customer is asked to pay again, with a new code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from pos.ledger.database import Ledger, Writer
from pos.ledger.tables import PAYMENT_ORDERS
from pos.payments.micropay import MicropayClient, Outcome, Payment


@dataclass(frozen=True, slots=True)
class OpenOrder:
    out_trade_no: str
    amount: int
    draft_id: str


def new_out_trade_no(device_id: str) -> str:
    """Unique, at most 32 characters of the gateway's alphabet, the till's id first."""
    return f"{device_id[:7]}-{uuid.uuid4().hex[:24]}"


def start_order(
    ledger: Ledger, *, provider: str, amount: int, draft_id: str, cashier: str, auth_code: str
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
            select(orders.out_trade_no, orders.amount, orders.draft_id)
            .where(orders.outcome.is_(None))
            .order_by(orders.started_seq)
        ).all()
    return [OpenOrder(*row) for row in rows]


def settle_open_orders(ledger: Ledger, client: MicropayClient) -> list[Payment]:
    """Finish every order a crash left open; blocking (a worker's job at start-up)."""
    settled = []
    for order in open_orders(ledger):
        payment = client.resolve(order.out_trade_no)
        if payment.outcome is Outcome.PAID:
            payment = client.reverse(order.out_trade_no)
        finish_order(ledger, payment)
        settled.append(payment)
    return settled
