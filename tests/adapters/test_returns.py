"""Returns end to end: sales on a real ledger file, refunds through the wallet sandbox
over real HTTP on 127.0.0.1, the return receipt rendered from the ledger."""

from __future__ import annotations

import pytest
from support import raw

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from pos.checkout import Checkout
from pos.config import Config
from pos.domain.errors import PosError
from pos.domain.returns import RefundOutcome, ReturnError, ReturnRecord
from pos.domain.sale import SaleRecord
from pos.hardware import receipt_renderer, store_header
from pos.ledger.queries import open_returns
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.print_queue import Job
from pos.returns import Refunder, complete_return, find_sale, settle_open_returns, start_return
from receipts.escpos_parse import parse, replay
from receipts.render_text import render_text
from receipts.text import receipt_lines

WATER = "6921168509256"  # 2.00
COLA = "6954767003306"  # 3.00
PAYER = "112358"


def returned(
    checkout: Checkout, sale: SaleRecord, picks: dict[int, int], **wallets: Refunder
) -> ReturnRecord:
    record = start_return(
        checkout.ledger, sale.receipt_no, picks, cashier="101", manager="900", receipt_prefix="T01-"
    )
    return complete_return(checkout.ledger, record, wallets)


def wallet_sale(checkout: Checkout, gateway: MicropayClient, quantity: int) -> SaleRecord:
    checkout.scan(WATER, quantity)
    result = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert result.sale is not None
    return result.sale


def test_part_of_a_cash_sale_comes_back_in_cash_with_a_return_receipt(
    checkout: Checkout, demo_config: Config
) -> None:
    checkout.scan(WATER, 3)
    checkout.scan(COLA)
    sale = checkout.pay_cash(1000)
    done = returned(checkout, sale, {1: 2})
    assert (done.receipt_no, done.amount, done.cash_back) == ("T01-R00001", 400, 400)
    assert [r.outcome for r in done.results] == [RefundOutcome.REFUNDED]
    assert find_sale(checkout.ledger, sale.receipt_no).left() == {1: 1, 2: 1}
    jobs = raw(checkout.ledger.path, "SELECT receipt_no FROM print_jobs ORDER BY job_id")
    assert jobs[-1] == {"receipt_no": "T01-R00001"}

    text = "\n".join(receipt_lines(done, store_header(demo_config), lang="en"))
    assert "RETURN" in text
    assert sale.receipt_no in text
    assert "-4.00" in text
    render = receipt_renderer(demo_config, checkout.ledger, store_header(demo_config))
    printed = replay(parse(render(Job(1, "T01-R00001", False, 0))), 80)
    assert any("T01-R00001" in line for line in render_text(printed))
    assert verify(checkout.ledger).ok


def test_nothing_comes_back_twice(checkout: Checkout) -> None:
    checkout.scan(WATER, 2)
    sale = checkout.pay_cash()
    returned(checkout, sale, {1: 1})
    returned(checkout, sale, {1: 1})
    with pytest.raises(ReturnError, match="Line 1 has 0 left"):
        returned(checkout, sale, {1: 1})
    assert raw(checkout.ledger.path, "SELECT sum(amount) AS fen FROM returns") == [{"fen": 400}]


