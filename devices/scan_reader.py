"""The reader thread every device scanner shares: it opens the device, reads, and
when the device is missing or lost reports OFFLINE and tries again, so nobody has to
restart the till when a scanner is unplugged and plugged back."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod

from devices.errors import DeviceError
from devices.scan_framing import Rejected
from devices.scans import DeviceState, DeviceStatus, Scan, ScanHandler, StatusHandler

logger = logging.getLogger(__name__)

_LOG_LEVELS = {DeviceState.READY: logging.INFO, DeviceState.ERROR: logging.ERROR}


class ReconnectingScanner(ABC):
    """The thread, the retrying and the reporting shared by the device scanners.

    A subclass's `_session` opens its device, calls `_ready`, reads until `_stopping`
    is set and hands what it framed to `_deliver`; it raises OSError when the device
    is missing or lost, and this class reports OFFLINE and calls it again after the
    reconnect interval, or DeviceError for a problem retrying cannot fix, which ends
    the reader with ERROR. Status changes are reported (and logged) once, not on every
    failed retry; every rejected line is logged and reported.
    """

    _on_scan: ScanHandler
    _on_status: StatusHandler

    def __init__(self, device: str, *, reconnect_interval_s: float, read_timeout_s: float) -> None:
        if reconnect_interval_s <= 0:
            raise ValueError(f"reconnect_interval_s must be positive, got {reconnect_interval_s}")
        if read_timeout_s <= 0:
            raise ValueError(f"read_timeout_s must be positive, got {read_timeout_s}")
        self._device = device
        self._reconnect_interval_s = reconnect_interval_s
        # Every read waits at most this long, so stop() is noticed within it.
        self._read_timeout_s = read_timeout_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_status: DeviceStatus | None = None
        self._ready_detail = ""

    def start(self, on_scan: ScanHandler, on_status: StatusHandler) -> None:
        if self._thread is not None:
            raise RuntimeError(f"the scanner on {self._device} is already started")
        self._on_scan = on_scan
        self._on_status = on_status
        self._stopping.clear()
        self._last_status = None
        self._thread = threading.Thread(
            target=self._run, name=f"{type(self).__name__} {self._device}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @abstractmethod
    def _session(self) -> None: ...

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                try:
                    self._session()
                except OSError as error:
                    self._report(DeviceState.OFFLINE, f"{self._device}: {error}")
                    self._stopping.wait(self._reconnect_interval_s)
        except DeviceError as error:
            # Retrying cannot fix it (a missing library, say): report it and stop.
            self._report(DeviceState.ERROR, f"{self._device}: {error.message}")
        except Exception as error:
            # A bug or a handler failing must not end scanning silently.
            logger.exception("scanner on %s stopped", self._device)
            self._report(DeviceState.ERROR, f"{self._device}: stopped after {error!r}")

    def _ready(self, detail: str) -> None:
        self._ready_detail = detail
        self._report(DeviceState.READY, detail)

    def _deliver(self, results: list[Scan | Rejected]) -> None:
        for result in results:
            if isinstance(result, Rejected):
                logger.warning("scanner on %s dropped %s", self._device, result.reason)
                # Every rejection is published, even one just like the last.
                self._publish(
                    DeviceStatus(
                        DeviceState.READY,
                        f"{self._device}: dropped {result.reason}",
                        dropped=result.reason,
                    )
                )
            else:
                # After a rejection, a good scan puts the plain READY status back.
                self._report(DeviceState.READY, self._ready_detail)
                self._on_scan(result)

    def _report(self, state: DeviceState, detail: str) -> None:
        status = DeviceStatus(state, detail)
        if status != self._last_status:
            logger.log(_LOG_LEVELS.get(state, logging.WARNING), "scanner %s: %s", state, detail)
            self._publish(status)

    def _publish(self, status: DeviceStatus) -> None:
        self._last_status = status
        self._on_status(status)
