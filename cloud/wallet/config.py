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
    clock: Callable[[], float] = time.monotonic
