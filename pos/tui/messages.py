"""Messages the screens send up to the app (named for what happened)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from devices.scans import DeviceStatus, Scan
    from pos.domain.staff import StaffMember
    from pos.shifts import Shift
    from pos.spooler import PrinterReport


class SignedIn(Message):
    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member


class ShiftOpened(Message):
    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift


class SignedOut(Message):
    """The cashier left the till; the sale in progress stays saved."""


class LanguageSwitched(Message):
    """The cashier switched the screen's language."""


class CodeScanned(Message):
    """A scanner delivered a code: the keyboard wedge (whatever had the focus), or the
    configured serial, camera, evdev or simulated scanner."""

    def __init__(self, text: str, source: str = "wedge") -> None:
        super().__init__()
        self.text = text
        self.source = source


class ScannerRead(Message):
    """The configured scanner's thread read a code (posted from that thread)."""

    def __init__(self, scan: Scan) -> None:
        super().__init__()
        self.scan = scan


class ScannerChanged(Message):
    """The configured scanner's state changed (posted from its thread)."""

    def __init__(self, status: DeviceStatus) -> None:
        super().__init__()
        self.status = status


class PrinterReported(Message):
    """The spooler saw the printer's state or the queue change (from its thread)."""

    def __init__(self, report: PrinterReport) -> None:
        super().__init__()
        self.report = report


class FeedJournaled(Message):
    """The cloud's feed journaled events of these types (posted from the sync thread)."""

    def __init__(self, types: frozenset[str]) -> None:
        super().__init__()
        self.types = types


class GatewayReachability(Message):
    """The wallet gateway became reachable or unreachable (posted from any thread)."""

    def __init__(self, online: bool) -> None:
        super().__init__()
        self.online = online


class WedgeFlushDue(Message):
    """The flush timer fired; handled in turn with the keys so none overtakes another."""
