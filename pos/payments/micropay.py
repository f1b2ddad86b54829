"""The WeChat Pay v2 micropay client: a scanned payment code becomes money, exactly once.

Every order ends PAID, FAILED or REVERSED (or, if the gateway stops answering
altogether, UNRESOLVED, for a manual check): shared/reference/payments.md §1.4-1.6.

    micropay ──SUCCESS──────────────────────────────────────────────► PAID
        │ ──definite failure (bad code, not enough money...)────────► FAILED
        └─USERPAYING / SYSTEMERROR / no answer ─► query every 5 s (first after 5 s)
              SUCCESS ─► PAID;  PAYERROR / CLOSED / REVOKED ─► FAILED
              still unclear at the deadline (45 s), or cancelled ─► reverse
                  (never before 15 s; again while the gateway says recall=Y)
                  ─► REVERSED

The caller journals the order before `pay` sends anything (it chooses the
out_trade_no), so a crash at any point leaves an order that `resolve` can finish
on the next start: query, then reverse what is still unclear.

Blocking (HTTP with timeouts, sleeps between queries): run it in a worker thread.
Time and sleeping are injected so tests drive the schedule without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import httpx

from pos.payments.wechat_v2 import (
    ProtocolError,
    SignType,
    check_signature,
    from_xml,
    signed,
    to_xml,
)

DEFINITE_FAILURES = frozenset(
    {
        "AUTH_CODE_INVALID",
        "AUTHCODEEXPIRE",
        "AUTH_CODE_ERROR",
        "NOTENOUGH",
        "NOTSUPORTCARD",
        "TRADE_ERROR",
        "BUYER_MISMATCH",
        "ORDERCLOSED",
        "ORDERREVERSED",
        "OUT_TRADE_NO_USED",
        "PARAM_ERROR",
        "SIGNERROR",
        "LACK_PARAMS",
        "INVALID_REQUEST",
        "NOAUTH",
        "XML_FORMAT_ERROR",
        "APPID_MCHID_NOT_MATCH",
    }
)
"""err_codes after which the order cannot succeed: nothing was, or will be, charged."""


class Outcome(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    REVERSED = "reversed"
    UNRESOLVED = "unresolved"
    """The gateway never answered the reverse either: check the order by hand."""


class Progress(StrEnum):
    """What the payment modal shows while `pay` runs."""

    SENDING = "sending"
    WAITING_FOR_PASSWORD = "waiting_for_password"
    QUERYING = "querying"
    REVERSING = "reversing"


@dataclass(frozen=True, slots=True)
class Payment:
    out_trade_no: str
    outcome: Outcome
    total_fee: int = 0
    openid: str = ""
    """The payer under the merchant's appid: the member key."""
    transaction_id: str = ""
    reason: str = ""
    """Why it failed, in the gateway's words, for the cashier."""


@dataclass(frozen=True, slots=True)
class Refund:
    out_refund_no: str
    refunded: bool
    refund_fee: int = 0
    refund_id: str = ""
    reason: str = ""
    """Why it was refused (or never confirmed), in the gateway's words."""
    answered: bool = True
    """False when the gateway never gave a definite answer: ask again later with the
    same out_refund_no (it may yet be paid, and is never paid twice)."""


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    url: str
    appid: str
    mch_id: str
    api_key: str
    sign_type: SignType = SignType.MD5
    device_info: str = ""
    request_timeout_s: float = 10.0
    first_query_s: float = 5.0
    query_every_s: float = 5.0
    deadline_s: float = 45.0
    reverse_not_before_s: float = 15.0
    reverse_attempts: int = 10
    reverse_every_s: float = 2.0


Fields = Mapping[str, str]


