"""The sandbox merchant's settings, and a clock tests move by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pos.payments.wechat_v2 import SignType


class ManualClock:
    """A clock that moves only when told: inject it to skip the waits of the protocol."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


# The real gateway gives up on an unacknowledged notify after these, about 24 h in all.
_NOTIFY_RETRY_S = (15.0, 15.0, 30.0, 180.0, 600.0, 1200.0, 1800.0, 1800.0, 1800.0, 3600.0,
                   10800.0, 10800.0, 10800.0, 21600.0, 21600.0)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    appid: str = "wx2421b1c4370ec43b"
    mch_id: str = "10000100"
    api_key: str = "192006250b4c09247ec02edce69f6a2d"
    sign_type: SignType = SignType.MD5
    """Requests must declare this sign type (absent means MD5); answers use it."""
    userpaying_above_fen: int = 100_000
    """Above ¥1000 the payer must type a password (reference §1.2)."""
    password_delay_s: float = 10.0
    """How long a payer takes to type (or cancel) a password, or a slow bank to answer."""
    auto_revoke_s: float = 45.0
    """An order still unpaid this long after micropay is revoked (reference §1.6)."""
    code_ttl_s: float = 60.0
    """A code expires this long after it was issued or, if the sandbox did not issue
    it, first seen: the wallet app refreshes its code every minute (reference §7)."""
    reverse_window_s: float = 7 * 24 * 3600.0
    """Reverse is allowed for 7 days (reference §1.6)."""
    native_close_s: float = 2 * 3600.0
    """A store-QR (NATIVE) order still unpaid this long after unifiedorder closes by
    itself: its code_url is valid for two hours."""
    notify_retry_s: tuple[float, ...] = _NOTIFY_RETRY_S
    """Real seconds between a notify the till did not acknowledge and the next try
    (the gateway's 15 s, 15 s, 30 s, 3 min ... over about a day); tests shorten it.
    Real, not `clock`, seconds: the gateway sends notifies on its own, not when
    asked."""
    notify_timeout_s: float = 5.0
    """How long the sandbox waits for the till's answer to one notify."""
    clock: Callable[[], float] = time.monotonic