def test_a_wallet_sale_is_refunded_through_the_gateway(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    sale = wallet_sale(checkout, gateway, 5)
    done = returned(checkout, sale, {1: 2}, wechat=gateway)
    (result,) = done.results
    assert result.outcome == RefundOutcome.REFUNDED
    assert result.refund_id
    assert done.cash_back == 0
    order = sandbox.state.order(sale.payments[0].payment_id)
    assert (order.returned_fen, order.taken_fen) == (400, 600)


def test_part_of_a_split_sale_goes_back_on_both_tenders(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 5)  # 10.00: 3.00 cash, 7.00 WeChat
    checkout.split(300)
    checkout.tender_cash(None)
    result = pay_by_wallet(checkout, gateway, make_code(PAYER), body="Demo Mart")
    assert result.sale is not None
    done = returned(checkout, result.sale, {1: 1}, wechat=gateway)
    assert [(part.tender, part.amount) for part in done.refunds] == [("cash", 60), ("wechat", 140)]
    assert done.cash_back == 60
    assert sandbox.state.order(result.payment.out_trade_no).returned_fen == 140


def test_a_refund_the_wallet_refuses_is_paid_in_cash(
    checkout: Checkout, gateway: MicropayClient
) -> None:
    sale = wallet_sale(checkout, gateway, 2)
    # Refunded in full elsewhere (the merchant platform): the till's refund is refused.
    assert gateway.refund(sale.payments[0].payment_id, "platform-1", 400, 400).refunded
    done = returned(checkout, sale, {1: 1}, wechat=gateway)
    (result,) = done.results
    assert result.outcome == RefundOutcome.IN_CASH
    assert result.reason
    assert done.cash_back == 200


def test_a_silent_gateway_leaves_the_return_open_until_it_answers(
    checkout: Checkout, gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    sale = wallet_sale(checkout, gateway, 3)
    sandbox.faults.add(Endpoint.REFUND, Fault(FaultKind.DROP, count=100, commit=True))
    record = start_return(
        checkout.ledger,
        sale.receipt_no,
        {1: 3},
        cashier="101",
        manager="900",
        receipt_prefix="T01-",
    )
    with pytest.raises(PosError, match="did not answer"):
        complete_return(checkout.ledger, record, {"wechat": gateway})
    with checkout.ledger.read() as conn:
        assert [r.return_id for r in open_returns(conn)] == [record.return_id]
    with pytest.raises(ReturnError):  # reserved: the open return holds the goods
        returned(checkout, sale, {1: 1}, wechat=gateway)

    sandbox.faults.clear()
    (done,) = settle_open_returns(checkout.ledger, {"wechat": gateway})
    assert done.results[0].outcome == RefundOutcome.REFUNDED
    # Asked again with the same refund number: paid once, though the first went through.
    order = sandbox.state.order(sale.payments[0].payment_id)
    assert order.returned_fen == 600
    assert len(order.refunds) == 1
    assert settle_open_returns(checkout.ledger, {"wechat": gateway}) == []
    assert verify(checkout.ledger).ok


def test_a_wallet_refund_waits_when_there_is_no_gateway(
    checkout: Checkout, gateway: MicropayClient
) -> None:
    sale = wallet_sale(checkout, gateway, 1)
    with pytest.raises(PosError, match="not available"):
        returned(checkout, sale, {1: 1})
    (done,) = settle_open_returns(checkout.ledger, {"wechat": gateway})
    assert done.cash_back == 0


def test_an_unknown_receipt_is_refused(checkout: Checkout) -> None:
    with pytest.raises(PosError, match="T01-999999 is not in this till"):
        find_sale(checkout.ledger, "T01-999999")


def test_a_return_waiting_for_its_wallet_does_not_hold_up_a_cash_one(
    checkout: Checkout, gateway: MicropayClient
) -> None:
    by_wallet = wallet_sale(checkout, gateway, 1)
    checkout.scan(WATER)
    in_cash = checkout.pay_cash()
    for sale in (by_wallet, in_cash):  # both cut off by a crash before their refunds
        start_return(
            checkout.ledger, sale.receipt_no, {1: 1}, cashier="101", manager="900",
            receipt_prefix="T01-",
        )  # fmt: skip
    with pytest.raises(PosError, match=r"1 return\(s\) still waiting .*\(1 finished\)"):
        settle_open_returns(checkout.ledger, {})  # a start with no wallet configured
    with checkout.ledger.read() as conn:
        (still_open,) = open_returns(conn)
    assert still_open.sale_receipt_no == by_wallet.receipt_no
    (done,) = settle_open_returns(checkout.ledger, {"wechat": gateway})
    assert done.sale_receipt_no == by_wallet.receipt_no
