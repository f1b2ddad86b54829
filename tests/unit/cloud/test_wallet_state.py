"""The sandbox wallet's trade_state machine, driven directly with a manual clock:
codes, password payers, deadlines, reverse, idempotency and refunds."""

from __future__ import annotations

import pytest

from cloud.wallet.codes import Payer, make_code, openid
from cloud.wallet.config import ManualClock, SandboxConfig
from cloud.wallet.orders import TradeState
from cloud.wallet.state import WalletState

PAYER = "424242"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def wallet(clock: ManualClock) -> WalletState:
    return WalletState(SandboxConfig(clock=clock))


def pay(wallet: WalletState, out_trade_no: str, code: str, fee: int = 1250) -> dict[str, str]:
    return wallet.micropay(
        {
            "body": "Store T01 sale",
            "out_trade_no": out_trade_no,
            "total_fee": str(fee),
            "spbill_create_ip": "127.0.0.1",
            "auth_code": code,
            "nonce_str": f"nonce-{out_trade_no}",
        }
    )


def query(wallet: WalletState, out_trade_no: str) -> dict[str, str]:
    return wallet.orderquery({"out_trade_no": out_trade_no})


def refund(wallet: WalletState, out_refund_no: str, fee: int, total: int = 1250) -> dict[str, str]:
    return wallet.refund(
        {
            "out_trade_no": "T1",
            "out_refund_no": out_refund_no,
            "total_fee": str(total),
            "refund_fee": str(fee),
        }
    )


def test_an_ordinary_payer_pays_at_once(wallet: WalletState) -> None:
    answer = pay(wallet, "T1", make_code(PAYER))

    assert answer["result_code"] == "SUCCESS"
    assert answer["total_fee"] == answer["cash_fee"] == "1250"
    assert answer["openid"] == openid(wallet.config.appid, make_code(PAYER))
    assert len(answer["transaction_id"]) == 28
    assert len(answer["time_end"]) == 14
    assert query(wallet, "T1")["trade_state"] == "SUCCESS"


def test_the_payer_is_the_last_six_digits_under_one_appid() -> None:
    first, second = make_code(PAYER, serial=1), make_code(PAYER, "6", serial=2, prefix="10")

    assert openid("wx1", first) == openid("wx1", second)
    assert openid("wx1", first) != openid("wx1", make_code("424243"))
    assert openid("wx1", first) != openid("wx2", first)
    assert openid("wx1", first).startswith("o")
    assert len(openid("wx1", first)) == 28


@pytest.mark.parametrize(
    "code",
    ["13000000000042424", "190000000000424242", "16000000000042424x", "１３0000000000424242"],
)
def test_a_code_that_is_not_wechat_is_invalid(wallet: WalletState, code: str) -> None:
    answer = pay(wallet, "T1", code)

    assert answer["err_code"] == "AUTH_CODE_INVALID"
    assert query(wallet, "T1")["err_code"] == "ORDERNOTEXIST"


def test_a_code_pays_once_only(wallet: WalletState) -> None:
    code = make_code(PAYER)
    pay(wallet, "T1", code)

    answer = pay(wallet, "T2", code)

    assert answer["err_code"] == "AUTH_CODE_INVALID"
    assert "仅限使用一次" in answer["err_code_des"]
    assert wallet.order("T2") is None


def test_a_code_expires_a_minute_after_it_was_issued(
    wallet: WalletState, clock: ManualClock
) -> None:
    fresh, stale = wallet.issue_code(PAYER), wallet.issue_code(PAYER)
    clock.advance(59)
    assert pay(wallet, "T1", fresh)["result_code"] == "SUCCESS"

    clock.advance(2)

    assert pay(wallet, "T2", stale)["err_code"] == "AUTHCODEEXPIRE"


def test_a_large_amount_waits_for_the_password_then_pays(
    wallet: WalletState, clock: ManualClock
) -> None:
    answer = pay(wallet, "T1", make_code(PAYER), fee=100_001)
    assert answer["err_code"] == "USERPAYING"
    clock.advance(9.9)
    assert query(wallet, "T1")["trade_state"] == "USERPAYING"

    clock.advance(0.1)

    paid = query(wallet, "T1")
    assert paid["trade_state"] == "SUCCESS"
    assert paid["total_fee"] == "100001"
    assert pay(wallet, "T1", make_code(PAYER), fee=100_001)["result_code"] == "SUCCESS"


def test_the_threshold_itself_needs_no_password(wallet: WalletState) -> None:
    assert pay(wallet, "T1", make_code(PAYER), fee=100_000)["result_code"] == "SUCCESS"


def test_a_payer_who_cancels_the_password_ends_in_payerror(
    wallet: WalletState, clock: ManualClock
) -> None:
    assert pay(wallet, "T1", make_code(PAYER, "7"))["err_code"] == "USERPAYING"
    clock.advance(10)

    assert query(wallet, "T1")["trade_state"] == "PAYERROR"
    assert pay(wallet, "T1", make_code(PAYER, "7"))["err_code"] == "TRADE_ERROR"


