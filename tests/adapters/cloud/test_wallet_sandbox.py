"""The wallet sandbox over real HTTP: uvicorn on 127.0.0.1 in a thread, httpx as the
till would use it, every message signed and checked with pos.payments.wechat_v2."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx
import pytest

from cloud.wallet.app import WalletSandbox
from cloud.wallet.codes import make_code
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.faults import Endpoint, Fault, FaultKind
from cloud.wallet.server import running
from pos.payments.wechat_v2 import (
    ProtocolError,
    SignType,
    check_signature,
    from_xml,
    signed,
    to_xml,
)

CONFIG = SandboxConfig(appid="wx8888888888888888", mch_id="1900000109", api_key="k" * 32)
PAYER = "424242"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock, request: pytest.FixtureRequest) -> WalletSandbox:
    sign_type = getattr(request, "param", SignType.MD5)
    return WalletSandbox(
        SandboxConfig(
            appid=CONFIG.appid,
            mch_id=CONFIG.mch_id,
            api_key=CONFIG.api_key,
            sign_type=sign_type,
            clock=clock,
        )
    )


@pytest.fixture
def client(sandbox: WalletSandbox) -> Iterator[httpx.Client]:
    with running(sandbox) as url, httpx.Client(base_url=url, timeout=5) as client:
        yield client


def post(
    client: httpx.Client, path: str, fields: Mapping[str, str], sandbox_config: SandboxConfig
) -> httpx.Response:
    message = signed(
        {"appid": sandbox_config.appid, "mch_id": sandbox_config.mch_id, **fields},
        sandbox_config.api_key,
        sandbox_config.sign_type,
    )
    return client.post(path, content=to_xml(message), headers={"Content-Type": "text/xml"})


def call(client: httpx.Client, sandbox: WalletSandbox, path: str, **fields: str) -> dict[str, str]:
    """The answer's fields; a SUCCESS envelope must carry a valid signature."""
    response = post(client, path, fields, sandbox.config)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    answer = from_xml(response.content)
    if answer["return_code"] == "SUCCESS":
        check_signature(answer, sandbox.config.api_key, sandbox.config.sign_type)
    return answer


def pay(
    client: httpx.Client, sandbox: WalletSandbox, out_trade_no: str, code: str, fee: int = 1250
) -> dict[str, str]:
    return call(
        client,
        sandbox,
        "/pay/micropay",
        body="Store T01 sale",
        out_trade_no=out_trade_no,
        total_fee=str(fee),
        spbill_create_ip="127.0.0.1",
        auth_code=code,
    )


def query(client: httpx.Client, sandbox: WalletSandbox, out_trade_no: str) -> dict[str, str]:
    return call(client, sandbox, "/pay/orderquery", out_trade_no=out_trade_no)


def reverse(client: httpx.Client, sandbox: WalletSandbox, out_trade_no: str) -> dict[str, str]:
    return call(client, sandbox, "/secapi/pay/reverse", out_trade_no=out_trade_no)


def refund(
    client: httpx.Client, sandbox: WalletSandbox, out_refund_no: str, fee: int
) -> dict[str, str]:
    return call(
        client,
        sandbox,
        "/secapi/pay/refund",
        out_trade_no="T1",
        out_refund_no=out_refund_no,
        total_fee="1250",
        refund_fee=str(fee),
    )


def money_taken(sandbox: WalletSandbox, out_trade_no: str) -> int:
    order = sandbox.state.order(out_trade_no)
    assert order is not None
    return order.taken_fen


