"""The sandbox's store QR over real HTTP: unifiedorder and closeorder signed like the
other endpoints, the admin route that plays the customer, and the notify posted to a
real HTTP server on 127.0.0.1 standing in for the till, retried until acknowledged."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code, openid
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from cloud.wallet.notify import Delivery
from cloud.wallet.server import running
from pos.payments.wechat_v2 import (
    ProtocolError,
    SignType,
    check_signature,
    from_xml,
    signed,
    to_xml,
)

PAYER = "424242"
RETRIES = 3
ACK = b"<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"
NACK = b"<xml><return_code><![CDATA[FAIL]]></return_code></xml>"


class Till:
    """A notify_url that records what it is sent and answers as scripted (then ACK)."""

    def __init__(self, answers: list[bytes] | None = None) -> None:
        self.received: list[bytes] = []
        self.answers = list(answers or [])
        self.arrived = threading.Event()
        till = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                till.received.append(body)
                answer = till.answers.pop(0) if till.answers else ACK
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                till.arrived.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/notify"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock, request: pytest.FixtureRequest) -> WalletSandbox:
    return WalletSandbox(
        SandboxConfig(
            appid="wx8888888888888888",
            mch_id="1900000109",
            sign_type=getattr(request, "param", SignType.MD5),
            clock=clock,
            notify_retry_s=(0.01,) * RETRIES,
            notify_timeout_s=5,
        )
    )


@pytest.fixture
def client(sandbox: WalletSandbox) -> Iterator[httpx.Client]:
    with running(sandbox) as url, httpx.Client(base_url=url, timeout=5) as client:
        yield client


@pytest.fixture
def till() -> Iterator[Till]:
    till = Till()
    yield till
    till.close()


def call(client: httpx.Client, sandbox: WalletSandbox, path: str, **fields: str) -> dict[str, str]:
    config = sandbox.config
    message = signed(
        {"appid": config.appid, "mch_id": config.mch_id, **fields}, config.api_key, config.sign_type
    )
    answer = from_xml(client.post(path, content=to_xml(message)).content)
    if answer["return_code"] == "SUCCESS":
        check_signature(answer, config.api_key, config.sign_type)
    return answer


def unifiedorder(
    client: httpx.Client, sandbox: WalletSandbox, notify_url: str, out_trade_no: str = "T1"
) -> dict[str, str]:
    return call(
        client,
        sandbox,
        "/pay/unifiedorder",
        body="Store T01 sale",
        out_trade_no=out_trade_no,
        total_fee="1250",
        spbill_create_ip="127.0.0.1",
        notify_url=notify_url,
        trade_type="NATIVE",
        product_id=out_trade_no,
    )


def query(client: httpx.Client, sandbox: WalletSandbox, out_trade_no: str = "T1") -> dict[str, str]:
    return call(client, sandbox, "/pay/orderquery", out_trade_no=out_trade_no)


def deliveries(sandbox: WalletSandbox) -> list[Delivery]:
    assert sandbox.notifier.join(timeout=30)
    return [attempt.delivery for attempt in sandbox.notifier.attempts()]


def notify_of(body: bytes, config: SandboxConfig) -> Mapping[str, str]:
    fields = from_xml(body)
    check_signature(fields, config.api_key, config.sign_type)
    return fields


@pytest.mark.parametrize("sandbox", [SignType.MD5, SignType.HMAC_SHA256], indirect=True)
def test_the_customer_pays_the_qr_and_the_till_is_notified_signed(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    answer = unifiedorder(client, sandbox, till.url)
    assert answer["return_code"] == answer["result_code"] == "SUCCESS"
    assert answer["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")

    paid = client.post("/sandbox/native/pay", json={"code_url": answer["code_url"], "payer": PAYER})

    assert paid.status_code == 200
    shown = paid.json()
    assert shown["trade_state"] == "SUCCESS"
    assert shown["openid"] == openid(sandbox.config.appid, make_code(PAYER))
    assert deliveries(sandbox) == [Delivery.ACKNOWLEDGED]
    (body,) = till.received
    notify = notify_of(body, sandbox.config)
    assert notify["return_code"] == notify["result_code"] == "SUCCESS"
    assert notify["trade_type"] == "NATIVE"
    assert notify["out_trade_no"] == "T1"
    assert notify["total_fee"] == "1250"
    assert notify["openid"] == shown["openid"]
    assert notify["transaction_id"] == shown["transaction_id"]
    assert notify["appid"] == sandbox.config.appid
    assert query(client, sandbox)["trade_state"] == "SUCCESS"


def test_a_notify_is_posted_again_until_the_till_says_success(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    till = Till(answers=[NACK, b"not xml"])
    try:
        unifiedorder(client, sandbox, till.url)
        sandbox.pay_native("T1", PAYER)

        assert deliveries(sandbox) == [
            Delivery.REFUSED,
            Delivery.UNREACHABLE,
            Delivery.ACKNOWLEDGED,
        ]
        assert len(till.received) == 3
        assert len({from_xml(body)["transaction_id"] for body in till.received}) == 1
    finally:
        till.close()


def test_a_till_that_never_answers_is_given_up_after_the_retries(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    gone = Till()
    gone.close()  # its port is free again: nothing listens there
    unifiedorder(client, sandbox, gone.url)

    sandbox.pay_native("T1", PAYER)

    assert deliveries(sandbox) == [Delivery.UNREACHABLE] * (RETRIES + 1)
    assert query(client, sandbox)["trade_state"] == "SUCCESS"  # paid all the same


def test_a_dropped_notify_never_reaches_the_till(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, Fault(FaultKind.DROP, count=RETRIES + 1, commit=False))
    unifiedorder(client, sandbox, till.url)

    sandbox.pay_native("T1", PAYER)

    assert deliveries(sandbox) == [Delivery.DROPPED] * (RETRIES + 1)
    assert till.received == []
    assert query(client, sandbox)["trade_state"] == "SUCCESS"


def test_a_lost_acknowledgement_sends_the_notify_twice(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, Fault(FaultKind.DROP, commit=True))
    unifiedorder(client, sandbox, till.url)

    sandbox.pay_native("T1", PAYER)

    assert deliveries(sandbox) == [Delivery.ANSWER_LOST, Delivery.ACKNOWLEDGED]
    assert len(till.received) == 2


@pytest.mark.parametrize("kind", [FaultKind.BAD_SIGNATURE, FaultKind.MALFORMED])
def test_a_spoiled_notify_reaches_the_till_spoiled(
    client: httpx.Client, sandbox: WalletSandbox, till: Till, kind: FaultKind
) -> None:
    sandbox.faults.add(Endpoint.NOTIFY, Fault(kind))
    unifiedorder(client, sandbox, till.url)
    sandbox.pay_native("T1", PAYER)

    assert deliveries(sandbox) == [Delivery.ACKNOWLEDGED]  # this stand-in checks nothing
    (spoiled,) = till.received
    with pytest.raises(ProtocolError, match=r"signature|not well-formed"):
        notify_of(spoiled, sandbox.config)


def test_closing_stops_the_retries(clock: ManualClock) -> None:
    sandbox = WalletSandbox(SandboxConfig(clock=clock, notify_retry_s=(3600.0,)))
    gone = Till()
    gone.close()
    with running(sandbox) as url, httpx.Client(base_url=url, timeout=5) as client:
        unifiedorder(client, sandbox, gone.url)
        sandbox.pay_native("T1", PAYER)
    # running() closed the sandbox: the hour-long wait before the retry was cut short.
    assert sandbox.notifier.join(timeout=0)
    assert [attempt.number for attempt in sandbox.notifier.attempts()] == [1]


def test_closeorder_over_http_and_its_lost_answer(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    unifiedorder(client, sandbox, till.url)
    sandbox.faults.add(Endpoint.CLOSEORDER, Fault(FaultKind.SYSTEMERROR, commit=True))

    lost = call(client, sandbox, "/pay/closeorder", out_trade_no="T1")
    again = call(client, sandbox, "/pay/closeorder", out_trade_no="T1")

    assert lost["err_code"] == "SYSTEMERROR"
    assert again["err_code"] == "ORDERCLOSED"
    assert query(client, sandbox)["trade_state"] == "CLOSED"
    refused = client.post("/sandbox/native/pay", json={"out_trade_no": "T1", "payer": PAYER})
    assert refused.status_code == 409
    assert "ORDERCLOSED" in refused.json()["detail"]


def test_unifiedorder_faults_and_idempotency(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    sandbox.faults.add(Endpoint.UNIFIEDORDER, Fault(FaultKind.DROP, commit=True))
    with pytest.raises(httpx.TransportError):
        unifiedorder(client, sandbox, till.url)

    again = unifiedorder(client, sandbox, till.url)

    order = sandbox.state.order("T1")
    assert order is not None
    assert again["code_url"] == order.code_url
    changed = call(
        client, sandbox, "/pay/unifiedorder", body="Store T01 sale", out_trade_no="T1",
        total_fee="1", spbill_create_ip="127.0.0.1", notify_url=till.url,
        trade_type="NATIVE", product_id="T1",
    )  # fmt: skip
    assert changed["err_code"] == "INVALID_REQUEST"


def test_the_admin_routes_for_the_store_qr(
    client: httpx.Client, sandbox: WalletSandbox, till: Till
) -> None:
    unifiedorder(client, sandbox, till.url)
    fault = {"endpoint": "notify", "kind": "drop", "count": RETRIES + 1, "commit": False}
    assert client.post("/sandbox/faults", json=fault).status_code == 204

    assert client.post("/sandbox/native/pay", json={"payer": PAYER}).status_code == 422
    assert (
        client.post("/sandbox/native/pay", json={"out_trade_no": "T1", "payer": "42"}).status_code
        == 422
    )
    assert client.post("/sandbox/native/pay", json={"out_trade_no": "T9"}).status_code == 404
    assert client.post("/sandbox/native/pay", json={"out_trade_no": "T1"}).status_code == 200
    twice = client.post("/sandbox/native/pay", json={"out_trade_no": "T1"})
    assert twice.status_code == 409
    assert "ORDERPAID" in twice.json()["detail"]
    shown = client.get("/sandbox/orders/T1").json()
    assert (shown["trade_type"], shown["trade_state"], shown["taken_fen"]) == (
        "NATIVE",
        "SUCCESS",
        1250,
    )
    assert shown["openid"] == openid(sandbox.config.appid, make_code("000001"))
    assert deliveries(sandbox) == [Delivery.DROPPED] * (RETRIES + 1)
