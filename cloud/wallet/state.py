"""The sandbox wallet's orders and refunds: WeChat Pay v2's trade_state machine
(shared/reference/payments.md §1.5) without HTTP.

Each operation takes a request's fields (parsed, signature and merchant already
checked) and returns the business fields of the answer: `result_code` and, on a
failure, `err_code` and `err_code_des`. Transitions that happen by themselves (a
password typed or cancelled, the auto-revoke deadline) are applied when an order is
next looked at, by the injected clock, so tests move time instead of sleeping.

    micropay ─► SUCCESS ──refund──► REFUND
       │  └───► USERPAYING ─password (after password_delay_s)─► SUCCESS | PAYERROR
       │  └───► NOTPAY (bank pending) ─after password_delay_s─► SUCCESS
       │  └───► PAYERROR (not enough money)
       └ at auto_revoke_s: USERPAYING ─► REVOKED, NOTPAY ─► CLOSED
    reverse: SUCCESS (money returned), USERPAYING, PAYERROR, NOTPAY ─► REVOKED

The store-presented QR ("native pay", mode 2) waits for the customer instead:

    unifiedorder (NATIVE) ─► NOTPAY ─customer scans the code_url and pays─► SUCCESS
       └ closeorder, or still unpaid native_close_s later ─► CLOSED
    closeorder: SUCCESS or REFUND ─► ORDERPAID, CLOSED or REVOKED ─► ORDERCLOSED

`pay_native` plays the customer; the notify that follows is the HTTP side's job.
The real gateway is documented to refuse closeorder in an order's first 5 minutes,
but answers it at once in practice (a till closes on its own shorter deadline), so
the sandbox closes at any time.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from cloud.wallet import codes
from cloud.wallet.codes import Payer
from cloud.wallet.config import SandboxConfig
from cloud.wallet.orders import (
    PAID,
    PENDING,
    REVERSIBLE,
    STATE_TEXT,
    Fields,
    Order,
    Refund,
    Refusal,
    TradeState,
    TradeType,
)

_CHINA = timezone(timedelta(hours=8))
_OUT_NO = re.compile(r"[0-9A-Za-z_\-|*]{1,32}")
_MAX_BODY_CHARS = 127
_MAX_PRODUCT_ID_CHARS = 32
_MAX_NOTIFY_URL_CHARS = 256
_CODE_URL = "weixin://wxpay/bizpayurl?pr="
_PAYER = re.compile(r"[0-9]{6}")
# Trade types the real gateway knows but this sandbox's merchant has not signed up for.
_OTHER_TRADE_TYPES = frozenset({"JSAPI", "APP", "MWEB", "MICROPAY"})
# Fields that may differ between retries of one order: they are not the order.
_PER_REQUEST = frozenset({"nonce_str", "sign", "sign_type", "spbill_create_ip"})


class WalletState:
    """All orders and refunds of one merchant; safe to call from any thread."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._offset = 0.0
        # time_end is wall time in China; derive it from the injected clock.
        self._wall_origin = time.time() - config.clock()
        self._orders: dict[str, Order] = {}
        self._by_transaction: dict[str, Order] = {}
        self._refunds: dict[str, tuple[Order, Refund]] = {}
        self._sighted: dict[str, float] = {}
        self._used: set[str] = set()
        self._overrides: dict[str, Payer] = {}
        self._by_code_url: dict[str, Order] = {}
        self._serial = 0
        self._transactions = 0

    # -- the Python API for tests -------------------------------------------------

    def now(self) -> float:
        return self.config.clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time on (for tests that cannot inject the clock)."""
        with self._lock:
            self._offset += seconds

    def set_payer(self, code: str, payer: Payer) -> None:
        """Make `code` behave as `payer`, whatever its digits say."""
        with self._lock:
            self._overrides[code] = payer

    def issue_code(self, payer: str = "000001", behaviour: Payer = Payer.INSTANT) -> str:
        """A fresh code for the customer `payer` (6 digits), issued now (its TTL runs)."""
        with self._lock:
            code = ""
            # Skip codes a test already wrote by hand with codes.make_code.
            while not code or code in self._sighted or code in self._used:
                self._serial += 1
                code = codes.make_code(payer, serial=self._serial)
            self._overrides[code] = behaviour
            self._sighted[code] = self.now()
            return code

    def order(self, out_trade_no: str) -> Order | None:
        """A snapshot of the order as it stands now."""
        with self._lock:
            order = self._orders.get(out_trade_no)
            if order is None:
                return None
            self._settle(order)
            return dataclasses.replace(order, refunds=list(order.refunds))

    def orders(self) -> list[Order]:
        """Snapshots of every order the sandbox holds, whoever made it (for audits in
        tests: a charge the till never heard of must show up too)."""
        with self._lock:
            return [snapshot for no in list(self._orders) if (snapshot := self.order(no))]

    # -- the protocol -------------------------------------------------------------

    def micropay(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._micropay, params)

    def orderquery(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._orderquery, params)

    def reverse(self, params: Mapping[str, str]) -> Fields:
        answer = self._run(self._reverse, params)
        # recall=Y only for a fault the gateway applies (retrying would not help here).
        return {**answer, "recall": "N"}

    def refund(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._refund, params)

    def refundquery(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._refundquery, params)

    def unifiedorder(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._unifiedorder, params)

    def closeorder(self, params: Mapping[str, str]) -> Fields:
        return self._run(self._closeorder, params)

    # -- the customer of a store QR ---------------------------------------------------

    def pay_native(self, reference: str, payer: str = "000001") -> Order:
        """The customer `payer` (6 digits, like the end of a payment code, so the same
        customer has the same openid either way) scans the QR and pays.

        `reference` is the order's code_url (what the customer's phone reads) or its
        out_trade_no. Returns a snapshot of the paid order; raises Refusal
        (ORDERNOTEXIST, ORDERPAID, ORDERCLOSED, TRADE_ERROR) when it cannot be paid,
        as the wallet app would tell the customer.
        """
        if _PAYER.fullmatch(payer) is None:
            raise ValueError(f"A payer is 6 digits, not {payer!r}.")
        with self._lock:
            order = self._by_code_url.get(reference) or self._orders.get(reference)
            if order is None:
                raise Refusal("ORDERNOTEXIST", "此交易订单号不存在")
            if order.trade_type is not TradeType.NATIVE:
                raise Refusal("TRADE_ERROR", "该订单不是扫码支付订单，没有二维码")
            self._settle(order)
            if order.state in PAID:
                raise Refusal("ORDERPAID", "该订单已支付，请勿重复支付")
            if order.state is not TradeState.NOTPAY:
                raise Refusal("ORDERCLOSED", "二维码已失效，订单已关闭")
            order.state = TradeState.SUCCESS
            order.paid_at = self.now()
            order.openid = codes.openid(self.config.appid, payer)
            order.transaction_id = self._next_transaction_id()
            self._by_transaction[order.transaction_id] = order
            return dataclasses.replace(order, refunds=list(order.refunds))

    def notify_fields(self, out_trade_no: str) -> Fields:
        """The business fields of the payment notify of a paid order."""
        with self._lock:
            order = self._orders[out_trade_no]
            return {"result_code": "SUCCESS", **self._payment_fields(order)}

    def _run(
        self, operation: Callable[[Mapping[str, str]], Fields], params: Mapping[str, str]
    ) -> Fields:
        try:
            with self._lock:
                return operation(params)
        except Refusal as refusal:
            return refusal.fields()

    def _micropay(self, params: Mapping[str, str]) -> Fields:
        _require(params, "body", "out_trade_no", "total_fee", "spbill_create_ip", "auth_code")
        out_trade_no = _out_no(params, "out_trade_no")
        total_fee = _fen(params, "total_fee")
        if len(params["body"]) > _MAX_BODY_CHARS:
            raise Refusal("PARAM_ERROR", f"body 不能超过{_MAX_BODY_CHARS}个字符")
        if params.get("fee_type", "CNY") != "CNY":
            raise Refusal("PARAM_ERROR", "fee_type 只支持 CNY")
        request = {key: value for key, value in params.items() if key not in _PER_REQUEST}
        existing = self._orders.get(out_trade_no)
        if existing is not None:
            if existing.request != request:
                raise Refusal("OUT_TRADE_NO_USED", "商户订单号重复")
            self._settle(existing)
            return self._pay_answer(existing)
        code = params["auth_code"]
        self._check_code(code)
        self._used.add(code)
        payer = self._overrides.get(code, codes.behaviour(code))
        now = self.now()
        order = Order(
            out_trade_no=out_trade_no,
            transaction_id=self._next_transaction_id(),
            request=request,
            total_fee=total_fee,
            payer=payer,
            openid=codes.openid(self.config.appid, code),
            created=now,
            state=self._first_state(payer, total_fee),
        )
        if order.state is TradeState.SUCCESS:
            order.paid_at = now
        elif order.state is TradeState.PAYERROR:
            order.failure = Refusal("NOTENOUGH", "用户余额不足")
        self._orders[out_trade_no] = order
        self._by_transaction[order.transaction_id] = order
        return self._pay_answer(order)

    def _next_transaction_id(self) -> str:
        self._transactions += 1
        return f"4200{self._transactions:024d}"

    def _check_code(self, code: str) -> None:
        if not codes.is_wechat_code(code):
            raise Refusal(
                "AUTH_CODE_INVALID", "请扫描微信支付授权码(以10/11/12/13/14/15为前缀的18位数字)"
            )
        if code in self._used:
            raise Refusal("AUTH_CODE_INVALID", "101 每个二维码仅限使用一次，请刷新再试")
        now = self.now()
        if now - self._sighted.setdefault(code, now) > self.config.code_ttl_s:
            raise Refusal("AUTHCODEEXPIRE", "101 付款码已过期，请刷新再试")

    def _first_state(self, payer: Payer, total_fee: int) -> TradeState:
        if payer is Payer.NO_FUNDS:
            return TradeState.PAYERROR
        if payer in codes.BANK_PENDING:
            return TradeState.NOTPAY
        if payer in codes.ASKS_PASSWORD or total_fee > self.config.userpaying_above_fen:
            return TradeState.USERPAYING
        return TradeState.SUCCESS

    def _settle(self, order: Order) -> None:
        """Apply what happened to a pending order since it was last looked at."""
        if order.state not in PENDING:
            return
        now = self.now()
        if order.trade_type is TradeType.NATIVE:
            # Only the customer pays a store QR (pay_native); time can only close it.
            if now >= order.created + self.config.native_close_s:
                order.state = TradeState.CLOSED
            return
        answered_at = order.created + self.config.password_delay_s
        deadline = order.created + self.config.auto_revoke_s
        answers = order.payer not in {Payer.SILENT, Payer.BANK_DOWN}
        if answers and answered_at < deadline and now >= answered_at:
            if order.payer is Payer.CANCELS:
                order.state = TradeState.PAYERROR
                order.failure = Refusal("TRADE_ERROR", "用户取消支付")
            else:
                order.state = TradeState.SUCCESS
                order.paid_at = answered_at
        elif now >= deadline:
            order.state = (
                TradeState.REVOKED if order.state is TradeState.USERPAYING else TradeState.CLOSED
            )

    def _pay_answer(self, order: Order) -> Fields:
        if order.state in PAID:
            return {"result_code": "SUCCESS", **self._payment_fields(order)}
        failures = {
            TradeState.USERPAYING: Refusal("USERPAYING", "需要用户输入支付密码"),
            TradeState.NOTPAY: Refusal("BANKERROR", "银行系统异常"),
            TradeState.REVOKED: Refusal("ORDERREVERSED", "订单已撤销"),
            TradeState.CLOSED: Refusal("ORDERCLOSED", "订单已关闭"),
        }
        refusal = order.failure if order.state is TradeState.PAYERROR else failures[order.state]
        assert refusal is not None  # every PAYERROR records why
        return refusal.fields()

    def _payment_fields(self, order: Order) -> Fields:
        assert order.paid_at is not None
        echoed: Fields = {
            key: order.request[key] for key in ("attach", "device_info") if key in order.request
        }
        return {
            **echoed,
            "openid": order.openid,
            "is_subscribe": "N",
            "trade_type": order.trade_type.value,
            "bank_type": "OTHERS",
            "fee_type": "CNY",
            "total_fee": str(order.total_fee),
            "cash_fee": str(order.total_fee),
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "time_end": self._wall_time(order.paid_at).strftime("%Y%m%d%H%M%S"),
        }

    def _wall_time(self, moment: float) -> datetime:
        return datetime.fromtimestamp(self._wall_origin + moment, _CHINA)

    def _orderquery(self, params: Mapping[str, str]) -> Fields:
        order = self._find_order(params)
        answer = {
            "result_code": "SUCCESS",
            "out_trade_no": order.out_trade_no,
            "trade_state": order.state.value,
            "trade_state_desc": STATE_TEXT[order.state],
        }
        if order.state in PAID:
            answer.update(self._payment_fields(order))
        return answer

    def _reverse(self, params: Mapping[str, str]) -> Fields:
        order = self._find_order(params)
        if self.now() - order.created > self.config.reverse_window_s:
            raise Refusal("REVERSE_EXPIRE", "订单已超过撤销期限")
        if order.state is TradeState.REFUND:
            raise Refusal("TRADE_ERROR", "订单已发生退款，不能撤销")
        if order.state in REVERSIBLE:
            order.revoked_after_payment = order.state is TradeState.SUCCESS
            order.state = TradeState.REVOKED
        # Reversing a REVOKED or CLOSED order again succeeds: the client retries.
        return {"result_code": "SUCCESS"}

    def _refund(self, params: Mapping[str, str]) -> Fields:
        _require(params, "out_refund_no", "total_fee", "refund_fee")
        out_refund_no = _out_no(params, "out_refund_no")
        total_fee, refund_fee = _fen(params, "total_fee"), _fen(params, "refund_fee")
        order = self._find_order(params)
        if total_fee != order.total_fee:
            raise Refusal("PARAM_ERROR", "订单金额与原订单不一致")
        earlier = self._refunds.get(out_refund_no)
        if earlier is not None:
            earlier_order, refund = earlier
            if earlier_order is not order:
                raise Refusal("PARAM_ERROR", "退款单号已用于其他订单")
            if refund.refund_fee != refund_fee:
                raise Refusal("REFUND_FEE_MISMATCH", "同一退款单号的退款金额与之前请求不一致")
            return self._refund_answer(order, refund)
        if order.state not in PAID:
            raise Refusal("ERROR", f"订单状态为{order.state.value}，不能退款")
        if order.returned_fen + refund_fee > order.total_fee:
            raise Refusal("REFUND_FEE_INVALID", "累计退款金额大于支付金额")
        refund = Refund(out_refund_no, f"5030{len(self._refunds) + 1:025d}", refund_fee, self.now())
        order.refunds.append(refund)
        order.state = TradeState.REFUND
        self._refunds[out_refund_no] = (order, refund)
        return self._refund_answer(order, refund)

    def _refund_answer(self, order: Order, refund: Refund) -> Fields:
        return {
            "result_code": "SUCCESS",
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "out_refund_no": refund.out_refund_no,
            "refund_id": refund.refund_id,
            "refund_fee": str(refund.refund_fee),
            "total_fee": str(order.total_fee),
            "cash_fee": str(order.total_fee),
            "cash_refund_fee": str(refund.refund_fee),
        }

    def _refundquery(self, params: Mapping[str, str]) -> Fields:
        # A refund number names one refund; an order number names all of the order's.
        wanted = next(
            (
                pair
                for pair in self._refunds.values()
                if pair[1].refund_id == params.get("refund_id")
                or pair[1].out_refund_no == params.get("out_refund_no")
            ),
            None,
        )
        if wanted is not None:
            order, refunds = wanted[0], [wanted[1]]
        elif params.get("refund_id") or params.get("out_refund_no"):
            raise Refusal("REFUNDNOTEXIST", "退款订单查询失败")
        else:
            order = self._find_order(params)
            refunds = order.refunds
        if not refunds:
            raise Refusal("REFUNDNOTEXIST", "退款订单查询失败")
        answer = {
            "result_code": "SUCCESS",
            "transaction_id": order.transaction_id,
            "out_trade_no": order.out_trade_no,
            "total_fee": str(order.total_fee),
            "cash_fee": str(order.total_fee),
            "refund_count": str(len(refunds)),
            "refund_fee": str(sum(refund.refund_fee for refund in refunds)),
        }
        for index, refund in enumerate(refunds):
            answer[f"out_refund_no_{index}"] = refund.out_refund_no
            answer[f"refund_id_{index}"] = refund.refund_id
            answer[f"refund_fee_{index}"] = str(refund.refund_fee)
            answer[f"refund_status_{index}"] = "SUCCESS"
            success_time = self._wall_time(refund.at).strftime("%Y-%m-%d %H:%M:%S")
            answer[f"refund_success_time_{index}"] = success_time
        return answer

    def _unifiedorder(self, params: Mapping[str, str]) -> Fields:
        _require(
            params, "body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url",
            "trade_type",
        )  # fmt: skip
        trade_type = params["trade_type"]
        if trade_type in _OTHER_TRADE_TYPES:
            raise Refusal("NOAUTH", f"商户未开通 {trade_type} 支付权限（沙箱只支持 NATIVE）")
        if trade_type != TradeType.NATIVE.value:
            raise Refusal("PARAM_ERROR", "trade_type 必须是 JSAPI、NATIVE、APP 或 MWEB")
        _require(params, "product_id")  # required with NATIVE: the QR names a product
        out_trade_no = _out_no(params, "out_trade_no")
        total_fee = _fen(params, "total_fee")
        if len(params["body"]) > _MAX_BODY_CHARS:
            raise Refusal("PARAM_ERROR", f"body 不能超过{_MAX_BODY_CHARS}个字符")
        if len(params["product_id"]) > _MAX_PRODUCT_ID_CHARS:
            raise Refusal("PARAM_ERROR", f"product_id 不能超过{_MAX_PRODUCT_ID_CHARS}个字符")
        if params.get("fee_type", "CNY") != "CNY":
            raise Refusal("PARAM_ERROR", "fee_type 只支持 CNY")
        _check_notify_url(params["notify_url"])
        request = {key: value for key, value in params.items() if key not in _PER_REQUEST}
        existing = self._orders.get(out_trade_no)
        if existing is not None:
            # Re-entry must repeat the order exactly, in the same payment scene.
            if existing.trade_type is not TradeType.NATIVE or existing.request != request:
                raise Refusal("INVALID_REQUEST", "201 商户订单号重复")
            self._settle(existing)
            if existing.state in PAID:
                raise Refusal("ORDERPAID", "商户订单已支付，无需重复操作")
            if existing.state is not TradeState.NOTPAY:
                raise Refusal("ORDERCLOSED", "当前订单已关闭，无法支付")
            return self._native_answer(existing)
        now = self.now()
        order = Order(
            out_trade_no=out_trade_no,
            transaction_id="",
            request=request,
            total_fee=total_fee,
            payer=Payer.INSTANT,  # not used: the customer is known when they pay
            openid="",
            created=now,
            state=TradeState.NOTPAY,
            trade_type=TradeType.NATIVE,
            code_url=self._new_code_url(),
            prepay_id=f"wx{self._wall_time(now):%Y%m%d%H%M%S}{secrets.token_hex(11)}",
        )
        self._orders[out_trade_no] = order
        self._by_code_url[order.code_url] = order
        return self._native_answer(order)

    def _new_code_url(self) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            code_url = _CODE_URL + "".join(secrets.choice(alphabet) for _ in range(7))
            if code_url not in self._by_code_url:
                return code_url

    def _native_answer(self, order: Order) -> Fields:
        device: Fields = {"device_info": order.request.get("device_info", "")}
        return {
            **{key: value for key, value in device.items() if value},
            "result_code": "SUCCESS",
            "trade_type": order.trade_type.value,
            "prepay_id": order.prepay_id,
            "code_url": order.code_url,
        }

    def _closeorder(self, params: Mapping[str, str]) -> Fields:
        _require(params, "out_trade_no")
        order = self._orders.get(params["out_trade_no"])
        if order is None:
            raise Refusal("ORDERNOTEXIST", "此交易订单号不存在")
        self._settle(order)
        if order.state in PAID:
            raise Refusal("ORDERPAID", "订单已支付，不能发起关单")
        if order.state in (TradeState.CLOSED, TradeState.REVOKED):
            raise Refusal("ORDERCLOSED", "订单已关闭，无法重复关闭")
        order.state = TradeState.CLOSED
        return {"result_code": "SUCCESS"}

    def _find_order(self, params: Mapping[str, str]) -> Order:
        """The order named by transaction_id (preferred, as documented) or out_trade_no."""
        transaction_id, out_trade_no = params.get("transaction_id"), params.get("out_trade_no")
        if not transaction_id and not out_trade_no:
            raise Refusal("LACK_PARAMS", "缺少参数 out_trade_no 或 transaction_id")
        order = (
            self._by_transaction.get(transaction_id)
            if transaction_id
            else self._orders.get(out_trade_no or "")
        )
        if order is None:
            raise Refusal("ORDERNOTEXIST", "此交易订单号不存在")
        self._settle(order)
        return order


def _require(params: Mapping[str, str], *names: str) -> None:
    missing = [name for name in names if not params.get(name)]
    if missing:
        raise Refusal("LACK_PARAMS", f"缺少参数 {', '.join(missing)}")


def _out_no(params: Mapping[str, str], name: str) -> str:
    value = params[name]
    if _OUT_NO.fullmatch(value) is None:
        raise Refusal("PARAM_ERROR", f"{name} 格式错误：至多32位字母、数字或 _-|*")
    return value


def _check_notify_url(url: str) -> None:
    parts = urlsplit(url)
    if (
        len(url) > _MAX_NOTIFY_URL_CHARS
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
    ):
        raise Refusal("PARAM_ERROR", "notify_url 格式错误：必须是不带参数的 http(s) 地址")


def _fen(params: Mapping[str, str], name: str) -> int:
    text = params[name]
    if not text.isascii() or not text.isdigit() or int(text) <= 0:
        raise Refusal("PARAM_ERROR", f"{name} 必须是正整数（单位：分）")
    return int(text)