@pytest.mark.parametrize("sandbox", [SignType.MD5, SignType.HMAC_SHA256], indirect=True)
def test_a_payment_answers_the_payer_and_the_transaction_signed(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    answer = pay(client, sandbox, "T1", make_code(PAYER))

    assert answer["return_code"] == answer["result_code"] == "SUCCESS"
    assert answer["appid"] == CONFIG.appid
    assert answer["mch_id"] == CONFIG.mch_id
    assert answer["out_trade_no"] == "T1"
    assert answer["total_fee"] == "1250"
    assert answer["openid"].startswith("o")
    assert answer["transaction_id"].isdigit()
    assert answer["time_end"].isdigit()
    assert len(answer["time_end"]) == 14
    assert answer["trade_type"] == "MICROPAY"


def test_the_same_payer_gets_the_same_openid(client: httpx.Client, sandbox: WalletSandbox) -> None:
    first = pay(client, sandbox, "T1", make_code(PAYER, serial=1))
    second = pay(client, sandbox, "T2", make_code(PAYER, serial=2, prefix="14"))
    other = pay(client, sandbox, "T3", make_code("000007", serial=3))

    assert first["openid"] == second["openid"]
    assert other["openid"] != first["openid"]


def test_a_bad_signature_is_refused_and_nothing_is_paid(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    wrong_key = SandboxConfig(appid=CONFIG.appid, mch_id=CONFIG.mch_id, api_key="x" * 32)
    params = {
        "body": "sale",
        "out_trade_no": "T1",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "auth_code": make_code(PAYER),
    }
    response = post(client, "/pay/micropay", params, wrong_key)

    assert response.status_code == 200
    assert from_xml(response.content) == {"return_code": "FAIL", "return_msg": "签名错误"}
    assert query(client, sandbox, "T1")["err_code"] == "ORDERNOTEXIST"


def test_a_tampered_amount_breaks_the_signature(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    message = signed(
        {"appid": CONFIG.appid, "mch_id": CONFIG.mch_id, "out_trade_no": "T1"},
        CONFIG.api_key,
        SignType.MD5,
    )
    message["out_trade_no"] = "T2"

    answer = from_xml(client.post("/pay/orderquery", content=to_xml(message)).content)

    assert answer["return_code"] == "FAIL"


def test_another_merchant_is_refused(client: httpx.Client, sandbox: WalletSandbox) -> None:
    other = SandboxConfig(appid=CONFIG.appid, mch_id="1900000110", api_key=CONFIG.api_key)

    answer = from_xml(post(client, "/pay/orderquery", {"out_trade_no": "T1"}, other).content)

    assert answer["return_code"] == "SUCCESS"
    assert answer["result_code"] == "FAIL"
    assert answer["err_code"] == "APPID_MCHID_NOT_MATCH"
    check_signature(answer, CONFIG.api_key, SignType.MD5)


def test_another_sign_type_is_refused(client: httpx.Client, sandbox: WalletSandbox) -> None:
    hmac_client = SandboxConfig(
        appid=CONFIG.appid,
        mch_id=CONFIG.mch_id,
        api_key=CONFIG.api_key,
        sign_type=SignType.HMAC_SHA256,
    )

    answer = from_xml(post(client, "/pay/orderquery", {"out_trade_no": "T1"}, hmac_client).content)

    assert answer["err_code"] == "PARAM_ERROR"


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b"<xml><appid>wx<appid></xml>",
        b"<?xml version='1.0'?><!DOCTYPE xml [<!ENTITY a 'b'>]><xml><a>&a;</a></xml>",
        b"<xml><a><b>nested</b></a></xml>",
        b"<xml>" + b"<a>1</a>" * 20_000 + b"</xml>",
        b"",
    ],
)
def test_a_malformed_request_gets_a_fail_answer_not_a_crash(
    client: httpx.Client, sandbox: WalletSandbox, body: bytes
) -> None:
    response = client.post("/pay/micropay", content=body)

    assert response.status_code == 200
    answer = from_xml(response.content)
    assert answer["return_code"] == "FAIL"
    assert answer["return_msg"].startswith("XML格式错误")
    assert pay(client, sandbox, "T1", make_code(PAYER))["result_code"] == "SUCCESS"


def test_a_request_without_fields_lacks_params(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    answer = call(client, sandbox, "/pay/micropay", out_trade_no="T1")

    assert answer["err_code"] == "LACK_PARAMS"


@pytest.mark.parametrize("code", ["13000000000042424", "190000000000424242"])
def test_a_code_that_is_not_wechat_is_refused(
    client: httpx.Client, sandbox: WalletSandbox, code: str
) -> None:
    answer = pay(client, sandbox, "T1", code)

    assert answer["err_code"] == "AUTH_CODE_INVALID"
    assert "18位数字" in answer["err_code_des"]


def test_a_code_cannot_pay_twice(client: httpx.Client, sandbox: WalletSandbox) -> None:
    code = make_code(PAYER)
    pay(client, sandbox, "T1", code)

    answer = pay(client, sandbox, "T2", code)

    assert answer["err_code"] == "AUTH_CODE_INVALID"
    assert "每个二维码仅限使用一次" in answer["err_code_des"]
    assert query(client, sandbox, "T2")["err_code"] == "ORDERNOTEXIST"


def test_userpaying_then_the_password_pays(
    client: httpx.Client, sandbox: WalletSandbox, clock: ManualClock
) -> None:
    assert pay(client, sandbox, "T1", make_code(PAYER), fee=200_000)["err_code"] == "USERPAYING"
    assert query(client, sandbox, "T1")["trade_state"] == "USERPAYING"

    clock.advance(sandbox.config.password_delay_s)

    answer = query(client, sandbox, "T1")
    assert answer["trade_state"] == "SUCCESS"
    assert answer["total_fee"] == "200000"
    assert answer["openid"]


def test_userpaying_then_the_payer_cancels(
    client: httpx.Client, sandbox: WalletSandbox, clock: ManualClock
) -> None:
    assert pay(client, sandbox, "T1", make_code(PAYER, "7"))["err_code"] == "USERPAYING"

    clock.advance(sandbox.config.password_delay_s)

    assert query(client, sandbox, "T1")["trade_state"] == "PAYERROR"


def test_an_unanswered_password_is_revoked_at_45_seconds(
    client: httpx.Client, sandbox: WalletSandbox, clock: ManualClock
) -> None:
    pay(client, sandbox, "T1", make_code(PAYER, "8"))
    clock.advance(44)
    assert query(client, sandbox, "T1")["trade_state"] == "USERPAYING"

    clock.advance(1)

    assert query(client, sandbox, "T1")["trade_state"] == "REVOKED"


def test_reverse_while_the_payer_is_typing(
    client: httpx.Client, sandbox: WalletSandbox, clock: ManualClock
) -> None:
    pay(client, sandbox, "T1", make_code(PAYER, "6"))

    answer = reverse(client, sandbox, "T1")
    clock.advance(sandbox.config.password_delay_s)

    assert answer["result_code"] == "SUCCESS"
    assert answer["recall"] == "N"
    assert query(client, sandbox, "T1")["trade_state"] == "REVOKED"
    assert money_taken(sandbox, "T1") == 0


def test_reverse_of_a_paid_order_gives_the_money_back(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    pay(client, sandbox, "T1", make_code(PAYER))
    assert money_taken(sandbox, "T1") == 1250

    assert reverse(client, sandbox, "T1")["result_code"] == "SUCCESS"

    assert query(client, sandbox, "T1")["trade_state"] == "REVOKED"
    assert money_taken(sandbox, "T1") == 0


def test_reverse_fault_says_recall_until_it_goes_through(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    pay(client, sandbox, "T1", make_code(PAYER))
    sandbox.faults.add(Endpoint.REVERSE, Fault(FaultKind.SYSTEMERROR, count=2, commit=False))

    answers = [reverse(client, sandbox, "T1") for _ in range(3)]

    assert [(a["result_code"], a.get("err_code"), a["recall"]) for a in answers] == [
        ("FAIL", "SYSTEMERROR", "Y"),
        ("FAIL", "SYSTEMERROR", "Y"),
        ("SUCCESS", None, "N"),
    ]
    assert money_taken(sandbox, "T1") == 0


def test_a_resubmit_is_idempotent_and_a_changed_one_is_refused(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    first = pay(client, sandbox, "T1", make_code(PAYER))

    again = pay(client, sandbox, "T1", make_code(PAYER))
    changed = pay(client, sandbox, "T1", make_code(PAYER), fee=1)

    assert again["transaction_id"] == first["transaction_id"]
    assert again["time_end"] == first["time_end"]
    assert changed["err_code"] == "OUT_TRADE_NO_USED"
    assert money_taken(sandbox, "T1") == 1250


def test_refunds_partial_then_full_and_never_more(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    pay(client, sandbox, "T1", make_code(PAYER))

    partial = refund(client, sandbox, "R1", 1000)
    duplicate = refund(client, sandbox, "R1", 1000)
    too_much = refund(client, sandbox, "R2", 251)
    rest = refund(client, sandbox, "R2", 250)

    assert partial["result_code"] == "SUCCESS"
    assert duplicate["refund_id"] == partial["refund_id"]
    assert too_much["err_code"] == "REFUND_FEE_INVALID"
    assert rest["result_code"] == "SUCCESS"
    assert query(client, sandbox, "T1")["trade_state"] == "REFUND"
    listed = call(client, sandbox, "/pay/refundquery", out_trade_no="T1")
    assert listed["refund_count"] == "2"
    assert listed["refund_fee"] == "1250"
    assert money_taken(sandbox, "T1") == 0


def test_systemerror_hides_a_payment_that_query_reveals(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.SYSTEMERROR))

    answer = pay(client, sandbox, "T1", make_code(PAYER))

    assert answer["err_code"] == "SYSTEMERROR"
    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"


def test_an_uncommitted_systemerror_leaves_no_order(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.SYSTEMERROR, commit=False))

    assert pay(client, sandbox, "T1", make_code(PAYER))["err_code"] == "SYSTEMERROR"
    assert query(client, sandbox, "T1")["err_code"] == "ORDERNOTEXIST"


def test_a_dropped_answer_after_the_money_was_taken(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.DROP))

    with pytest.raises(httpx.TransportError):
        pay(client, sandbox, "T1", make_code(PAYER))

    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"
    assert money_taken(sandbox, "T1") == 1250


def test_an_http_500_after_the_money_was_taken(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.HTTP_500))

    response = post(
        client,
        "/pay/micropay",
        {
            "body": "sale",
            "out_trade_no": "T1",
            "total_fee": "1250",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code(PAYER),
        },
        sandbox.config,
    )

    assert response.status_code == 500
    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"


def test_a_slow_answer_times_the_client_out_but_the_order_stands(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.SLOW, delay_s=1.0))
    impatient = httpx.Client(base_url=str(client.base_url), timeout=httpx.Timeout(5, read=0.2))

    with impatient, pytest.raises(httpx.ReadTimeout):
        pay(impatient, sandbox, "T1", make_code(PAYER))

    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"


def test_a_malformed_answer(client: httpx.Client, sandbox: WalletSandbox) -> None:
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(FaultKind.MALFORMED))
    response = post(client, "/pay/orderquery", {"out_trade_no": "T1"}, sandbox.config)

    with pytest.raises(ProtocolError, match="not well-formed"):
        from_xml(response.content)


