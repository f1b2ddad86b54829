"""The screens that show the devices' states and take scans: the sale's and the
technician's. PosApp finds them on the screen stack by this class, so it need not
import them (and all the sale screen's dialogs) before it draws the sign-in screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from devices.scans import DeviceStatus
    from pos.spooler import PrinterReport


class DeviceScreen(Screen[None]):
    """A screen the app tells about the devices and posts scans to (CodeScanned)."""

    def show_devices(self, printer: PrinterReport | None, scanner: DeviceStatus | None) -> None:
        """The printer's and the scanner's latest states (attributes down from the app)."""
        raise NotImplementedError
