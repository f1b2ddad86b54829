"""Failures a test asks the sandbox to inject, per endpoint, for its next requests.

A fault is taken by the next request to its endpoint, `count` times. With `commit`
the request takes effect first (the order is paid, the reverse done) and only the
answer fails, which is the case a client must survive: money moved, no reply.

NOTIFY is the other way round: the sandbox posts to the till, and each delivery
attempt (the first and every retry) takes a fault. DROP loses the attempt: with
`commit` the till gets the notify but its answer is lost (so the notify comes again),
without it the till never sees it; SYSTEMERROR and HTTP_500 lose it like DROP. SLOW
delays it, BAD_SIGNATURE sends it with a wrong sign, MALFORMED truncates it. A DROP
with a `count` above the retries (`len(SandboxConfig.notify_retry_s) + 1`) drops a
payment's notify altogether: the till has to learn of it by query.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum


class Endpoint(StrEnum):
    MICROPAY = "micropay"
    ORDERQUERY = "orderquery"
    REVERSE = "reverse"
    REFUND = "refund"
    REFUNDQUERY = "refundquery"
    UNIFIEDORDER = "unifiedorder"
    CLOSEORDER = "closeorder"
    NOTIFY = "notify"
    """Not a request the till makes: the sandbox's notify to the till (see above)."""


class FaultKind(StrEnum):
    SYSTEMERROR = "systemerror"
    """A signed answer with err_code SYSTEMERROR (result unknown; reverse adds recall=Y)."""
    DROP = "drop"
    """Half the answer is sent, then the connection is closed."""
    HTTP_500 = "http500"
    """HTTP 500 with a plain-text body."""
    SLOW = "slow"
    """The right answer, after `delay_s`."""
    MALFORMED = "malformed"
    """A truncated, unparseable XML answer."""
    BAD_SIGNATURE = "bad_signature"
    """The right answer with a wrong sign."""


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    count: int = 1
    commit: bool = True
    """Apply the request before failing; without it the request has no effect."""
    delay_s: float = 0.0
    """Real seconds to wait before answering (any kind)."""


@dataclass(slots=True)
class _Queued:
    fault: Fault
    left: int


class FaultPlan:
    """The queued faults of every endpoint; safe to call from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[Endpoint, deque[_Queued]] = {}

    def add(self, endpoint: Endpoint, fault: Fault) -> None:
        if fault.count < 1:
            raise ValueError("A fault must apply to at least one request.")
        with self._lock:
            self._queues.setdefault(endpoint, deque()).append(_Queued(fault, fault.count))

    def take(self, endpoint: Endpoint) -> Fault | None:
        """The fault for this request to `endpoint`, if any is queued."""
        with self._lock:
            queue = self._queues.get(endpoint)
            if not queue:
                return None
            queued = queue[0]
            queued.left -= 1
            if not queued.left:
                queue.popleft()
            return queued.fault

    def clear(self) -> None:
        with self._lock:
            self._queues.clear()