def test_a_silent_payer_is_revoked_at_45_seconds(wallet: WalletState, clock: ManualClock) -> None:
    pay(wallet, "T1", make_code(PAYER, "8"))
    clock.advance(44.9)
    assert query(wallet, "T1")["trade_state"] == "USERPAYING"

    clock.advance(0.1)

    assert query(wallet, "T1")["trade_state"] == "REVOKED"
    assert pay(wallet, "T1", make_code(PAYER, "8"))["err_code"] == "ORDERREVERSED"


def test_a_password_slower_than_the_deadline_never_pays(clock: ManualClock) -> None:
    wallet = WalletState(SandboxConfig(clock=clock, password_delay_s=50))
    pay(wallet, "T1", make_code(PAYER, "6"))
    clock.advance(60)

    assert query(wallet, "T1")["trade_state"] == "REVOKED"


def test_a_slow_bank_is_notpay_then_success(wallet: WalletState, clock: ManualClock) -> None:
    assert pay(wallet, "T1", make_code(PAYER, "5"))["err_code"] == "BANKERROR"
    assert query(wallet, "T1")["trade_state"] == "NOTPAY"
    clock.advance(10)

    assert query(wallet, "T1")["trade_state"] == "SUCCESS"


def test_a_bank_that_never_answers_closes_the_order(
    wallet: WalletState, clock: ManualClock
) -> None:
    pay(wallet, "T1", make_code(PAYER, "4"))
    clock.advance(45)

    assert query(wallet, "T1")["trade_state"] == "CLOSED"
    assert pay(wallet, "T1", make_code(PAYER, "4"))["err_code"] == "ORDERCLOSED"


def test_a_payer_without_money_fails_at_once(wallet: WalletState) -> None:
    assert pay(wallet, "T1", make_code(PAYER, "9"))["err_code"] == "NOTENOUGH"
    assert query(wallet, "T1")["trade_state"] == "PAYERROR"


def test_an_override_beats_the_digits(wallet: WalletState, clock: ManualClock) -> None:
    code = make_code(PAYER)
    wallet.set_payer(code, Payer.CANCELS)

    assert pay(wallet, "T1", code)["err_code"] == "USERPAYING"
    clock.advance(10)
    assert query(wallet, "T1")["trade_state"] == "PAYERROR"


def test_the_same_request_again_answers_the_same(wallet: WalletState) -> None:
    first = pay(wallet, "T1", make_code(PAYER))

    again = wallet.micropay(
        {
            "body": "Store T01 sale",
            "out_trade_no": "T1",
            "total_fee": "1250",
            "spbill_create_ip": "10.0.0.9",
            "auth_code": make_code(PAYER),
            "nonce_str": "another nonce",
        }
    )

    assert again == first
    assert wallet.order("T1") is not None


@pytest.mark.parametrize(("fee", "code"), [(1251, make_code(PAYER)), (1250, make_code("000002"))])
def test_an_order_number_cannot_be_reused_for_another_payment(
    wallet: WalletState, fee: int, code: str
) -> None:
    pay(wallet, "T1", make_code(PAYER))

    assert pay(wallet, "T1", code, fee)["err_code"] == "OUT_TRADE_NO_USED"
    assert query(wallet, "T1")["total_fee"] == "1250"


@pytest.mark.parametrize(
    ("change", "err_code"),
    [
        ({"total_fee": "12.50"}, "PARAM_ERROR"),
        ({"total_fee": "0"}, "PARAM_ERROR"),
        ({"out_trade_no": "T 1"}, "PARAM_ERROR"),
        ({"out_trade_no": "T" * 33}, "PARAM_ERROR"),
        ({"body": "x" * 128}, "PARAM_ERROR"),
        ({"fee_type": "USD"}, "PARAM_ERROR"),
        ({"auth_code": ""}, "LACK_PARAMS"),
        ({"spbill_create_ip": ""}, "LACK_PARAMS"),
    ],
)
def test_bad_fields_are_refused_and_change_nothing(
    wallet: WalletState, change: dict[str, str], err_code: str
) -> None:
    params = {
        "body": "sale",
        "out_trade_no": "T1",
        "total_fee": "100",
        "spbill_create_ip": "127.0.0.1",
        "auth_code": make_code(PAYER),
        **change,
    }

    assert wallet.micropay(params)["err_code"] == err_code
    assert pay(wallet, "T1", make_code(PAYER))["result_code"] == "SUCCESS"


def test_query_by_transaction_id_and_unknown_orders(wallet: WalletState) -> None:
    transaction_id = pay(wallet, "T1", make_code(PAYER))["transaction_id"]

    assert wallet.orderquery({"transaction_id": transaction_id})["out_trade_no"] == "T1"
    assert query(wallet, "T9")["err_code"] == "ORDERNOTEXIST"
    assert wallet.orderquery({})["err_code"] == "LACK_PARAMS"


