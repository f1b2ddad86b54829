"""The sandbox wallet's store-presented QR ("native pay"), driven directly with a
manual clock: unifiedorder and its idempotency, the customer paying, closeorder, the
auto-close, and a native order refunded like any other."""

from __future__ import annotations

import re

import pytest

from cloud.wallet.codes import make_code, openid
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.orders import Refusal, TradeState, TradeType
from cloud.wallet.state import WalletState

PAYER = "424242"
NOTIFY_URL = "http://127.0.0.1:8099/wechat/notify"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def wallet(clock: ManualClock) -> WalletState:
    return WalletState(SandboxConfig(clock=clock, native_close_s=600))


def order(wallet: WalletState, out_trade_no: str = "T1", **change: str) -> dict[str, str]:
    return wallet.unifiedorder(
        {
            "body": "Store T01 sale",
            "out_trade_no": out_trade_no,
            "total_fee": "1250",
            "spbill_create_ip": "127.0.0.1",
            "notify_url": NOTIFY_URL,
            "trade_type": "NATIVE",
            "product_id": out_trade_no,
            "nonce_str": f"nonce-{len(change)}",
            **change,
        }
    )


def query(wallet: WalletState, out_trade_no: str = "T1") -> dict[str, str]:
    return wallet.orderquery({"out_trade_no": out_trade_no})


def close(wallet: WalletState, out_trade_no: str = "T1") -> dict[str, str]:
    return wallet.closeorder({"out_trade_no": out_trade_no})


def taken(wallet: WalletState, out_trade_no: str = "T1") -> int:
    snapshot = wallet.order(out_trade_no)
    assert snapshot is not None
    return snapshot.taken_fen


def test_a_native_order_gives_a_qr_and_waits_unpaid(wallet: WalletState) -> None:
    answer = order(wallet)

    assert answer["result_code"] == "SUCCESS"
    assert answer["trade_type"] == "NATIVE"
    assert re.fullmatch(r"weixin://wxpay/bizpayurl\?pr=[0-9A-Za-z]{7}", answer["code_url"])
    assert answer["prepay_id"].startswith("wx")
    assert query(wallet)["trade_state"] == "NOTPAY"
    assert taken(wallet) == 0


def test_the_customer_pays_with_the_same_openid_as_with_a_payment_code(
    wallet: WalletState,
) -> None:
    code_url = order(wallet)["code_url"]

    paid = wallet.pay_native(code_url, PAYER)

    assert paid.state is TradeState.SUCCESS
    assert paid.openid == openid(wallet.config.appid, make_code(PAYER))
    answer = query(wallet)
    assert answer["trade_state"] == "SUCCESS"
    assert answer["trade_type"] == "NATIVE"
    assert answer["openid"] == paid.openid
    assert answer["total_fee"] == "1250"
    assert len(answer["transaction_id"]) == 28
    assert wallet.orderquery({"transaction_id": paid.transaction_id})["out_trade_no"] == "T1"
    assert taken(wallet) == 1250


def test_the_notify_says_what_the_query_says(wallet: WalletState) -> None:
    order(wallet)
    wallet.pay_native("T1", PAYER)

    notify = wallet.notify_fields("T1")

    assert notify["result_code"] == "SUCCESS"
    assert {key: notify[key] for key in ("openid", "transaction_id", "total_fee")} == {
        key: query(wallet)[key] for key in ("openid", "transaction_id", "total_fee")
    }


def test_the_same_order_again_gives_the_same_qr(wallet: WalletState) -> None:
    first = order(wallet)

    again = order(wallet, spbill_create_ip="10.0.0.9")

    assert again["code_url"] == first["code_url"]
    assert again["prepay_id"] == first["prepay_id"]
    assert order(wallet, "T2")["code_url"] != first["code_url"]


@pytest.mark.parametrize(
    "change", [{"total_fee": "1251"}, {"body": "another sale"}, {"notify_url": NOTIFY_URL + "2"}]
)
def test_an_order_number_reused_with_other_fields_is_refused(
    wallet: WalletState, change: dict[str, str]
) -> None:
    order(wallet)

    answer = order(wallet, **change)

    assert answer["err_code"] == "INVALID_REQUEST"
    assert answer["err_code_des"] == "201 商户订单号重复"
    assert query(wallet)["trade_state"] == "NOTPAY"


def test_an_order_number_cannot_cross_payment_scenes(wallet: WalletState) -> None:
    wallet.micropay(
        {
            "body": "sale",
            "out_trade_no": "M1",
            "total_fee": "1250",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code(PAYER),
        }
    )
    order(wallet, "N1")

    assert order(wallet, "M1")["err_code"] == "INVALID_REQUEST"
    micropay = wallet.micropay(
        {
            "body": "Store T01 sale",
            "out_trade_no": "N1",
            "total_fee": "1250",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code(PAYER, serial=2),
        }
    )
    assert micropay["err_code"] == "OUT_TRADE_NO_USED"
    assert query(wallet, "N1")["trade_state"] == "NOTPAY"


