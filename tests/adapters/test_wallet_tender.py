"""Paying a sale with a wallet code, end to end: the checkout on a real ledger file,
the micropay client, the wallet sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest
from support import raw

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from pos.checkout import Checkout
from pos.domain.sale import TenderError
from pos.errors import PosError
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient, Outcome
from pos.payments.orders import open_orders
from pos.payments.wallet_tender import pay_by_wallet

WATER = "6921168509256"
PAYER = "135790"


def test_a_paid_wallet_sale_commits_with_its_tender_and_the_payer(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 3)
    result = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert result.payment.outcome is Outcome.PAID
    assert result.sale is not None
    assert result.sale.total == 600
    (tender,) = result.sale.payments
    assert (tender.tender, tender.amount, tender.payment_id) == (
        "wechat", 600, result.payment.out_trade_no
    )  # fmt: skip
    assert checkout.cart.is_empty
    (order,) = raw(checkout.ledger.path, "SELECT outcome, openid, amount FROM payment_orders")
    assert order == {"outcome": "paid", "openid": result.payment.openid, "amount": 600}
    # The resolution and the sale are adjacent events of one transaction.
    types = [
        row["type"] for row in raw(checkout.ledger.path, "SELECT type FROM journal ORDER BY seq")
    ]
    assert types[-3:] == ["payment.started", "payment.resolved", "sale.completed"]
    assert sandbox.state.order(result.payment.out_trade_no).taken_fen == 600
    assert verify(checkout.ledger).ok


@pytest.mark.parametrize(("behaviour", "outcome"), [("9", Outcome.FAILED), ("7", Outcome.REVERSED)])
def test_a_payment_that_does_not_go_through_leaves_the_sale_to_pay_again(
    checkout: Checkout, gateway: MicropayClient, behaviour: str, outcome: Outcome
) -> None:
    checkout.scan(WATER)
    result = pay_by_wallet(checkout, gateway, make_code(PAYER, behaviour), body="Demo Mart")
    assert result.payment.outcome is outcome
    assert result.sale is None
    assert [line.item.barcode for line in checkout.cart.lines] == [WATER]
    assert raw(checkout.ledger.path, "SELECT count(*) AS n FROM sales") == [{"n": 0}]
    assert open_orders(checkout.ledger) == []
    # ... and cash still works for the same sale.
    assert checkout.pay_cash().total == 200


def test_an_empty_sale_sends_nothing(checkout: Checkout, gateway: MicropayClient) -> None:
    with pytest.raises(TenderError):
        pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert raw(checkout.ledger.path, "SELECT count(*) AS n FROM payment_orders") == [{"n": 0}]


def test_a_sale_that_cannot_be_recorded_after_payment_gives_the_money_back(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER)
    # A damaged ledger: the sale's tax rows have nowhere to go, so its commit fails
    # after the gateway has taken the money.
    with checkout.ledger.transaction() as writer:
        writer.conn.exec_driver_sql("DROP TABLE sale_taxes")
    with pytest.raises(PosError):
        pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    (order,) = raw(checkout.ledger.path, "SELECT out_trade_no, outcome FROM payment_orders")
    assert order["outcome"] == "reversed"
    assert sandbox.state.order(order["out_trade_no"]).taken_fen == 0
    assert [line.item.barcode for line in checkout.cart.lines] == [WATER]