def test_reversing_a_paid_order_returns_the_money(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER))

    answer = wallet.reverse({"out_trade_no": "T1"})

    assert answer == {"result_code": "SUCCESS", "recall": "N"}
    assert query(wallet, "T1")["trade_state"] == "REVOKED"
    order = wallet.order("T1")
    assert order is not None
    assert order.taken_fen == 0
    # The client retries reverse; a second one must succeed too.
    assert wallet.reverse({"out_trade_no": "T1"})["result_code"] == "SUCCESS"


def test_a_reversed_password_wait_never_pays(wallet: WalletState, clock: ManualClock) -> None:
    pay(wallet, "T1", make_code(PAYER, "6"))
    assert wallet.reverse({"out_trade_no": "T1"})["result_code"] == "SUCCESS"

    clock.advance(10)

    assert query(wallet, "T1")["trade_state"] == "REVOKED"
    order = wallet.order("T1")
    assert order is not None
    assert order.taken_fen == 0


def test_reverse_refusals(wallet: WalletState, clock: ManualClock) -> None:
    pay(wallet, "T1", make_code(PAYER))
    refund(wallet, "R1", 100)

    assert wallet.reverse({"out_trade_no": "T1"})["err_code"] == "TRADE_ERROR"
    assert wallet.reverse({"out_trade_no": "T9"})["err_code"] == "ORDERNOTEXIST"
    pay(wallet, "T2", make_code("000002"))
    clock.advance(7 * 24 * 3600 + 1)
    assert wallet.reverse({"out_trade_no": "T2"}) == {
        "result_code": "FAIL",
        "err_code": "REVERSE_EXPIRE",
        "err_code_des": "订单已超过撤销期限",
        "recall": "N",
    }


def test_partial_then_full_refund_never_more_than_paid(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER))

    first = refund(wallet, "R1", 250)
    assert first["result_code"] == "SUCCESS"
    assert first["refund_fee"] == "250"
    assert query(wallet, "T1")["trade_state"] == "REFUND"
    assert refund(wallet, "R2", 1001)["err_code"] == "REFUND_FEE_INVALID"
    assert refund(wallet, "R2", 1000)["result_code"] == "SUCCESS"
    assert refund(wallet, "R3", 1)["err_code"] == "REFUND_FEE_INVALID"
    order = wallet.order("T1")
    assert order is not None
    assert order.taken_fen == 0


def test_a_refund_number_refunds_once(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER))
    first = refund(wallet, "R1", 250)

    assert refund(wallet, "R1", 250) == first
    assert refund(wallet, "R1", 300)["err_code"] == "REFUND_FEE_MISMATCH"
    order = wallet.order("T1")
    assert order is not None
    assert order.taken_fen == 1000


def test_refunds_need_a_paid_order_and_its_amount(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER, "6"))

    assert refund(wallet, "R1", 100)["err_code"] == "ERROR"
    assert refund(wallet, "R1", 100, total=999)["err_code"] == "PARAM_ERROR"
    assert wallet.refund({"out_trade_no": "T1"})["err_code"] == "LACK_PARAMS"


def test_refundquery_lists_the_refunds(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER))
    refund(wallet, "R1", 250)
    second = refund(wallet, "R2", 50)

    by_order = wallet.refundquery({"out_trade_no": "T1"})
    by_refund = wallet.refundquery({"refund_id": second["refund_id"]})

    assert by_order["refund_count"] == "2"
    assert by_order["refund_fee"] == "300"
    assert [by_order["out_refund_no_0"], by_order["out_refund_no_1"]] == ["R1", "R2"]
    assert by_order["refund_status_1"] == "SUCCESS"
    assert len(by_order["refund_success_time_1"]) == len("2026-01-01 12:00:00")
    assert by_refund["refund_count"] == "1"
    assert by_refund["out_refund_no_0"] == "R2"
    assert wallet.refundquery({"out_refund_no": "R9"})["err_code"] == "REFUNDNOTEXIST"


def test_refundquery_of_an_order_without_refunds(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER))

    assert wallet.refundquery({"out_trade_no": "T1"})["err_code"] == "REFUNDNOTEXIST"
    assert wallet.refundquery({})["err_code"] == "LACK_PARAMS"


def test_advance_moves_the_sandbox_without_the_clock(wallet: WalletState) -> None:
    pay(wallet, "T1", make_code(PAYER, "6"))

    wallet.advance(10)

    assert query(wallet, "T1")["trade_state"] == TradeState.SUCCESS


def test_issued_codes_never_repeat_a_code_written_by_hand(wallet: WalletState) -> None:
    by_hand = make_code(PAYER, serial=1)
    pay(wallet, "T1", by_hand)

    issued = wallet.issue_code(PAYER)

    assert issued != by_hand
    assert issued.endswith(PAYER)
    assert pay(wallet, "T2", issued)["openid"] == openid(wallet.config.appid, by_hand)
