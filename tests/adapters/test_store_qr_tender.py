"""Paying a sale with the store's QR, end to end: the checkout on a real ledger file,
the native-pay client and the till's notify receiver, the wallet sandbox over real
HTTP on 127.0.0.1 both ways.

Time is the shared ManualClock (the client's waits advance it), so the queries and
the deadline run without waiting. The notify runs on its own (the sandbox posts it
from a thread): a test that needs it waits for its event, never for a time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
from support import raw

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code, openid
from cloud.wallet.config import ManualClock
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from cloud.wallet.orders import Refusal, TradeState
from pos.checkout import Checkout
from pos.errors import PosError
from pos.ledger.verify import verify
from pos.payments.micropay import MicropayClient, Outcome
from pos.payments.native import (
    DEFAULT_DEADLINE_S,
    NativePayClient,
    NativeProgress,
    NotifyReceiver,
)
from pos.payments.orders import TradeType, open_orders, settle_open_orders, start_order
from pos.payments.store_qr_tender import pay_by_store_qr
from pos.payments.wallet_tender import WalletResult, give_back_parts, open_order

WATER = "6921168509256"  # 2.00
PAYER = "246810"
BODY = "Demo Mart"
# Long enough for a notify to cross 127.0.0.1 on a loaded machine; never reached.
NOTIFY_TIMEOUT_S = 30.0


@pytest.fixture
def native(gateway: MicropayClient, clock: ManualClock) -> Iterator[NativePayClient]:
    with httpx.Client() as http:
        yield NativePayClient(gateway.settings, http, clock=clock, sleep=clock.advance)


@pytest.fixture
def receiver(gateway: MicropayClient) -> Iterator[NotifyReceiver]:
    with NotifyReceiver(gateway.settings) as receiver:
        yield receiver


def customer_pays(sandbox: WalletSandbox) -> Callable[[str], None]:
    """An on_code: the customer scans the QR as soon as it is shown, and pays."""

    def on_code(code_url: str) -> None:
        sandbox.pay_native(code_url, PAYER)

    return on_code


def pay(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    on_code: Callable[[str], None],
    *,
    on_progress: Callable[[NativeProgress], None] = lambda _progress: None,
    cancel: threading.Event | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> WalletResult:
    return pay_by_store_qr(
        checkout,
        native,
        receiver,
        body=BODY,
        on_code=on_code,
        on_progress=on_progress,
        cancel=cancel,
        deadline_s=deadline_s,
    )


def order_row(checkout: Checkout) -> dict[str, object]:
    (row,) = raw(checkout.ledger.path, "SELECT out_trade_no, outcome, reason FROM payment_orders")
    return row


def fresh_checkout(checkout: Checkout) -> Checkout:
    """The same till after a restart: a new Checkout on the same ledger."""
    return Checkout(checkout.ledger, checkout.catalog, checkout.till, checkout.rules)


def test_paid_by_the_notify_the_sale_commits_with_a_wechat_tender(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    clock: ManualClock,
) -> None:
    checkout.scan(WATER, 3)
    shown: list[float] = []

    def pays_and_the_notify_lands(code_url: str) -> None:
        order = sandbox.pay_native(code_url, PAYER)
        assert receiver.expect(order.out_trade_no).wait(NOTIFY_TIMEOUT_S)
        shown.append(clock())

    progress: list[NativeProgress] = []
    result = pay(checkout, native, receiver, pays_and_the_notify_lands, on_progress=progress.append)

    assert result.payment.outcome is Outcome.PAID
    assert result.sale is not None
    (tender,) = result.sale.payments
    out_trade_no = result.payment.out_trade_no
    assert (tender.tender, tender.amount, tender.payment_id) == ("wechat", 600, out_trade_no)
    assert result.payment.openid == openid(sandbox.config.appid, make_code(PAYER))
    # The notify answered: one query to confirm it, not the query schedule.
    assert progress == [NativeProgress.WAITING, NativeProgress.QUERYING]
    assert clock() == shown[0]
    assert checkout.cart.is_empty
    assert order_row(checkout)["outcome"] == "paid"
    events = raw(checkout.ledger.path, "SELECT type, payload FROM journal ORDER BY seq")
    assert [event["type"] for event in events[-3:]] == [
        "payment.started",
        "payment.resolved",
        "sale.completed",
    ]
    assert json.loads(events[-3]["payload"])["trade_type"] == TradeType.NATIVE.value
    assert sandbox.state.order(out_trade_no).taken_fen == 600
    assert receiver.notice(out_trade_no) is None  # forgotten once over
    assert verify(checkout.ledger).ok


def test_a_part_of_a_split_sale_is_kept_and_the_rest_is_paid_in_cash(
    checkout: Checkout, native: NativePayClient, receiver: NotifyReceiver, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER, 5)  # 10.00
    checkout.split(400)

    part = pay(checkout, native, receiver, customer_pays(sandbox))

    assert part.part_paid
    assert part.sale is None
    assert checkout.amount_due() == 600
    assert [(t.payment_id, t.tender, t.amount) for t in checkout.tenders] == [
        (part.payment.out_trade_no, "wechat", 400)
    ]
    assert sandbox.state.order(part.payment.out_trade_no).taken_fen == 400
    sale = checkout.pay_cash()
    assert [(p.tender, p.amount) for p in sale.payments] == [("wechat", 400), ("cash", 600)]
    assert verify(checkout.ledger).ok


@pytest.mark.parametrize("cancelled", [False, True], ids=["deadline", "cancel"])
def test_a_qr_never_paid_is_closed_and_the_sale_waits_for_another_payment(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    cancelled: bool,
) -> None:
    checkout.scan(WATER)
    cancel = threading.Event()
    shown: list[str] = []

    def on_progress(progress: NativeProgress) -> None:
        if cancelled and progress is NativeProgress.QUERYING:
            cancel.set()  # the cashier's Esc, while the QR is up

    result = pay(
        checkout,
        native,
        receiver,
        shown.append,
        on_progress=on_progress,
        cancel=cancel,
        deadline_s=30,
    )

    assert result.payment.outcome is Outcome.FAILED
    assert result.sale is None
    out_trade_no = result.payment.out_trade_no
    assert sandbox.state.order(out_trade_no).state is TradeState.CLOSED
    with pytest.raises(Refusal, match="ORDERCLOSED"):
        sandbox.pay_native(shown[0], PAYER)  # the QR on the screen is dead
    assert order_row(checkout)["outcome"] == "failed"
    assert open_orders(checkout.ledger) == []
    assert [line.item.barcode for line in checkout.cart.lines] == [WATER]
    assert checkout.pay_cash().total == 200  # ... and cash still works for the sale


def test_no_qr_from_the_gateway_is_journaled_failed_and_told_to_the_cashier(
    checkout: Checkout, native: NativePayClient, receiver: NotifyReceiver, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.UNIFIEDORDER, Fault(FaultKind.HTTP_500, count=100, commit=False))
    checkout.scan(WATER)
    shown: list[str] = []

    with pytest.raises(PosError, match="could not be reached"):
        pay(checkout, native, receiver, shown.append)

    assert shown == []
    row = order_row(checkout)
    assert row["outcome"] == "failed"
    assert "could not be reached" in str(row["reason"])
    assert [line.item.barcode for line in checkout.cart.lines] == [WATER]


def test_a_paid_qr_whose_sale_cannot_be_recorded_is_refunded_in_full(
    checkout: Checkout, native: NativePayClient, receiver: NotifyReceiver, sandbox: WalletSandbox
) -> None:
    checkout.scan(WATER)
    # A damaged ledger: the sale's tax rows have nowhere to go, so its commit fails
    # after the customer has paid.
    with checkout.ledger.transaction() as writer:
        writer.conn.exec_driver_sql("DROP TABLE sale_taxes")

    with pytest.raises(PosError):
        pay(checkout, native, receiver, customer_pays(sandbox))

    row = order_row(checkout)
    assert row["outcome"] == "reversed"
    order = sandbox.state.order(str(row["out_trade_no"]))
    assert (order.state, order.taken_fen, order.returned_fen) == (TradeState.REFUND, 0, 200)
    assert [line.item.barcode for line in checkout.cart.lines] == [WATER]


def test_clearing_a_sale_with_a_qr_part_refunds_the_part(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    gateway: MicropayClient,
) -> None:
    checkout.scan(WATER, 5)
    checkout.split(300)
    part = pay(checkout, native, receiver, customer_pays(sandbox))
    assert part.part_paid

    assert give_back_parts(checkout, gateway) == 0  # no cash to hand back

    order = sandbox.state.order(part.payment.out_trade_no)
    assert (order.state, order.taken_fen, order.returned_fen) == (TradeState.REFUND, 0, 300)
    assert checkout.cart.is_empty
    assert order_row(checkout)["outcome"] == "reversed"


# -- a crash while the QR was up ------------------------------------------------------------


def crash_with_the_qr_up(
    checkout: Checkout, native: NativePayClient, receiver: NotifyReceiver
) -> tuple[str, str]:
    """What a till did before it died: journaled the order and got its QR, no more.
    Returns (out_trade_no, code_url)."""
    checkout.scan(WATER, 2)
    amount, out_trade_no = open_order(checkout, trade_type=TradeType.NATIVE)
    return out_trade_no, native.create(out_trade_no, amount, BODY, receiver.url)


def settled_on_start(
    checkout: Checkout, gateway: MicropayClient, native: NativePayClient, out_trade_no: str
) -> Outcome:
    """The next start settles the order; the sale is still there, to pay again."""
    settled = settle_open_orders(checkout.ledger, gateway, native)
    assert [payment.out_trade_no for payment in settled] == [out_trade_no]
    assert open_orders(checkout.ledger) == []
    assert order_row(checkout)["outcome"] == settled[0].outcome.value
    again = fresh_checkout(checkout)
    assert again.restore_draft()
    assert again.pay_cash().total == 400
    assert verify(checkout.ledger).ok
    return settled[0].outcome


def test_an_unpaid_qr_order_a_crash_left_open_is_closed_on_start(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    gateway: MicropayClient,
) -> None:
    out_trade_no, _code_url = crash_with_the_qr_up(checkout, native, receiver)

    assert settled_on_start(checkout, gateway, native, out_trade_no) is Outcome.FAILED
    assert sandbox.state.order(out_trade_no).state is TradeState.CLOSED


def test_a_paid_qr_order_a_crash_left_open_is_refunded_on_start(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    gateway: MicropayClient,
) -> None:
    out_trade_no, code_url = crash_with_the_qr_up(checkout, native, receiver)
    sandbox.pay_native(code_url, PAYER)

    assert settled_on_start(checkout, gateway, native, out_trade_no) is Outcome.REVERSED
    order = sandbox.state.order(out_trade_no)
    assert (order.state, order.taken_fen, order.returned_fen) == (TradeState.REFUND, 0, 400)


def test_a_give_back_cut_off_by_a_crash_is_refunded_once(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    gateway: MicropayClient,
) -> None:
    out_trade_no, code_url = crash_with_the_qr_up(checkout, native, receiver)
    sandbox.pay_native(code_url, PAYER)
    # The sale failed to commit and the refund went out; the till died before
    # journaling it.
    assert native.refund_in_full(out_trade_no, 400).outcome is Outcome.REVERSED

    (payment,) = settle_open_orders(checkout.ledger, gateway, native)

    assert payment.outcome is Outcome.REVERSED
    order = sandbox.state.order(out_trade_no)
    assert (order.returned_fen, len(order.refunds)) == (400, 1)


def test_qr_and_code_orders_left_open_are_each_settled_their_way(
    checkout: Checkout,
    native: NativePayClient,
    receiver: NotifyReceiver,
    sandbox: WalletSandbox,
    gateway: MicropayClient,
) -> None:
    qr_order, code_url = crash_with_the_qr_up(checkout, native, receiver)
    sandbox.pay_native(code_url, PAYER)
    code_order = start_order(  # a scanned code's order, journaled and never sent
        checkout.ledger, provider="wechat", amount=150, draft_id="d2", cashier="101",
        auth_code=make_code(PAYER),
    )  # fmt: skip

    # A start without the QR client settles the code's order and leaves the QR's:
    # a reverse is not how a QR order ends.
    (first,) = settle_open_orders(checkout.ledger, gateway)
    assert (first.out_trade_no, first.outcome) == (code_order, Outcome.FAILED)
    assert [(o.out_trade_no, o.trade_type) for o in open_orders(checkout.ledger)] == [
        (qr_order, TradeType.NATIVE)
    ]
    assert sandbox.state.order(qr_order).state is TradeState.SUCCESS

    (second,) = settle_open_orders(checkout.ledger, gateway, native)
    assert (second.out_trade_no, second.outcome) == (qr_order, Outcome.REVERSED)
    assert sandbox.state.order(qr_order).taken_fen == 0
    assert open_orders(checkout.ledger) == []