def test_an_answer_with_a_bad_signature(client: httpx.Client, sandbox: WalletSandbox) -> None:
    sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.BAD_SIGNATURE))

    with pytest.raises(ProtocolError, match="signature"):
        pay(client, sandbox, "T1", make_code(PAYER))

    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"


def test_faults_hit_only_their_endpoint_and_count(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    sandbox.faults.add(Endpoint.ORDERQUERY, Fault(FaultKind.SYSTEMERROR, count=2))

    assert pay(client, sandbox, "T1", make_code(PAYER))["result_code"] == "SUCCESS"
    states = [query(client, sandbox, "T1").get("trade_state") for _ in range(3)]

    assert states == [None, None, "SUCCESS"]


def test_the_admin_routes_drive_the_sandbox_from_another_process(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    fault = {"endpoint": "micropay", "kind": "systemerror", "count": 1}
    assert client.post("/sandbox/faults", json=fault).status_code == 204
    code = client.post("/sandbox/codes", json={"payer": PAYER, "behaviour": "password"}).json()
    assert client.post("/sandbox/faults", json={"endpoint": "nowhere"}).status_code == 422

    assert pay(client, sandbox, "T1", code["code"])["err_code"] == "SYSTEMERROR"
    assert query(client, sandbox, "T1")["trade_state"] == "USERPAYING"
    assert client.post("/sandbox/clock", json={"advance_s": 10}).status_code == 204
    assert query(client, sandbox, "T1")["trade_state"] == "SUCCESS"
    shown = client.get("/sandbox/orders/T1").json()
    assert shown["trade_state"] == "SUCCESS"
    assert shown["taken_fen"] == shown["total_fee"] == 1250
    assert client.get("/sandbox/orders/T9").status_code == 404


def test_admin_payer_override_and_clearing_faults(
    client: httpx.Client, sandbox: WalletSandbox
) -> None:
    code = make_code(PAYER)
    assert (
        client.post("/sandbox/payers", json={"code": code, "payer": "no_funds"}).status_code == 204
    )
    client.post("/sandbox/faults", json={"endpoint": "micropay", "kind": "http500"})
    assert client.delete("/sandbox/faults").status_code == 204

    assert pay(client, sandbox, "T1", code)["err_code"] == "NOTENOUGH"


def test_a_fault_must_hit_at_least_one_request(sandbox: WalletSandbox) -> None:
    with pytest.raises(ValueError, match="at least one"):
        sandbox.faults.add(Endpoint.MICROPAY, Fault(FaultKind.SLOW, count=0))
