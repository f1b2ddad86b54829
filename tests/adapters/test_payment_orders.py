"""Wallet payment orders in a real ledger: journaled before sending, resolved after,
replayed by verify like every projection."""

from __future__ import annotations

from support import raw

from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.payments.micropay import Outcome, Payment
from pos.payments.orders import finish_order, new_out_trade_no, open_orders, start_order

CODE = "134567890123456789"


def start(ledger: Ledger, amount: int = 650) -> str:
    return start_order(
        ledger, provider="wechat", amount=amount, draft_id="d1", cashier="101", auth_code=CODE
    )


def test_an_order_is_journaled_with_only_the_codes_last_digits(demo_ledger: Ledger) -> None:
    out_trade_no = start(demo_ledger)
    (event,) = raw(demo_ledger.path, "SELECT payload FROM journal WHERE type = 'payment.started'")
    assert out_trade_no in event["payload"]
    assert '"code_tail":"6789"' in event["payload"]
    assert CODE not in event["payload"]
    assert [order.out_trade_no for order in open_orders(demo_ledger)] == [out_trade_no]


def test_a_resolved_order_is_no_longer_open_and_the_ledger_verifies(demo_ledger: Ledger) -> None:
    paid, failed = start(demo_ledger), start(demo_ledger, 100)
    finish_order(demo_ledger, Payment(paid, Outcome.PAID, 650, "o-payer", "tx-1"))
    assert [order.out_trade_no for order in open_orders(demo_ledger)] == [failed]
    finish_order(demo_ledger, Payment(failed, Outcome.FAILED, reason="余额不足"))
    assert open_orders(demo_ledger) == []
    rows = raw(
        demo_ledger.path,
        "SELECT out_trade_no, outcome, openid, transaction_id FROM payment_orders"
        " ORDER BY started_seq",
    )
    assert rows == [
        {"out_trade_no": paid, "outcome": "paid", "openid": "o-payer", "transaction_id": "tx-1"},
        {"out_trade_no": failed, "outcome": "failed", "openid": "", "transaction_id": ""},
    ]
    report = verify(demo_ledger)
    assert report.ok, report.problems


def test_order_numbers_fit_the_gateway() -> None:
    numbers = {new_out_trade_no("T01-LONG-DEVICE-ID") for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert len(number) <= 32
        assert number.replace("-", "").replace("_", "").isalnum()