class MicropayClient:
    def __init__(
        self,
        settings: GatewaySettings,
        http: httpx.Client,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`sleep` replaces waiting (tests advance their clock in it); by default a
        wait ends early when the payment is cancelled."""
        self.settings = settings
        self._http = http
        self._clock = clock
        self._sleep = sleep

    # -- the payment -----------------------------------------------------------------

    def pay(
        self,
        out_trade_no: str,
        total_fee: int,
        auth_code: str,
        body: str,
        *,
        on_progress: Callable[[Progress], None] = lambda _progress: None,
        cancel: threading.Event | None = None,
    ) -> Payment:
        """Charge `total_fee` fen to the payment code; returns how the order ended."""
        started = self._clock()
        on_progress(Progress.SENDING)
        answer = self._call(
            "/pay/micropay",
            {
                "out_trade_no": out_trade_no,
                "total_fee": str(total_fee),
                "auth_code": auth_code,
                "body": body,
                "spbill_create_ip": "127.0.0.1",
            },
        )
        if answer is not None:
            if answer.get("result_code") == "SUCCESS":
                return paid_payment(out_trade_no, answer)
            code = answer.get("err_code", "")
            if code in DEFINITE_FAILURES:
                return Payment(out_trade_no, Outcome.FAILED, reason=gateway_reason(answer))
            if code == "USERPAYING":
                on_progress(Progress.WAITING_FOR_PASSWORD)
        return self._settle(out_trade_no, started, on_progress, cancel, first_wait=True)

    def resolve(self, out_trade_no: str, started: float | None = None) -> Payment:
        """Finish an order a crash left open (on start): query it, reverse if unclear."""
        started = self._clock() - self.settings.deadline_s if started is None else started
        return self._settle(out_trade_no, started, lambda _progress: None, None, first_wait=False)

    def reverse(self, out_trade_no: str) -> Payment:
        """Give an order back (a paid one is refunded by the gateway); see `_reverse`."""
        past = self._clock() - self.settings.reverse_not_before_s
        return self._reverse(out_trade_no, past, lambda _progress: None)

    def _settle(
        self,
        out_trade_no: str,
        started: float,
        on_progress: Callable[[Progress], None],
        cancel: threading.Event | None,
        *,
        first_wait: bool,
    ) -> Payment:
        settings = self.settings
        deadline = started + settings.deadline_s
        wait = settings.first_query_s if first_wait else 0.0
        while not (cancel is not None and cancel.is_set()):
            if wait:
                self._pause(wait, cancel)
                if cancel is not None and cancel.is_set():
                    break
            on_progress(Progress.QUERYING)
            state = self.query(out_trade_no)
            if state is not None:
                trade_state = state.get("trade_state", "")
                if trade_state == "SUCCESS":
                    return paid_payment(out_trade_no, state)
                if trade_state in ("CLOSED", "REVOKED"):
                    return Payment(out_trade_no, Outcome.FAILED, reason=gateway_reason(state))
                if trade_state == "PAYERROR":
                    break  # reverse it: the gateway's advice for a failed payment
                if trade_state == "USERPAYING":
                    on_progress(Progress.WAITING_FOR_PASSWORD)
            if self._clock() >= deadline:
                break
            wait = min(settings.query_every_s, max(deadline - self._clock(), 0.0)) or 0.001
        return self._reverse(out_trade_no, started, on_progress)

    def _reverse(
        self, out_trade_no: str, started: float, on_progress: Callable[[Progress], None]
    ) -> Payment:
        settings = self.settings
        # The gateway refuses a reverse in the first seconds after the order.
        early = started + settings.reverse_not_before_s - self._clock()
        if early > 0:
            self._pause(early, None)
        on_progress(Progress.REVERSING)
        for attempt in range(settings.reverse_attempts):
            if attempt:
                self._pause(settings.reverse_every_s, None)
            answer = self._call("/secapi/pay/reverse", {"out_trade_no": out_trade_no})
            if answer is None:
                continue  # no answer: the order may or may not be reversed; ask again
            if answer.get("result_code") == "SUCCESS":
                return Payment(out_trade_no, Outcome.REVERSED, reason="reversed")
            if answer.get("recall") == "Y":
                continue
            if answer.get("err_code") == "ORDERNOTEXIST":
                # The micropay never arrived: nothing was charged, nothing to reverse.
                return Payment(out_trade_no, Outcome.FAILED, reason=gateway_reason(answer))
            return Payment(out_trade_no, Outcome.UNRESOLVED, reason=gateway_reason(answer))
        return Payment(
            out_trade_no, Outcome.UNRESOLVED, reason="the gateway did not confirm the reverse"
        )

    def _pause(self, seconds: float, cancel: threading.Event | None) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        elif cancel is not None:
            cancel.wait(seconds)
        else:
            time.sleep(seconds)

    # -- refunds -----------------------------------------------------------------------

    def refund(
        self, out_trade_no: str, out_refund_no: str, total_fee: int, refund_fee: int
    ) -> Refund:
        """Give `refund_fee` of a paid order back to its payer.

        `out_refund_no` makes it idempotent: an unknown result is asked again with the
        very same request, so a refund lost in transit is never paid twice.
        """
        params = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "total_fee": str(total_fee),
            "refund_fee": str(refund_fee),
        }
        for attempt in range(self.settings.reverse_attempts):
            if attempt:
                self._pause(self.settings.reverse_every_s, None)
            answer = self._call("/secapi/pay/refund", params)
            if answer is None or answer.get("err_code") in ("SYSTEMERROR", "BIZERR_NEED_RETRY"):
                continue
            if answer.get("result_code") == "SUCCESS":
                return Refund(out_refund_no, True, refund_fee, answer.get("refund_id", ""))
            return Refund(out_refund_no, False, 0, reason=gateway_reason(answer))
        return Refund(
            out_refund_no,
            False,
            0,
            reason="the gateway did not confirm the refund",
            answered=False,
        )

    # -- single calls ------------------------------------------------------------------

    def query(self, out_trade_no: str) -> Fields | None:
        """The order as the gateway sees it (trade_state), or None when unknown."""
        answer = self._call("/pay/orderquery", {"out_trade_no": out_trade_no})
        if answer is None or answer.get("result_code") != "SUCCESS":
            return None
        return answer

    def call(self, path: str, params: Mapping[str, str]) -> Fields | None:
        """One signed request to any v2 endpoint of the gateway (the store QR's client
        builds on it); the checked answer, or None when the result is unknown."""
        return self._call(path, params)

    def _call(self, path: str, params: Mapping[str, str]) -> Fields | None:
        """One signed request; the checked answer, or None when the result is unknown
        (no answer, HTTP error, malformed or badly signed answer, return_code FAIL)."""
        settings = self.settings
        message = signed(
            {
                "appid": settings.appid,
                "mch_id": settings.mch_id,
                **({"device_info": settings.device_info} if settings.device_info else {}),
                **params,
            },
            settings.api_key,
            settings.sign_type,
        )
        try:
            response = self._http.post(
                settings.url.rstrip("/") + path,
                content=to_xml(message),
                headers={"Content-Type": "text/xml"},
                timeout=settings.request_timeout_s,
            )
            response.raise_for_status()
            answer = from_xml(response.content)
        except (httpx.HTTPError, ProtocolError):
            return None
        if answer.get("return_code") != "SUCCESS":
            return None
        try:
            check_signature(answer, settings.api_key, settings.sign_type)
        except ProtocolError:
            return None
        return answer


def paid_payment(out_trade_no: str, answer: Fields) -> Payment:
    """A PAID payment from the gateway's answer (micropay, orderquery, a notify)."""
    return Payment(
        out_trade_no,
        Outcome.PAID,
        total_fee=int(answer.get("total_fee", "0") or 0),
        openid=answer.get("openid", ""),
        transaction_id=answer.get("transaction_id", ""),
    )


def gateway_reason(answer: Fields) -> str:
    """Why an order failed or stands where it does, in the gateway's words."""
    return (
        answer.get("err_code_des")
        or answer.get("trade_state_desc")
        or answer.get("err_code", "failed")
    )
