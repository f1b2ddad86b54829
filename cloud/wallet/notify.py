"""The payment notify: after a store-QR order is paid, the gateway posts the signed
result to the order's notify_url, and keeps posting until the till acknowledges it.

The till acknowledges with `<xml><return_code>SUCCESS</return_code></xml>` (CDATA
or not); any other answer, no answer or an HTTP error is a failed attempt, retried
after the waits of `SandboxConfig.notify_retry_s`, then given up. Each delivery runs
in its own daemon thread, so a slow or absent till never holds up the gateway, and
attempts pass through the fault plan's NOTIFY queue (cloud.wallet.faults).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from enum import StrEnum

import httpx

from cloud.wallet.config import SandboxConfig
from cloud.wallet.faults import Endpoint, FaultKind, FaultPlan
from cloud.wallet.orders import Fields
from pos.payments.wechat_v2 import ProtocolError, from_xml, signed, to_xml

_log = logging.getLogger(__name__)
# Kinds that make no sense for an outgoing message: the attempt is simply lost.
_LOSING = frozenset({FaultKind.DROP, FaultKind.SYSTEMERROR, FaultKind.HTTP_500})


class Delivery(StrEnum):
    """How one attempt to deliver a notify went."""

    ACKNOWLEDGED = "acknowledged"
    """The till answered return_code SUCCESS: no more attempts."""
    REFUSED = "refused"
    """The till answered, but not SUCCESS (a bad signature, say)."""
    UNREACHABLE = "unreachable"
    """No connection, no answer in time, or an HTTP error."""
    DROPPED = "dropped"
    """An injected fault lost the notify on the way: the till never saw it."""
    ANSWER_LOST = "answer_lost"
    """An injected fault lost the till's answer: the till has the notify."""


@dataclass(frozen=True, slots=True)
class Attempt:
    out_trade_no: str
    number: int
    """1 for the first post, then 2, 3 ... for the retries."""
    delivery: Delivery


class Notifier:
    """Sends the notifies of one sandbox; safe to call from any thread."""

    def __init__(self, config: SandboxConfig, faults: FaultPlan) -> None:
        self._config = config
        self._faults = faults
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._attempts: list[Attempt] = []

    def send(self, url: str, message: Fields) -> None:
        """Post `message` (the notify's fields, unsigned) to `url` until acknowledged;
        returns at once. Nothing is sent once the notifier is closed."""
        if self._stop.is_set():
            return
        body = signed(message, self._config.api_key, self._config.sign_type)
        thread = threading.Thread(
            target=self._deliver,
            args=(url, body),
            name=f"wallet-notify-{message.get('out_trade_no', '')}",
            daemon=True,
        )
        with self._lock:
            self._threads = [alive for alive in self._threads if alive.is_alive()]
            self._threads.append(thread)
        thread.start()

    def attempts(self) -> list[Attempt]:
        """Every delivery attempt so far, oldest first."""
        with self._lock:
            return list(self._attempts)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every delivery has ended (acknowledged or given up); False if
        some still run after `timeout` real seconds."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def close(self) -> None:
        """Stop retrying and wait for attempts in flight; later sends are ignored."""
        self._stop.set()
        self.join()

    def _deliver(self, url: str, body: Fields) -> None:
        waits = (0.0, *self._config.notify_retry_s)
        with httpx.Client(timeout=self._config.notify_timeout_s) as http:
            for number, wait in enumerate(waits, start=1):
                if self._stop.wait(wait):
                    return
                delivery = self._attempt(http, url, body)
                with self._lock:
                    self._attempts.append(Attempt(body.get("out_trade_no", ""), number, delivery))
                if delivery is Delivery.ACKNOWLEDGED:
                    return
        _log.info("Gave up notifying %s of %s.", url, body.get("out_trade_no", ""))

    def _attempt(self, http: httpx.Client, url: str, body: Fields) -> Delivery:
        fault = self._faults.take(Endpoint.NOTIFY)
        if fault is not None and fault.delay_s and self._stop.wait(fault.delay_s):
            return Delivery.DROPPED
        kind = fault.kind if fault is not None else None
        if fault is not None and kind in _LOSING and not fault.commit:
            return Delivery.DROPPED
        message = dict(body)
        if kind is FaultKind.BAD_SIGNATURE:
            message["sign"] = "0" * 32
        content = to_xml(message)
        if kind is FaultKind.MALFORMED:
            content = content[: len(content) // 2]
        try:
            response = http.post(url, content=content, headers={"Content-Type": "text/xml"})
            response.raise_for_status()
            answer = from_xml(response.content)
        except (httpx.HTTPError, ProtocolError) as error:
            _log.info("A notify to %s failed: %s", url, error)
            return Delivery.UNREACHABLE
        if kind in _LOSING:
            return Delivery.ANSWER_LOST
        if answer.get("return_code") != "SUCCESS":
            return Delivery.REFUSED
        return Delivery.ACKNOWLEDGED