@pytest.mark.parametrize(
    ("change", "err_code"),
    [
        ({"product_id": ""}, "LACK_PARAMS"),
        ({"notify_url": ""}, "LACK_PARAMS"),
        ({"trade_type": ""}, "LACK_PARAMS"),
        ({"trade_type": "JSAPI"}, "NOAUTH"),
        ({"trade_type": "SCAN"}, "PARAM_ERROR"),
        ({"product_id": "p" * 33}, "PARAM_ERROR"),
        ({"notify_url": NOTIFY_URL + "?order=T1"}, "PARAM_ERROR"),
        ({"notify_url": "ftp://127.0.0.1/notify"}, "PARAM_ERROR"),
        ({"notify_url": "http:///notify"}, "PARAM_ERROR"),
        ({"total_fee": "0"}, "PARAM_ERROR"),
        ({"out_trade_no": "T 1"}, "PARAM_ERROR"),
        ({"body": "x" * 128}, "PARAM_ERROR"),
        ({"fee_type": "USD"}, "PARAM_ERROR"),
    ],
)
def test_bad_fields_are_refused_and_create_nothing(
    wallet: WalletState, change: dict[str, str], err_code: str
) -> None:
    assert order(wallet, **change)["err_code"] == err_code
    assert query(wallet)["err_code"] == "ORDERNOTEXIST"


def test_a_paid_order_cannot_be_paid_ordered_or_closed_again(wallet: WalletState) -> None:
    code_url = order(wallet)["code_url"]
    wallet.pay_native(code_url, PAYER)

    with pytest.raises(Refusal, match="ORDERPAID"):
        wallet.pay_native(code_url, "000002")
    assert order(wallet)["err_code"] == "ORDERPAID"
    assert close(wallet)["err_code"] == "ORDERPAID"
    assert query(wallet)["trade_state"] == "SUCCESS"
    assert taken(wallet) == 1250


def test_closing_an_unpaid_order_makes_its_qr_unpayable(wallet: WalletState) -> None:
    code_url = order(wallet)["code_url"]

    assert close(wallet) == {"result_code": "SUCCESS"}

    assert query(wallet)["trade_state"] == "CLOSED"
    with pytest.raises(Refusal, match="ORDERCLOSED"):
        wallet.pay_native(code_url, PAYER)
    assert close(wallet)["err_code"] == "ORDERCLOSED"
    assert order(wallet)["err_code"] == "ORDERCLOSED"
    assert taken(wallet) == 0


def test_an_unpaid_order_closes_by_itself(wallet: WalletState, clock: ManualClock) -> None:
    code_url = order(wallet)["code_url"]
    clock.advance(599.9)
    assert query(wallet)["trade_state"] == "NOTPAY"

    clock.advance(0.1)

    assert query(wallet)["trade_state"] == "CLOSED"
    with pytest.raises(Refusal, match="ORDERCLOSED"):
        wallet.pay_native(code_url, PAYER)


def test_a_paid_order_does_not_close_by_itself(wallet: WalletState, clock: ManualClock) -> None:
    order(wallet)
    wallet.pay_native("T1", PAYER)
    clock.advance(601)

    assert query(wallet)["trade_state"] == "SUCCESS"


def test_what_the_customer_cannot_pay(wallet: WalletState) -> None:
    wallet.micropay(
        {
            "body": "sale",
            "out_trade_no": "M1",
            "total_fee": "1250",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code(PAYER),
        }
    )

    with pytest.raises(Refusal, match="ORDERNOTEXIST"):
        wallet.pay_native("weixin://wxpay/bizpayurl?pr=nothing", PAYER)
    with pytest.raises(Refusal, match="TRADE_ERROR"):
        wallet.pay_native("M1", PAYER)
    order(wallet)
    with pytest.raises(ValueError, match="6 digits"):
        wallet.pay_native("T1", "42")
    assert query(wallet)["trade_state"] == "NOTPAY"


def test_closeorder_needs_an_order(wallet: WalletState) -> None:
    assert close(wallet, "T9")["err_code"] == "ORDERNOTEXIST"
    assert wallet.closeorder({})["err_code"] == "LACK_PARAMS"


def test_a_native_order_is_refunded_like_any_other(wallet: WalletState) -> None:
    order(wallet)
    wallet.pay_native("T1", PAYER)

    answer = wallet.refund(
        {"out_trade_no": "T1", "out_refund_no": "R1", "total_fee": "1250", "refund_fee": "250"}
    )

    assert answer["result_code"] == "SUCCESS"
    assert query(wallet)["trade_state"] == "REFUND"
    assert taken(wallet) == 1000


def test_transaction_ids_stay_unique_when_native_orders_are_paid_later(
    wallet: WalletState,
) -> None:
    order(wallet, "N1")
    micropay = wallet.micropay(
        {
            "body": "sale",
            "out_trade_no": "M1",
            "total_fee": "100",
            "spbill_create_ip": "127.0.0.1",
            "auth_code": make_code(PAYER),
        }
    )

    native = wallet.pay_native("N1", PAYER)

    assert native.transaction_id != micropay["transaction_id"]
    snapshot = wallet.order("N1")
    assert snapshot is not None
    assert snapshot.trade_type is TradeType.NATIVE
