"""The scanner simulator: scans replayed from a text file, for demos and soak runs.

A real adapter that pos.toml can select (`[scanner] kind = "simulator"`): one scan a
line, blank lines and lines starting with # skipped, replayed in order every
`interval_s`, then from the top again. The file is read again at each pass, so a
demo can be steered by editing it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from devices.scans import DeviceState, DeviceStatus, Scan, ScanHandler, StatusHandler

log = logging.getLogger(__name__)


class ScanSimulator:
    def __init__(self, script: Path, *, interval_s: float = 2.0) -> None:
        self.script = script
        self.interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_scan: ScanHandler, on_status: StatusHandler) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, args=(on_scan, on_status), name="scan-simulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self, on_scan: ScanHandler, on_status: StatusHandler) -> None:
        last: DeviceStatus | None = None
        while not self._stopping.is_set():
            try:
                lines = self.script.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                status = DeviceStatus(DeviceState.OFFLINE, f"{self.script}: {error}")
                codes: list[str] = []
            else:
                codes = [line.strip() for line in lines]
                codes = [code for code in codes if code and not code.startswith("#")]
                detail = f"{self.script}: {len(codes)} scans" if codes else "no scans"
                status = DeviceStatus(DeviceState.READY, detail)
            if status != last:
                log.info("scan simulator: %s", status.detail)
                on_status(status)
                last = status
            for code in codes:
                if self._stopping.wait(self.interval_s):
                    return
                on_scan(Scan(code, "", "simulator"))
            if not codes:
                self._stopping.wait(self.interval_s)
