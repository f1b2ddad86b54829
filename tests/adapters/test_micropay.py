"""The micropay client against the wallet sandbox over real HTTP on 127.0.0.1: every
order ends paid, failed or reversed, whatever the payer and the gateway do.

Time is one ManualClock shared by the client and the sandbox; the client's sleeps
advance it, so the 5 s queries and the 45 s deadline run without waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from cloud.wallet.orders import TradeState
from cloud.wallet.server import running
from pos.ledger.database import Ledger
from pos.payments.micropay import GatewaySettings, MicropayClient, Outcome, Progress
from pos.payments.orders import open_orders, settle_open_orders, start_order
from pos.payments.wechat_v2 import SignType, signed, to_xml

PAYER = "424242"


@pytest.fixture
def sandbox(clock: ManualClock) -> WalletSandbox:
    return WalletSandbox(
        SandboxConfig(appid="wx8888888888888888", mch_id="1900000109", clock=clock)
    )


@pytest.fixture
def gateway(sandbox: WalletSandbox, clock: ManualClock) -> Iterator[MicropayClient]:
    config = sandbox.state.config
    with running(sandbox) as url, httpx.Client() as http:
        settings = GatewaySettings(
            url=url,
            appid=config.appid,
            mch_id=config.mch_id,
            api_key=config.api_key,
            sign_type=SignType.MD5,
            request_timeout_s=5,
        )
        yield MicropayClient(settings, http, clock=clock, sleep=clock.advance)


def code(behaviour: str, serial: int = 1) -> str:
    return make_code(PAYER, behaviour, serial)


def test_an_instant_payment_is_paid_with_the_payers_openid(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    progress: list[Progress] = []
    payment = gateway.pay("T01-a1", 650, code("0"), "demo", on_progress=progress.append)
    assert payment.outcome is Outcome.PAID
    assert payment.total_fee == 650
    assert payment.openid.startswith("o")
    assert payment.transaction_id
    assert progress == [Progress.SENDING]
    again = gateway.pay("T01-a2", 100, code("0", serial=2), "demo")
    assert again.openid == payment.openid  # the same customer, another code
    assert sandbox.state.order("T01-a1").taken_fen == 650


def test_a_password_then_success_is_paid_after_queries(gateway: MicropayClient) -> None:
    progress: list[Progress] = []
    payment = gateway.pay("T01-b", 650, code("6"), "demo", on_progress=progress.append)
    assert payment.outcome is Outcome.PAID
    assert Progress.WAITING_FOR_PASSWORD in progress
    assert Progress.QUERYING in progress
    assert Progress.REVERSING not in progress


def test_a_cancelled_password_is_reversed_and_nothing_is_taken(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    payment = gateway.pay("T01-c", 650, code("7"), "demo")
    assert payment.outcome is Outcome.REVERSED
    assert sandbox.state.order("T01-c").taken_fen == 0


def test_a_payer_who_never_answers_is_reversed_at_the_deadline(
    gateway: MicropayClient, sandbox: WalletSandbox, clock: ManualClock
) -> None:
    start = clock()
    payment = gateway.pay("T01-d", 650, code("8"), "demo")
    assert payment.outcome in (Outcome.REVERSED, Outcome.FAILED)
    assert clock() - start >= gateway.settings.deadline_s - gateway.settings.query_every_s
    assert sandbox.state.order("T01-d").state in (TradeState.REVOKED, TradeState.CLOSED)


@pytest.mark.parametrize("behaviour", ["9"], ids=["not enough money"])
def test_a_definite_failure_fails_at_once(gateway: MicropayClient, behaviour: str) -> None:
    payment = gateway.pay("T01-e", 650, code(behaviour), "demo")
    assert payment.outcome is Outcome.FAILED
    assert payment.reason


def test_a_bad_code_fails_with_the_gateways_reason(gateway: MicropayClient) -> None:
    payment = gateway.pay("T01-f", 650, "193456789012345678", "demo")
    assert payment.outcome is Outcome.FAILED
    assert payment.reason


@pytest.mark.parametrize(
    "kind",
    [FaultKind.SYSTEMERROR, FaultKind.DROP, FaultKind.HTTP_500, FaultKind.MALFORMED,
     FaultKind.BAD_SIGNATURE],
)  # fmt: skip
def test_a_lost_answer_after_the_money_was_taken_is_found_by_query(
    gateway: MicropayClient, sandbox: WalletSandbox, kind: FaultKind
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(kind, commit=True))
    payment = gateway.pay("T01-g", 650, code("0"), "demo")
    assert payment.outcome is Outcome.PAID
    assert sandbox.state.order("T01-g").taken_fen == 650  # once, and kept


def test_reverse_is_retried_while_the_gateway_says_recall(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.REVERSE, Fault(FaultKind.SYSTEMERROR, count=3))
    payment = gateway.pay("T01-h", 650, code("7"), "demo")
    assert payment.outcome is Outcome.REVERSED


def test_a_gateway_that_never_confirms_leaves_the_order_unresolved_not_guessed(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(FaultKind.HTTP_500, count=100))
    sandbox.faults.add(Endpoint.REVERSE, Fault(FaultKind.HTTP_500, count=100))
    payment = gateway.pay("T01-i", 650, code("6"), "demo")
    assert payment.outcome is Outcome.UNRESOLVED


def test_an_order_cut_off_by_a_crash_is_settled_on_start_and_paid_money_given_back(
    gateway: MicropayClient, sandbox: WalletSandbox, demo_ledger: Ledger
) -> None:
    # The till journaled the order, sent it, and died before hearing the answer.
    out_trade_no = start_order(
        demo_ledger, provider="wechat", amount=650, draft_id="d1", cashier="101",
        auth_code=code("0"),
    )  # fmt: skip
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.DROP, commit=True))
    with pytest.raises(httpx.HTTPError):
        httpx.post(  # what the dying till sent; its answer is lost
            gateway.settings.url + "/pay/micropay",
            content=_micropay_body(gateway, out_trade_no, code("0")),
        )
    assert sandbox.state.order(out_trade_no).taken_fen == 650  # the customer has paid

    settled = settle_open_orders(demo_ledger, gateway)
    assert [payment.outcome for payment in settled] == [Outcome.REVERSED]
    assert open_orders(demo_ledger) == []
    order = sandbox.state.order(out_trade_no)
    assert (order.taken_fen, order.returned_fen) == (0, 650)  # the payer has it all back


def test_an_order_never_sent_before_a_crash_is_settled_as_failed(
    gateway: MicropayClient, demo_ledger: Ledger
) -> None:
    start_order(
        demo_ledger, provider="wechat", amount=650, draft_id="d1", cashier="101",
        auth_code=code("0"),
    )  # fmt: skip
    (payment,) = settle_open_orders(demo_ledger, gateway)
    assert payment.outcome is Outcome.FAILED
    assert open_orders(demo_ledger) == []


def _micropay_body(gateway: MicropayClient, out_trade_no: str, auth_code: str) -> bytes:
    settings = gateway.settings
    return to_xml(
        signed(
            {
                "appid": settings.appid,
                "mch_id": settings.mch_id,
                "out_trade_no": out_trade_no,
                "total_fee": "650",
                "auth_code": auth_code,
                "body": "demo",
                "spbill_create_ip": "127.0.0.1",
            },
            settings.api_key,
            settings.sign_type,
        )
    )


def test_a_cancel_while_the_customer_types_reverses_the_order(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    cancel = threading.Event()

    def cashier_presses_escape(progress: Progress) -> None:
        if progress is Progress.WAITING_FOR_PASSWORD:
            cancel.set()

    payment = gateway.pay(
        "T01-j", 650, code("8"), "demo", on_progress=cashier_presses_escape, cancel=cancel
    )
    assert payment.outcome is Outcome.REVERSED
    assert sandbox.state.order("T01-j").taken_fen == 0


def paid_order(gateway: MicropayClient, out_trade_no: str, serial: int) -> None:
    assert gateway.pay(out_trade_no, 1000, code("0", serial), "demo").outcome is Outcome.PAID


def test_partial_then_full_refund_and_never_more_than_paid(
    gateway: MicropayClient, sandbox: WalletSandbox
) -> None:
    paid_order(gateway, "T01-r1", 21)
    first = gateway.refund("T01-r1", "R-1", 1000, 300)
    assert (first.refunded, first.refund_fee) == (True, 300)
    assert first.refund_id
    assert gateway.refund("T01-r1", "R-2", 1000, 700).refunded
    too_much = gateway.refund("T01-r1", "R-3", 1000, 1)
    assert not too_much.refunded
    assert too_much.reason
    assert sandbox.state.order("T01-r1").taken_fen == 0


def test_a_refund_asked_twice_is_paid_once(gateway: MicropayClient, sandbox: WalletSandbox) -> None:
    paid_order(gateway, "T01-r2", 22)
    assert gateway.refund("T01-r2", "R-9", 1000, 400).refunded
    assert gateway.refund("T01-r2", "R-9", 1000, 400).refunded  # the same refund again
    assert sandbox.state.order("T01-r2").taken_fen == 600


@pytest.mark.parametrize("kind", [FaultKind.SYSTEMERROR, FaultKind.DROP, FaultKind.HTTP_500])
def test_a_refund_whose_answer_is_lost_is_asked_again_and_paid_once(
    gateway: MicropayClient, sandbox: WalletSandbox, kind: FaultKind
) -> None:
    paid_order(gateway, "T01-r3", 23)
    sandbox.faults.add(Endpoint.REFUND, Fault(kind, commit=True))
    assert gateway.refund("T01-r3", "R-7", 1000, 250).refunded
    assert sandbox.state.order("T01-r3").taken_fen == 750
