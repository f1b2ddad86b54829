"""The store-QR client and the till's notify receiver against the wallet sandbox, over
real HTTP on 127.0.0.1 both ways: every QR ends paid or closed, and money the customer
paid is never lost, whatever the notify and the gateway do.

Time is one ManualClock shared by the client and the sandbox; the client's sleeps
advance it, so the queries and the deadline run without waiting. The notify is the
one thing that runs on its own (the sandbox posts it from a thread): tests that need
it wait for its event, never for a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code, openid
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from cloud.wallet.notify import Delivery
from cloud.wallet.orders import Refusal, TradeState
from cloud.wallet.server import running
from pos.payments.micropay import GatewaySettings, MicropayClient, Outcome
from pos.payments.native import (
    NOTIFY_PATH,
    NativePayClient,
    NativePayError,
    NativeProgress,
    Notified,
    NotifyReceiver,
)
from pos.payments.wechat_v2 import SignType, signed, to_xml

PAYER = "424242"
FEE = 1250
RETRIES = 2
DROP_EVERY_NOTIFY = Fault(FaultKind.DROP, count=100, commit=False)
# Long enough for a notify to cross 127.0.0.1 on a loaded machine; never reached.
NOTIFY_TIMEOUT_S = 30.0


@pytest.fixture
def sandbox(clock: ManualClock) -> WalletSandbox:
    return WalletSandbox(
        SandboxConfig(
            appid="wx8888888888888888",
            mch_id="1900000109",
            clock=clock,
            notify_retry_s=(0.01,) * RETRIES,
        )
    )


@pytest.fixture
def settings(sandbox: WalletSandbox) -> Iterator[GatewaySettings]:
    config = sandbox.config
    with running(sandbox) as url:
        yield GatewaySettings(
            url=url,
            appid=config.appid,
            mch_id=config.mch_id,
            api_key=config.api_key,
            sign_type=SignType.MD5,
            request_timeout_s=5,
        )


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


@pytest.fixture
def native(settings: GatewaySettings, http: httpx.Client, clock: ManualClock) -> NativePayClient:
    return NativePayClient(settings, http, clock=clock, sleep=clock.advance)


@pytest.fixture
def receiver(settings: GatewaySettings) -> Iterator[NotifyReceiver]:
    with NotifyReceiver(settings) as receiver:
        yield receiver


def show_qr(native: NativePayClient, receiver: NotifyReceiver, out_trade_no: str) -> str:
    return native.create(out_trade_no, FEE, "Store T01 sale", receiver.url)


def customer_pays(sandbox: WalletSandbox, code_url: str) -> None:
    sandbox.pay_native(code_url, PAYER)


def when(wanted: NativeProgress, then: Callable[[], None]) -> Callable[[NativeProgress], None]:
    """An on_progress that does `then` the first time the QR screen shows `wanted`."""
    done = threading.Event()

    def on_progress(progress: NativeProgress) -> None:
        if progress is wanted and not done.is_set():
            done.set()
            then()

    return on_progress


def state(sandbox: WalletSandbox, out_trade_no: str) -> TradeState:
    order = sandbox.state.order(out_trade_no)
    assert order is not None
    return order.state


def test_a_notify_that_came_is_the_answer_at_once(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, clock: ManualClock
) -> None:
    notified = receiver.expect("T01-n1")
    code_url = show_qr(native, receiver, "T01-n1")
    customer_pays(sandbox, code_url)
    assert notified.wait(NOTIFY_TIMEOUT_S)
    start = clock()
    progress: list[NativeProgress] = []

    payment = native.wait("T01-n1", notified=notified, on_progress=progress.append)

    assert payment.outcome is Outcome.PAID
    assert payment.total_fee == FEE
    assert payment.openid == openid(sandbox.config.appid, make_code(PAYER))
    assert payment.transaction_id
    assert progress == [NativeProgress.WAITING, NativeProgress.QUERYING]
    assert clock() == start  # confirmed by one query, not the query schedule
    assert receiver.notice("T01-n1") == payment


def test_a_notify_during_the_wait_ends_it_before_the_next_query(
    settings: GatewaySettings,
    http: httpx.Client,
    sandbox: WalletSandbox,
    receiver: NotifyReceiver,
    clock: ManualClock,
) -> None:
    notified = receiver.expect("T01-n2")

    def pause(seconds: float) -> None:
        clock.advance(seconds)
        notified.wait(NOTIFY_TIMEOUT_S)  # the notify is on its way over HTTP

    native = NativePayClient(settings, http, clock=clock, sleep=pause)
    code_url = show_qr(native, receiver, "T01-n2")
    start = clock()

    payment = native.wait(
        "T01-n2",
        notified=notified,
        on_progress=when(NativeProgress.WAITING, lambda: customer_pays(sandbox, code_url)),
    )

    assert payment.outcome is Outcome.PAID
    assert clock() - start < settings.query_every_s


def test_a_dropped_notify_is_made_up_for_by_the_queries(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, DROP_EVERY_NOTIFY)
    notified = receiver.expect("T01-q1")
    code_url = show_qr(native, receiver, "T01-q1")
    progress: list[NativeProgress] = []

    def on_progress(shown: NativeProgress) -> None:
        if not progress:
            customer_pays(sandbox, code_url)
        progress.append(shown)

    payment = native.wait("T01-q1", notified=notified, on_progress=on_progress)

    assert payment.outcome is Outcome.PAID
    assert payment.openid == openid(sandbox.config.appid, make_code(PAYER))
    assert NativeProgress.QUERYING in progress
    assert NativeProgress.CLOSING not in progress
    assert sandbox.notifier.join(NOTIFY_TIMEOUT_S)
    assert {attempt.delivery for attempt in sandbox.notifier.attempts()} == {Delivery.DROPPED}
    assert not notified.is_set()


def test_a_customer_who_never_pays_is_closed_at_the_deadline(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, clock: ManualClock
) -> None:
    code_url = show_qr(native, receiver, "T01-d1")
    start = clock()
    progress: list[NativeProgress] = []

    payment = native.wait(
        "T01-d1", notified=receiver.expect("T01-d1"), on_progress=progress.append, deadline_s=60
    )

    assert payment.outcome is Outcome.FAILED
    assert clock() - start >= 60
    assert progress[-1] is NativeProgress.CLOSING
    assert progress.count(NativeProgress.QUERYING) >= 60 // native.settings.query_every_s
    assert state(sandbox, "T01-d1") is TradeState.CLOSED
    with pytest.raises(Refusal, match="ORDERCLOSED"):
        customer_pays(sandbox, code_url)  # too late: the QR is dead


def test_a_cancel_closes_the_order(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    cancel = threading.Event()
    show_qr(native, receiver, "T01-c1")

    payment = native.wait(
        "T01-c1",
        notified=receiver.expect("T01-c1"),
        on_progress=when(NativeProgress.QUERYING, cancel.set),
        cancel=cancel,
    )

    assert payment.outcome is Outcome.FAILED
    assert state(sandbox, "T01-c1") is TradeState.CLOSED
    assert sandbox.state.order("T01-c1").taken_fen == 0


def test_a_cancel_before_anything_still_closes(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    cancel = threading.Event()
    cancel.set()
    show_qr(native, receiver, "T01-c2")

    assert native.wait("T01-c2", cancel=cancel).outcome is Outcome.FAILED
    assert state(sandbox, "T01-c2") is TradeState.CLOSED


@pytest.mark.parametrize("cancelled", [False, True], ids=["deadline", "cancel"])
def test_a_customer_who_pays_as_the_order_closes_is_paid(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, cancelled: bool
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, DROP_EVERY_NOTIFY)
    cancel = threading.Event()
    if cancelled:
        cancel.set()
    code_url = show_qr(native, receiver, "T01-l1")

    payment = native.wait(
        "T01-l1",
        notified=receiver.expect("T01-l1"),
        # Between the last query and the close: the close finds the order paid.
        on_progress=when(NativeProgress.CLOSING, lambda: customer_pays(sandbox, code_url)),
        cancel=cancel,
        deadline_s=30,
    )

    assert payment.outcome is Outcome.PAID
    assert payment.total_fee == FEE
    assert payment.openid
    assert sandbox.state.order("T01-l1").taken_fen == FEE


def test_paid_at_the_close_with_the_queries_failing_is_paid_by_its_notify(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(FaultKind.HTTP_500, count=1000))
    notified = receiver.expect("T01-l2")
    code_url = show_qr(native, receiver, "T01-l2")

    def pays_and_the_notify_lands() -> None:
        customer_pays(sandbox, code_url)
        assert notified.wait(NOTIFY_TIMEOUT_S)

    payment = native.wait(
        "T01-l2",
        notified=notified,
        on_progress=when(NativeProgress.CLOSING, pays_and_the_notify_lands),
        deadline_s=30,
    )

    assert payment.outcome is Outcome.PAID
    assert payment.total_fee == FEE
    assert payment.transaction_id == sandbox.state.order("T01-l2").transaction_id


def test_paid_at_the_close_and_never_confirmed_is_unresolved_not_failed(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, DROP_EVERY_NOTIFY)
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(FaultKind.DROP, count=1000))
    code_url = show_qr(native, receiver, "T01-l3")

    payment = native.wait(
        "T01-l3",
        notified=receiver.expect("T01-l3"),
        on_progress=when(NativeProgress.CLOSING, lambda: customer_pays(sandbox, code_url)),
        deadline_s=30,
    )

    assert payment.outcome is Outcome.UNRESOLVED
    assert "paid" in payment.reason


@pytest.mark.parametrize("kind", [FaultKind.SYSTEMERROR, FaultKind.DROP, FaultKind.HTTP_500])
def test_queries_that_fail_still_end_paid(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, kind: FaultKind
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, DROP_EVERY_NOTIFY)
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(kind, count=3))
    code_url = show_qr(native, receiver, "T01-f1")

    payment = native.wait(
        "T01-f1",
        on_progress=when(NativeProgress.WAITING, lambda: customer_pays(sandbox, code_url)),
    )

    assert payment.outcome is Outcome.PAID
    assert sandbox.state.order("T01-f1").taken_fen == FEE


@pytest.mark.parametrize("kind", [FaultKind.SYSTEMERROR, FaultKind.DROP])
def test_queries_and_a_close_that_fail_still_end_closed(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, kind: FaultKind
) -> None:
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(kind, count=1000))
    sandbox.faults.add(Endpoint.CLOSEORDER, Fault(kind, count=2, commit=True))
    show_qr(native, receiver, "T01-f2")

    payment = native.wait("T01-f2", deadline_s=30)

    assert payment.outcome is Outcome.FAILED  # the retried close says ORDERCLOSED
    assert state(sandbox, "T01-f2") is TradeState.CLOSED


def test_a_close_never_confirmed_is_unresolved(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.CLOSEORDER, Fault(FaultKind.HTTP_500, count=1000, commit=False))
    show_qr(native, receiver, "T01-f3")

    payment = native.wait("T01-f3", deadline_s=30)

    assert payment.outcome is Outcome.UNRESOLVED
    assert state(sandbox, "T01-f3") is TradeState.NOTPAY  # a person must look at it


def test_the_same_qr_again_and_a_changed_order_refused(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    first = show_qr(native, receiver, "T01-i1")

    assert show_qr(native, receiver, "T01-i1") == first
    with pytest.raises(NativePayError) as changed:
        native.create("T01-i1", FEE + 1, "Store T01 sale", receiver.url)
    assert changed.value.err_code == "INVALID_REQUEST"
    assert changed.value.title
    assert "T01-i1" in changed.value.message
    customer_pays(sandbox, first)
    with pytest.raises(NativePayError) as paid:
        show_qr(native, receiver, "T01-i1")
    assert paid.value.err_code == "ORDERPAID"


@pytest.mark.parametrize("kind", [FaultKind.SYSTEMERROR, FaultKind.DROP, FaultKind.BAD_SIGNATURE])
def test_a_lost_qr_answer_is_asked_again_for_the_same_qr(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver, kind: FaultKind
) -> None:
    sandbox.faults.add(Endpoint.UNIFIEDORDER, Fault(kind, commit=True))

    code_url = show_qr(native, receiver, "T01-i2")

    assert code_url == sandbox.state.order("T01-i2").code_url


def test_no_qr_when_the_gateway_does_not_answer(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.UNIFIEDORDER, Fault(FaultKind.HTTP_500, count=100, commit=False))

    with pytest.raises(NativePayError, match="could not be reached") as error:
        show_qr(native, receiver, "T01-i3")

    assert error.value.err_code == ""
    assert sandbox.state.order("T01-i3") is None


def test_no_qr_from_a_gateway_that_is_not_there(
    settings: GatewaySettings, http: httpx.Client, receiver: NotifyReceiver
) -> None:
    gone = NotifyReceiver(settings)
    gone.close()  # a port nothing listens on
    nowhere = GatewaySettings(
        url=gone.url.removesuffix(NOTIFY_PATH),
        appid=settings.appid,
        mch_id=settings.mch_id,
        api_key=settings.api_key,
    )
    clock = ManualClock()

    with pytest.raises(NativePayError, match="could not be reached"):
        NativePayClient(nowhere, http, clock=clock, sleep=clock.advance).create(
            "T01-i4", FEE, "sale", receiver.url
        )


def test_close_on_its_own_settles_an_order_left_open(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    # A till that crashed while showing these QRs closes them when it starts again.
    show_qr(native, receiver, "T01-s1")
    customer_pays(sandbox, show_qr(native, receiver, "T01-s2"))

    unpaid, paid = native.close("T01-s1"), native.close("T01-s2")

    assert unpaid.outcome is Outcome.FAILED
    assert (paid.outcome, paid.total_fee) == (Outcome.PAID, FEE)
    assert native.close("T01-s9").outcome is Outcome.FAILED  # never reached the gateway


def test_a_native_order_is_refunded_with_the_micropay_client(
    native: NativePayClient,
    sandbox: WalletSandbox,
    receiver: NotifyReceiver,
    settings: GatewaySettings,
    http: httpx.Client,
) -> None:
    customer_pays(sandbox, show_qr(native, receiver, "T01-r1"))
    assert native.wait("T01-r1").outcome is Outcome.PAID
    gateway = MicropayClient(settings, http)  # pauses only between retries: none here

    refund = gateway.refund("T01-r1", "R-1", FEE, 250)

    assert (refund.refunded, refund.refund_fee) == (True, 250)
    assert gateway.refund("T01-r1", "R-1", FEE, 250).refunded  # asked again: paid once
    assert sandbox.state.order("T01-r1").taken_fen == FEE - 250


# -- the receiver ------------------------------------------------------------------------


def notify_body(settings: GatewaySettings, api_key: str = "", **change: str) -> bytes:
    fields = {
        "return_code": "SUCCESS",
        "result_code": "SUCCESS",
        "appid": settings.appid,
        "mch_id": settings.mch_id,
        "out_trade_no": "T01-x1",
        "transaction_id": "4200000000000000000000000042",
        "openid": "o" + "x" * 27,
        "total_fee": str(FEE),
        "trade_type": "NATIVE",
        **change,
    }
    return to_xml(signed(fields, api_key or settings.api_key, settings.sign_type))


def post(receiver: NotifyReceiver, body: bytes, url: str = "") -> httpx.Response:
    return httpx.post(url or receiver.url, content=body, headers={"Content-Type": "text/xml"})


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda s: notify_body(s, api_key="x" * 32), id="wrong key"),
        pytest.param(lambda s: notify_body(s).replace(b"1250", b"1"), id="tampered"),
        pytest.param(lambda s: notify_body(s, mch_id="1900000110"), id="another merchant"),
        pytest.param(lambda s: notify_body(s)[:40], id="truncated"),
        pytest.param(lambda _s: b"not xml", id="not xml"),
        pytest.param(lambda _s: b"", id="empty"),
        pytest.param(lambda s: notify_body(s, out_trade_no=""), id="no order"),
    ],
)
def test_a_bad_notify_is_answered_fail_and_signals_nothing(
    receiver: NotifyReceiver,
    settings: GatewaySettings,
    body: Callable[[GatewaySettings], bytes],
) -> None:
    notified = receiver.expect("T01-x1")

    response = post(receiver, body(settings))

    assert response.status_code == 200
    assert b"<return_code><![CDATA[FAIL]]></return_code>" in response.content
    assert not notified.is_set()
    assert receiver.notice("T01-x1") is None


def test_a_good_notify_is_answered_success_and_duplicates_are_harmless(
    receiver: NotifyReceiver, settings: GatewaySettings
) -> None:
    notified = receiver.expect("T01-x1")

    answers = [post(receiver, notify_body(settings)) for _ in range(2)]

    assert all(
        b"<return_code><![CDATA[SUCCESS]]></return_code>" in answer.content for answer in answers
    )
    assert notified.is_set()
    assert isinstance(notified, Notified)
    assert notified.payment is not None
    assert (notified.payment.outcome, notified.payment.total_fee) == (Outcome.PAID, FEE)
    assert receiver.expect("T01-x1") is notified
    receiver.forget("T01-x1")
    assert receiver.notice("T01-x1") is None


def test_a_signed_notify_that_is_not_a_payment_is_acknowledged_and_signals_nothing(
    receiver: NotifyReceiver, settings: GatewaySettings
) -> None:
    notified = receiver.expect("T01-x1")

    response = post(receiver, notify_body(settings, result_code="FAIL"))

    assert b"SUCCESS" in response.content
    assert not notified.is_set()


def test_the_receiver_answers_only_its_path_and_stops_cleanly(
    settings: GatewaySettings,
) -> None:
    with NotifyReceiver(settings) as receiver:
        url = receiver.url
        assert url.startswith("http://127.0.0.1:")
        assert post(receiver, notify_body(settings), url=url + "x").status_code == 404
        assert httpx.get(url).status_code == 501
    with pytest.raises(httpx.ConnectError):
        post(receiver, notify_body(settings), url=url)
    receiver.close()  # again: harmless
    with NotifyReceiver(settings, public_url="https://store.example/n") as proxied:
        assert proxied.url == "https://store.example/n"


def test_the_sandboxs_spoiled_notify_is_refused_then_its_retry_taken(
    native: NativePayClient, sandbox: WalletSandbox, receiver: NotifyReceiver
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, Fault(FaultKind.BAD_SIGNATURE))
    notified = receiver.expect("T01-x2")
    customer_pays(sandbox, show_qr(native, receiver, "T01-x2"))

    assert notified.wait(NOTIFY_TIMEOUT_S)
    assert sandbox.notifier.join(NOTIFY_TIMEOUT_S)
    deliveries = [attempt.delivery for attempt in sandbox.notifier.attempts()]
    assert deliveries == [Delivery.REFUSED, Delivery.ACKNOWLEDGED]
    assert native.wait("T01-x2", notified=notified).outcome is Outcome.PAID
