"""The store-presented QR (WeChat Pay v2 "native pay", mode 2): the till asks the
gateway for a payment QR, shows it, and the customer scans it with their phone.

    create: /pay/unifiedorder (trade_type NATIVE) ─► code_url, shown as a QR
    wait:   the notify (NotifyReceiver) or a query every query_every_s
              SUCCESS ─► PAID;  CLOSED / REVOKED ─► FAILED
            at the deadline, or cancelled by the cashier ─► /pay/closeorder
              closed (or closed already) ─► FAILED
              ORDERPAID: the customer paid at the last moment ─► query ─► PAID
              never confirmed ─► UNRESOLVED (check by hand)

The gateway sends its notify only when the order is paid, and may not send it at all
(shared/reference/payments.md §8), so the till queries as well: the notify only makes
the answer come sooner. Closing is what makes "not paid" final: after a close no one
can pay the QR, and a close that comes too late says ORDERPAID instead, so money taken
is never taken for nothing. `settle` ends an order a crash left open: close it, and
refund it in full if it was paid (its sale never committed).

A store-QR order cannot be reversed like a scanned code's (the gateway's reverse is
for micropay orders): money it took is given back by a refund, `refund_in_full`.

Blocking (HTTP with timeouts, pauses between queries): run it in a worker thread.
Time and sleeping are injected, as for MicropayClient, so tests drive the schedule
without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from enum import StrEnum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast
from urllib.parse import urlsplit

import httpx

from pos.errors import PosError
from pos.payments.micropay import (
    GatewaySettings,
    MicropayClient,
    Outcome,
    Payment,
    gateway_reason,
    paid_payment,
)
from pos.payments.wechat_v2 import MAX_MESSAGE_BYTES, ProtocolError, check_signature, from_xml

DEFAULT_DEADLINE_S = 120.0
"""How long a QR stays on screen before the till closes its order."""
NOTIFY_PATH = "/wechat/notify"
CLOSED_UNPAID = "收款码已关闭，未扣款"
"""The reason of a QR order closed unpaid, in the gateway's own language like its other
reasons (the cashier reads it in the payment's refusal)."""

_log = logging.getLogger(__name__)
# How often a wait looks at the notify and the cancel button between queries.
_GLANCE_S = 0.2
_RETRIED = frozenset({"SYSTEMERROR", "BIZERR_NEED_RETRY"})

Fields = Mapping[str, str]


class NativeProgress(StrEnum):
    """What the QR screen shows while `wait` runs."""

    WAITING = "waiting_for_customer"
    QUERYING = "querying"
    CLOSING = "closing"


class NativePayError(PosError):
    """No QR to show: the gateway refused the order, or could not be reached.

    `err_code` is the gateway's refusal, empty when it did not answer. ORDERPAID means
    the order was paid already: `close` it (or `wait`) to fetch the payment.
    """

    def __init__(self, title: str, message: str, err_code: str = "") -> None:
        super().__init__(title, message)
        self.err_code = err_code
        self.args = (title, message, err_code)  # so it pickles with its code


class Notified(threading.Event):
    """Set when the signed notify that the order is paid reaches the till;
    `payment` is what the notify said."""

    def __init__(self, out_trade_no: str) -> None:
        super().__init__()
        self.out_trade_no = out_trade_no
        self.payment: Payment | None = None


class NativePayClient:
    """Store-QR payments on one gateway, through a MicropayClient's signed calls."""

    def __init__(
        self,
        settings: GatewaySettings,
        http: httpx.Client,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        create_attempts: int = 3,
    ) -> None:
        """`sleep` replaces waiting (tests advance their clock in it); by default a
        wait ends early when the notify arrives or the payment is cancelled.
        `create_attempts` bounds how long a customer waits for a QR that does not
        come (the attempts, not the wait, are retried: the order is idempotent)."""
        self.settings = settings
        self._gateway = MicropayClient(settings, http, clock=clock, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._create_attempts = create_attempts

    # -- the QR -----------------------------------------------------------------------

    def create(
        self, out_trade_no: str, total_fee: int, body: str, notify_url: str, product_id: str = ""
    ) -> str:
        """Order `total_fee` fen from the gateway and return the code_url to show as a
        QR; NativePayError when there is none.

        Asking again with the same arguments returns the same code_url, so an answer
        lost on the way is simply asked for again. If no attempt is answered, the
        order may exist at the gateway unseen: no one can pay it without its QR, and
        `close` ends it.
        """
        params = {
            "out_trade_no": out_trade_no,
            "total_fee": str(total_fee),
            "body": body,
            "spbill_create_ip": "127.0.0.1",
            "notify_url": notify_url,
            "trade_type": "NATIVE",
            # The QR's product: one order, one QR, so the order number names it.
            "product_id": product_id or out_trade_no,
        }
        for attempt in range(self._create_attempts):
            if attempt:
                self._pause(self.settings.reverse_every_s)
            answer = self._gateway.call("/pay/unifiedorder", params)
            if answer is None or answer.get("err_code") in _RETRIED:
                continue
            code_url = answer.get("code_url", "")
            if answer.get("result_code") == "SUCCESS" and code_url:
                return code_url
            code = answer.get("err_code", "")
            raise NativePayError(
                "WeChat Pay refused the QR",
                f"The gateway would not create order {out_trade_no}: "
                f"{gateway_reason(answer)} ({code}).",
                code,
            )
        raise NativePayError(
            "WeChat Pay did not answer",
            f"No QR for order {out_trade_no}: the gateway could not be reached or did not "
            "answer in time. Try again, or take another payment.",
        )

    # -- the wait -----------------------------------------------------------------------

    def wait(
        self,
        out_trade_no: str,
        *,
        notified: threading.Event | None = None,
        on_progress: Callable[[NativeProgress], None] = lambda _progress: None,
        cancel: threading.Event | None = None,
        deadline_s: float = DEFAULT_DEADLINE_S,
    ) -> Payment:
        """Wait for the customer to pay the QR of `out_trade_no`: PAID, FAILED (closed
        unpaid) or UNRESOLVED (the gateway never confirmed either way).

        `notified` is set when the notify arrives (NotifyReceiver.expect); the gateway
        is queried then, and every query_every_s anyway. At `deadline_s`, or once
        `cancel` is set, the order is closed; a customer who paid just before that is
        still PAID, so check the outcome after a cancel too.
        """
        settings = self.settings
        started = self._clock()
        deadline = started + deadline_s
        next_query = started + settings.query_every_s
        heard = False  # the notify, once acted on, wakes no more queries
        on_progress(NativeProgress.WAITING)
        while not _is_set(cancel):
            notice = not heard and _is_set(notified)
            if notice or self._clock() >= next_query:
                heard = heard or notice
                on_progress(NativeProgress.QUERYING)
                state = self._gateway.query(out_trade_no)
                next_query = self._clock() + settings.query_every_s
                if state is not None:
                    trade_state = state.get("trade_state", "")
                    if trade_state == "SUCCESS":
                        return paid_payment(out_trade_no, state)
                    if trade_state in ("CLOSED", "REVOKED"):
                        return Payment(out_trade_no, Outcome.FAILED, reason=gateway_reason(state))
            if self._clock() >= deadline:
                break
            self._pause_until(min(next_query, deadline), None if heard else notified, cancel)
        on_progress(NativeProgress.CLOSING)
        return self._close(out_trade_no, notified)

    def close(self, out_trade_no: str) -> Payment:
        """Close the order so its QR can no longer be paid: FAILED once closed, PAID if
        the customer paid first, UNRESOLVED if the gateway never confirmed."""
        return self._close(out_trade_no, None)

    def settle(self, out_trade_no: str, total_fee: int) -> Payment:
        """Finish an order of `total_fee` a crash left open, whose sale never committed:
        close it, or give the money back if the customer paid. FAILED (closed),
        REVERSED (refunded) or UNRESOLVED."""
        payment = self.close(out_trade_no)
        if payment.outcome is not Outcome.PAID:
            return payment
        return self.refund_in_full(out_trade_no, payment.total_fee or total_fee)

    def refund_in_full(self, out_trade_no: str, total_fee: int) -> Payment:
        """Give all of a paid order back; see the module's `refund_in_full`."""
        return refund_in_full(self._gateway, out_trade_no, total_fee)

    def _close(self, out_trade_no: str, notified: threading.Event | None) -> Payment:
        settings = self.settings
        for attempt in range(settings.reverse_attempts):
            if attempt:
                self._pause(settings.reverse_every_s)
            answer = self._gateway.call("/pay/closeorder", {"out_trade_no": out_trade_no})
            if answer is None:
                continue  # closed or not, no one knows: closing again is harmless
            code = answer.get("err_code", "")
            if answer.get("result_code") == "SUCCESS":
                return Payment(out_trade_no, Outcome.FAILED, reason=CLOSED_UNPAID)
            if code in ("ORDERCLOSED", "ORDERNOTEXIST"):
                return Payment(out_trade_no, Outcome.FAILED, reason=gateway_reason(answer))
            if code == "ORDERPAID":
                return self._fetch_paid(out_trade_no, notified)
            if code not in _RETRIED:
                # Refused for good: the QR may still be payable, so a person must look.
                return Payment(out_trade_no, Outcome.UNRESOLVED, reason=gateway_reason(answer))
        return Payment(
            out_trade_no, Outcome.UNRESOLVED, reason="the gateway did not confirm the close"
        )

    def _fetch_paid(self, out_trade_no: str, notified: threading.Event | None) -> Payment:
        """The details of an order the gateway says is paid: its query, or else its
        notify (signed just the same); never a failure."""
        settings = self.settings
        for attempt in range(settings.reverse_attempts):
            if attempt:
                self._pause(settings.reverse_every_s)
            state = self._gateway.query(out_trade_no)
            if state is not None and state.get("trade_state") in ("SUCCESS", "REFUND"):
                return paid_payment(out_trade_no, state)
        if isinstance(notified, Notified) and notified.payment is not None:
            return notified.payment
        return Payment(
            out_trade_no,
            Outcome.UNRESOLVED,
            reason="paid (the gateway refused to close it), but its details never came",
        )

    def _pause_until(
        self, until: float, notified: threading.Event | None, cancel: threading.Event | None
    ) -> None:
        # Short glances, so whichever of the notify and the cancel comes first ends it.
        while not _is_set(notified) and not _is_set(cancel):
            left = until - self._clock()
            if left <= 0:
                return
            glance = min(left, _GLANCE_S)
            if self._sleep is not None:
                self._sleep(glance)
            elif notified is not None:
                notified.wait(glance)
            elif cancel is not None:
                cancel.wait(glance)
            else:
                time.sleep(glance)

    def _pause(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
        else:
            time.sleep(seconds)


def refund_in_full(gateway: MicropayClient, out_trade_no: str, total_fee: int) -> Payment:
    """Give a paid store-QR order's `total_fee` back to its payer: REVERSED once the
    gateway confirms the refund (money given back, as a reverse would), UNRESOLVED if it
    refuses or never answers (check the order by hand).

    The refund is named after its order (out_refund_no = out_trade_no: one give-back per
    order, and no return's refund number looks like an order's), so asking again,
    after a lost answer or a crash, never pays twice.
    """
    refund = gateway.refund(out_trade_no, out_trade_no, total_fee, total_fee)
    if refund.refunded:
        return Payment(out_trade_no, Outcome.REVERSED, reason="refunded in full")
    return Payment(out_trade_no, Outcome.UNRESOLVED, reason=f"not refunded: {refund.reason}")


def _is_set(event: threading.Event | None) -> bool:
    return event is not None and event.is_set()


# -- the notify ---------------------------------------------------------------------------


class NotifyReceiver(AbstractContextManager["NotifyReceiver"]):
    """The till's notify_url: a small HTTP server on 127.0.0.1 (in daemon threads)
    where the gateway posts a paid order's signed result.

    A notify whose signature, merchant or XML is wrong is answered FAIL and signals
    nothing; a good one is answered SUCCESS and sets the order's `Notified` event.
    The gateway repeats a notify until it is answered SUCCESS, so duplicates are
    expected and harmless. Stop it with `close()` or a `with` block.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str = "",
    ) -> None:
        """`port` 0 takes a free one. `public_url` is the address the gateway posts
        to when that is not this server's own (a store behind a reverse proxy)."""
        self.settings = settings
        self._public_url = public_url
        self._lock = threading.Lock()
        self._events: dict[str, Notified] = {}
        self._server = _Server((host, port), _NotifyHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            # How often serve_forever looks for a shutdown: close() waits up to this.
            kwargs={"poll_interval": 0.05},
            name="wallet-notify",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The notify_url to give the gateway."""
        if self._public_url:
            return self._public_url
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{NOTIFY_PATH}"

    def expect(self, out_trade_no: str) -> Notified:
        """The event the order's notify sets (already set if it came first)."""
        with self._lock:
            return self._events.setdefault(out_trade_no, Notified(out_trade_no))

    def forget(self, out_trade_no: str) -> None:
        """Drop a finished order's event, so a long day does not pile them up."""
        with self._lock:
            self._events.pop(out_trade_no, None)

    def notice(self, out_trade_no: str) -> Payment | None:
        """What the order's notify said, if one came."""
        with self._lock:
            event = self._events.get(out_trade_no)
            return event.payment if event is not None else None

    def close(self) -> None:
        """Stop serving and release the port; idempotent."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def receive(self, body: bytes) -> tuple[bool, str]:
        """Read one notify: (whether to answer SUCCESS, why not). Signals its order."""
        settings = self.settings
        try:
            fields = from_xml(body)
            check_signature(fields, settings.api_key, settings.sign_type)
        except ProtocolError as error:
            _log.warning("Refused a wallet notify: %s", error.message)
            return False, error.title
        if (fields.get("appid"), fields.get("mch_id")) != (settings.appid, settings.mch_id):
            _log.warning("Refused a wallet notify for another merchant.")
            return False, "another merchant"
        out_trade_no = fields.get("out_trade_no", "")
        if not out_trade_no:
            return False, "no out_trade_no"
        if fields.get("return_code") != "SUCCESS" or fields.get("result_code") != "SUCCESS":
            # Signed, but not a payment: nothing to signal, and nothing to send again.
            return True, ""
        payment = paid_payment(out_trade_no, fields)
        with self._lock:
            event = self._events.setdefault(out_trade_no, Notified(out_trade_no))
            if event.payment is None:
                event.payment = payment
        event.set()
        return True, ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        receiver: NotifyReceiver,
    ) -> None:
        super().__init__(address, handler)
        self.receiver = receiver


class _NotifyHandler(BaseHTTPRequestHandler):
    # Seconds a sender may stall mid-request before its thread gives up on it.
    timeout = 10.0

    def do_POST(self) -> None:
        if urlsplit(self.path).path != NOTIFY_PATH:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_MESSAGE_BYTES:
            self._answer(False, "bad Content-Length")
            return
        receiver = cast(_Server, self.server).receiver
        self._answer(*receiver.receive(self.rfile.read(length)))

    def _answer(self, ok: bool, why: str) -> None:
        code = "SUCCESS" if ok else "FAIL"
        message = "OK" if ok else why.replace("]]>", "")
        body = (
            f"<xml><return_code><![CDATA[{code}]]></return_code>"
            f"<return_msg><![CDATA[{message}]]></return_msg></xml>"
        ).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("notify receiver: " + format, *args)
