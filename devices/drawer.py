"""The cash drawer: a pulse on the printer's drawer-kick connector."""

from __future__ import annotations

import threading
from typing import Protocol

from devices.errors import DeviceError


class CashDrawer(Protocol):
    """Opens the cash drawer.

    `open()` returns once the opening pulse was sent; it raises DeviceError when the
    drawer (or the printer it hangs on) cannot be reached. It may block for up to the
    device's timeout, so callers run it off the UI's event loop.
    """

    def open(self) -> None: ...


class SimulatedDrawer:
    """A drawer for the demo store and the tests: counts openings, can be unplugged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.openings = 0
        self.unplugged = False

    def open(self) -> None:
        with self._lock:
            if self.unplugged:
                raise DeviceError(
                    "Cash drawer not reachable",
                    "The drawer did not answer; check its cable to the printer. "
                    "The sale is recorded.",
                )
            self.openings += 1
