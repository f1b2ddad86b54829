"""The receipt printer as the till sees it, and what its DLE EOT status bytes mean.

Transports (network, serial, USB device file, file) are in devices.printer_transports;
the simulator is in devices.printer_sim. All of them answer status through
`read_status`, so the meaning of a status byte is decided once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from devices.scans import DeviceState, DeviceStatus
from receipts import escpos
from receipts.escpos import Status


class Printer(Protocol):
    """An ESC/POS printer behind some transport.

    `print_job(data)` returns once every byte was handed to the printer (for a
    network or USB printer that means accepted, not yet on paper); it raises
    DeviceError, worded for the technician, when the printer cannot be reached or
    takes nothing for longer than the transport's timeout. A long job on a slow
    printer may take longer than the timeout, as long as bytes keep going. Whether
    the job printed is a question for `status()`: a printer out of paper still
    accepts bytes.

    `status()` asks the printer (DLE EOT where it answers) and never raises: a
    printer that cannot be reached is OFFLINE, one that answers nothing or nonsense
    is ERROR, and `detail` says which port and what happened. It blocks for about
    the timeout at most (a connection, then an unanswered question), or while a job
    is being sent to the same printer.

    Callers run both off the UI's event loop.

    `close()` releases whatever the transport holds; it may be called more than once.
    """

    def print_job(self, data: bytes) -> None: ...

    def status(self) -> DeviceStatus: ...

    def close(self) -> None: ...


STATUS_FIXED_MASK = 0b1001_0011
STATUS_FIXED_BITS = 0b0001_0010
"""Every DLE EOT answer has bits 1 and 4 set and bits 0 and 7 clear (0x12 is "all well")."""

PRINTER_OFFLINE = 0x08
"""DLE EOT 1: the printer is offline."""
CAUSE_COVER_OPEN = 0x04
CAUSE_PAPER_END = 0x20
CAUSE_ERROR = 0x40
"""DLE EOT 2: why it is offline (printing stopped at the paper end; an error)."""
PAPER_NEAR_END = 0x0C
PAPER_END = 0x60
"""DLE EOT 4: the paper roll sensors (two bits each)."""

StatusQuery = Callable[[Status], int | None]
"""Sends DLE EOT n to the printer; returns its answer byte, or None if none came in time."""


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """A printer's answers to DLE EOT 1 (printer), 2 (offline cause) and 4 (paper)."""

    printer: int
    offline_cause: int
    paper: int

    def device_status(self, where: str) -> DeviceStatus:
        """What the answers mean; `where` (the port) heads the detail."""
        state, meaning = self._meaning()
        if state is DeviceState.READY:
            return DeviceStatus(state, where)
        # The raw answers help a technician with a printer that reports something odd.
        answers = f"DLE EOT 1/2/4 = {self.printer:#04x}/{self.offline_cause:#04x}/{self.paper:#04x}"
        return DeviceStatus(state, f"{where}: {meaning} ({answers})")

    def _meaning(self) -> tuple[DeviceState, str]:
        if self.offline_cause & CAUSE_COVER_OPEN:
            return DeviceState.COVER_OPEN, "the cover is open"
        if self.offline_cause & CAUSE_PAPER_END or self.paper & PAPER_END:
            return DeviceState.PAPER_OUT, "out of paper"
        if self.offline_cause & CAUSE_ERROR:
            return DeviceState.ERROR, "the printer reports an error (cutter jam, head too hot?)"
        if self.printer & PRINTER_OFFLINE:
            return DeviceState.OFFLINE, "the printer reports offline"
        if self.paper & PAPER_NEAR_END:
            return DeviceState.PAPER_LOW, "the paper roll is nearly out"
        return DeviceState.READY, "ready"


def read_status(
    query: StatusQuery, where: str, *, if_silent: DeviceStatus | None = None
) -> DeviceStatus:
    """Ask DLE EOT 1, 2 and 4 through `query` and decode the answers.

    Stops at the first question the printer does not answer, or answers with a byte
    that cannot be a status byte (wrong fixed bits): that is ERROR, not a guess. A
    transport whose printers may never answer (a one-way USB port) passes `if_silent`,
    returned when the first question gets no answer at all.
    """
    answers: list[int] = []
    for which in (Status.PRINTER, Status.OFFLINE_CAUSE, Status.PAPER):
        answer = query(which)
        if answer is None:
            if if_silent is not None and not answers:
                return if_silent
            return DeviceStatus(
                DeviceState.ERROR, f"{where}: no answer from the printer to DLE EOT {which}"
            )
        if answer & STATUS_FIXED_MASK != STATUS_FIXED_BITS:
            return DeviceStatus(
                DeviceState.ERROR,
                f"{where}: printer answered {answer:#04x} to DLE EOT {which}; "
                "not an ESC/POS status byte",
            )
        answers.append(answer)
    return PrinterStatus(*answers).device_status(where)


class PrinterDrawer:
    """The cash drawer on the printer's drawer-kick connector: `ESC p` through the printer.

    Implements devices.drawer.CashDrawer; `open()` raises the printer's DeviceError
    when the printer cannot take the pulse.
    """

    def __init__(self, printer: Printer, pin: int = 2, pulse_ms: int = 100) -> None:
        # Built now so a wrong pin in pos.toml fails at start-up, not at the first sale.
        self._pulse = escpos.drawer_pulse(pin, pulse_ms)
        self._printer = printer

    def open(self) -> None:
        self._printer.print_job(self._pulse)
