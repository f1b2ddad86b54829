"""One stream of scans, whatever the scanner: `(symbology, text, source)`.

Every scanner (keyboard wedge, serial, camera, evdev, simulator) reads on a thread
of its own and reports through two callbacks, so the till never waits on one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Scan:
    text: str
    """The payload, with prefix, suffix and AIM identifier removed."""
    symbology: str = ""
    """The AIM symbology identifier (`]E0` EAN-13, `]Q1` QR, ...) or "" when unknown."""
    source: str = ""
    """Which scanner read it: wedge, serial, camera, evdev or simulator."""


class DeviceState(StrEnum):
    READY = "ready"
    OFFLINE = "offline"
    """Not connected (unplugged, port missing, no frames); it is being retried."""
    PAPER_OUT = "paper_out"
    PAPER_LOW = "paper_low"
    COVER_OPEN = "cover_open"
    ERROR = "error"
    """Connected but answering wrongly; detail says how."""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    state: DeviceState
    detail: str = ""
    """For the technician: which port, what failed, what was dropped and why."""
    dropped: str = ""
    """Why the scanner just dropped a read before it became a scan (too long, bad
    encoding, a control character): the cashier is told, as of a refused scan."""


ScanHandler = Callable[[Scan], None]
StatusHandler = Callable[[DeviceStatus], None]


class Scanner(Protocol):
    """A source of scans.

    `start()` returns at once; scans and status changes then arrive on the callbacks,
    from the scanner's own thread (callers hand them to their event loop). A scanner
    retries a lost device by itself. `stop()` ends the reader within its read timeout
    and may be called more than once. Neither method raises for a device problem: that
    is a status (OFFLINE or ERROR), because a sale never waits on a scanner.
    """

    def start(self, on_scan: ScanHandler, on_status: StatusHandler) -> None: ...

    def stop(self) -> None: ...
