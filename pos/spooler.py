"""The spooler: one thread that drains the print queue to the printer, in order.

A sale never waits on paper: the checkout only queues the receipt (pos.print_queue)
and wakes the spooler. The spooler asks the printer's state first, so a printer that
is out of paper, open or unplugged keeps its jobs queued (a warning, not an error),
and it retries every `retry_s` until the printer is back. It reports the printer's
state and the number of receipts waiting after every change, for the status bar.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from devices.errors import DeviceError
from devices.printer import Printer
from devices.scans import DeviceState, DeviceStatus
from pos.domain.errors import PosError
from pos.print_queue import Job, PrintQueue

log = logging.getLogger(__name__)

BLOCKED = frozenset({DeviceState.OFFLINE, DeviceState.PAPER_OUT, DeviceState.COVER_OPEN})
"""States in which a job is not sent. ERROR is not one of them: many printers never
answer a status request (it is optional) and print perfectly well."""


@dataclass(frozen=True, slots=True)
class PrinterReport:
    status: DeviceStatus
    waiting: int
    """Receipts queued and not yet printed."""

    @property
    def stuck(self) -> bool:
        """Receipts are waiting on a printer that cannot print them now."""
        return self.status.state in BLOCKED and self.waiting > 0


Render = Callable[[Job], bytes]
"""The job's ESC/POS bytes; raises PosError when its receipt cannot be made."""


class Spooler:
    def __init__(
        self,
        queue: PrintQueue,
        printer: Printer,
        render: Render,
        on_report: Callable[[PrinterReport], None],
        *,
        retry_s: float = 5.0,
    ) -> None:
        self._queue = queue
        self._printer = printer
        self._render = render
        self._on_report = on_report
        self._retry_s = retry_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: PrinterReport | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="spooler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was queued: print it now rather than at the next retry."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Ends the thread after the job in hand (a printer write has its own timeout)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            recovered = self._queue.recover()
        except PosError as error:
            log.error("print queue unreadable: %s", error.message)
            recovered = 0
        if recovered:
            log.warning("%d receipt(s) may have printed before a restart; reprinted as copies",
                        recovered)  # fmt: skip
        while not self._stopping.is_set():
            try:
                self._drain()
            except PosError as error:  # the ledger, not the printer: keep trying
                log.error("print queue: %s", error.message)
            self._wake.wait(self._retry_s)
            self._wake.clear()

    def _drain(self) -> None:
        while not self._stopping.is_set():
            status = self._printer.status()
            job = self._queue.next_job()
            if job is None or status.state in BLOCKED:
                self._report(status)
                return
            try:
                data = self._render(job)
            except PosError as error:
                log.error("receipt %s cannot be printed: %s", job.receipt_no, error.message)
                self._queue.failed(job, error.message)
                continue
            self._queue.sending(job)
            try:
                self._printer.print_job(data)
            except DeviceError as error:
                self._queue.refused(job, error.message)
                self._report(DeviceStatus(DeviceState.OFFLINE, error.message))
                return
            self._queue.printed(job)
            self._report(status)

    def _report(self, status: DeviceStatus) -> None:
        report = PrinterReport(status, self._queue.waiting())
        if report != self._last:
            self._last = report
            self._on_report(report)
