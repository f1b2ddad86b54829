"""A sale paid in parts across cash and WeChat Pay: the checkout on a real ledger file,
the wallet sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest
from support import raw

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.state import TradeState
from pos.checkout import Checkout
from pos.domain.sale import TenderError
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient, Outcome
from pos.payments.wallet_tender import give_back_parts, pay_by_wallet
from pos.scan_outcomes import Refused

WATER = "6921168509256"  # 2.00
PAYER = "864200"


def fresh_checkout(checkout: Checkout) -> Checkout:
    """The same till after a restart: a new Checkout on the same ledger."""
    return Checkout(checkout.ledger, checkout.catalog, checkout.till, checkout.rules)


def test_a_cash_part_then_cash_for_the_rest(checkout: Checkout) -> None:
    checkout.scan(WATER, 5)  # 10.00
    checkout.split(400)
    assert checkout.tender_cash(500) is None  # a part: 4.00 of a 5.00 note
    assert checkout.amount_due() == 600
    sale = checkout.tender_cash(None)
    assert sale is not None
    assert [(p.tender, p.amount, p.tendered, p.change) for p in sale.payments] == [
        ("cash", 400, 500, 100),
        ("cash", 600, 600, 0),
    ]
    assert sale.change == 100
    assert checkout.tenders == []
    assert checkout.cart.is_empty
    assert verify(checkout.ledger).ok


def test_a_cash_part_then_wallet_for_the_rest(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 5)
    checkout.split(300)
    checkout.tender_cash(None)
    result = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert result.sale is not None
    assert [(p.tender, p.amount) for p in result.sale.payments] == [("cash", 300), ("wechat", 700)]
    assert sandbox.state.order(result.payment.out_trade_no).taken_fen == 700


def test_a_wallet_part_survives_a_restart_and_the_sale_commits_with_it(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 5)
    checkout.split(300)
    part = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert part.part_paid
    assert part.sale is None
    assert sandbox.state.order(part.payment.out_trade_no).taken_fen == 300

    again = fresh_checkout(checkout)  # the till restarts with the part-paid sale
    assert again.restore_draft()
    assert [(t.payment_id, t.tender, t.amount) for t in again.tenders] == [
        (part.payment.out_trade_no, "wechat", 300)
    ]
    assert again.amount_due() == 700
    sale = again.pay_cash(1000)
    assert [(p.tender, p.amount, p.change) for p in sale.payments] == [
        ("wechat", 300, 0),
        ("cash", 700, 300),
    ]
    (order,) = raw(checkout.ledger.path, "SELECT outcome FROM payment_orders")
    assert order == {"outcome": "paid"}
    assert verify(checkout.ledger).ok


def test_two_wallets_split_a_sale(checkout: Checkout, gateway: MicropayClient) -> None:
    checkout.scan(WATER, 5)
    checkout.split(450)
    pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    result = pay_by_wallet(checkout, gateway, make_code("975310"), body="Demo Mart")
    assert result.sale is not None
    assert [p.amount for p in result.sale.payments] == [450, 550]


def test_once_a_part_is_paid_the_goods_are_fixed(checkout: Checkout) -> None:
    checkout.scan(WATER, 2)
    checkout.split(100)
    checkout.tender_cash(None)
    outcome = checkout.scan(WATER)
    assert isinstance(outcome, Refused)
    assert outcome.reason == "payment_started"
    with pytest.raises(TenderError):
        checkout.check_changeable()
    with pytest.raises(TenderError, match="Finish or clear"):
        checkout.suspend()
    assert checkout.cart.totals().total == 400


@pytest.mark.parametrize("amount", [0, 1000, 1200])
def test_a_part_must_be_less_than_what_is_due(checkout: Checkout, amount: int) -> None:
    checkout.scan(WATER, 5)
    with pytest.raises(TenderError, match="A part payment is more than"):
        checkout.split(amount)
    assert checkout.part is None


def test_clearing_a_part_paid_sale_gives_the_wallet_part_back(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 5)
    checkout.split(200)
    checkout.tender_cash(None)  # 2.00 cash
    checkout.split(300)
    part = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    with pytest.raises(TenderError, match="Give the wallet payments back"):
        checkout.clear()
    assert give_back_parts(checkout, gateway) == 200  # the cash to hand back
    assert sandbox.state.order(part.payment.out_trade_no).state is TradeState.REVOKED
    assert checkout.cart.is_empty
    assert checkout.tenders == []
    assert raw(checkout.ledger.path, "SELECT count(*) AS n FROM drafts") == [{"n": 0}]
    outcomes = raw(checkout.ledger.path, "SELECT outcome FROM payment_orders")
    assert outcomes == [{"outcome": Outcome.REVERSED.value}]
    assert verify(checkout.ledger).ok
