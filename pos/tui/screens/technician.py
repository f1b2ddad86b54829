"""The technician's screen: device states, a live scan monitor, a test print, the
camera's figures and the validated configuration with where each value came from.

Scans that reach this screen are shown, never sold. Nothing here changes pos.toml:
the configuration is read-only, as the file is the one place it is changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Label, Log, Static

from pos.domain.errors import PosError
from pos.tui.i18n import Strings
from pos.tui.messages import CodeScanned, LanguageSwitched, SignedOut
from pos.tui.screens.device_screen import DeviceScreen

if TYPE_CHECKING:
    from devices.scans import DeviceStatus
    from pos.config import Config
    from pos.domain.staff import StaffMember
    from pos.hardware import Devices
    from pos.ledger.database import Ledger
    from pos.spooler import PrinterReport

STATS_REFRESH_S = 1.0


KEYS = (
    ("f5", "test_print"),
    ("f10", "drawer"),
    ("ctrl+l", "language"),
    ("ctrl+o", "sign_out"),
)
"""The screen's keys; their labels follow the language (tech.key.<action>)."""


class TechnicianScreen(DeviceScreen):
    def __init__(
        self,
        config: Config,
        devices: Devices,
        ledger: Callable[[], Ledger],
        member: StaffMember,
        strings: Strings,
    ) -> None:
        super().__init__()
        self.config = config
        self.devices = devices
        self._ledger = ledger
        self.member = member
        self.strings = strings
        self._printer: PrinterReport | None = None
        self._scanner: DeviceStatus | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="tech-title")
        with Horizontal(id="tech-body"):
            with Vertical(id="tech-left"):
                yield Label(id="devices-title", classes="section-title")
                yield Static(id="device-states")
                yield Label(id="scans-title", classes="section-title")
                yield Log(id="scan-log", max_lines=500)
            with Vertical(id="tech-right"):
                yield Label(id="config-title", classes="section-title")
                yield DataTable(id="config", cursor_type="row", zebra_stripes=True)
        yield Static(id="tech-message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._label()
        self.set_interval(STATS_REFRESH_S, self._show_devices)

    # -- what the app hands down -------------------------------------------------------

    def show_devices(self, printer: PrinterReport | None, scanner: DeviceStatus | None) -> None:
        self._printer, self._scanner = printer, scanner
        if self.is_mounted:
            self._show_devices()

    @on(CodeScanned)
    def _scanned(self, message: CodeScanned) -> None:
        # Shown escaped: a scan is data, and a monitor is where odd payloads get looked at.
        shown = message.text.encode("unicode_escape").decode("ascii")
        stamp = datetime.now().strftime("%H:%M:%S")
        self.query_one(Log).write_line(f"{stamp}  {message.source:<9} {shown}")

    # -- actions -----------------------------------------------------------------------

    @work(thread=True, group="devices")
    def action_test_print(self) -> None:
        from pos.hardware import printer_check_page

        try:
            page = printer_check_page(self.config, self.devices.printer_name)
            self.devices.printer.print_job(page)
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(self._say, self.strings("tech.test_printed"))

    @work(thread=True, group="devices")
    def action_drawer(self) -> None:
        from pos.cash_drawer import open_drawer

        try:
            open_drawer(
                self.devices.drawer, self._ledger(), reason="test", staff_no=self.member.staff_no
            )
        except PosError as error:
            self.app.call_from_thread(self._error, error)
            return
        self.app.call_from_thread(self._say, self.strings("tech.drawer_opened"))

    def action_language(self) -> None:
        self.strings = self.strings.other()
        self._label()
        self.post_message(LanguageSwitched())

    def action_sign_out(self) -> None:
        self.post_message(SignedOut())

    # -- showing -----------------------------------------------------------------------

    def _label(self) -> None:
        strings = self.strings
        self._bindings = BindingsMap(
            [Binding(key, action, strings(f"tech.key.{action}")) for key, action in KEYS]
        )
        self.refresh_bindings()
        store = self.config.settings.store
        title = f" {strings('tech.title')} · {store.id} · {self.config.settings.till.device_id}"
        self.query_one("#tech-title", Static).update(Text(f"{title} · {self.member.name}"))
        self.query_one("#devices-title", Label).update(Text(strings("tech.devices")))
        self.query_one("#scans-title", Label).update(Text(strings("tech.scans")))
        self.query_one("#config-title", Label).update(
            Text(strings("tech.config", source=str(self.config.source or strings("tech.demo"))))
        )
        self._show_config()
        self._show_devices()

    def _show_devices(self) -> None:
        strings = self.strings
        printer, scanner = self._printer, self._scanner
        lines = [
            f"{strings('status.printer')}  {self.devices.printer_name}",
            "    " + (self._state(printer.status) if printer else strings("device.starting")),
        ]
        if printer is not None and printer.waiting:
            lines.append("    " + strings("status.waiting", count=printer.waiting))
        lines += [
            f"{strings('status.scanner')}  {self.devices.scanner_name}",
            "    " + (self._state(scanner) if scanner else strings("device.ready")),
        ]
        stats = getattr(self.devices.scanner, "stats", None)
        if callable(stats):  # a camera: its frame and decode figures
            figures = dataclasses.asdict(stats())
            lines.append(f"{strings('tech.camera')}  " + ", ".join(
                f"{name} {value:.1f}" if isinstance(value, float) else f"{name} {value}"
                for name, value in figures.items()
                if value != ""
            ))  # fmt: skip
        self.query_one("#device-states", Static).update(Text("\n".join(lines)))

    def _state(self, status: DeviceStatus) -> str:
        state = self.strings(f"device.{status.state.value}")
        return f"{state} ({status.detail})" if status.detail else state

    def _show_config(self) -> None:
        from pos.config.describe import describe

        table: DataTable[Text] = self.query_one("#config", DataTable)
        table.clear(columns=True)
        # The value column is capped so that where a value came from stays in view.
        for label, width in (("tech.key", None), ("tech.value", 24), ("tech.origin", None)):
            table.add_column(Text(self.strings(label)), width=width)
        for row in describe(self.config):
            value = Text(row.value, no_wrap=True, overflow="ellipsis")
            table.add_row(Text(row.key), value, Text(row.origin))

    def _say(self, text: str) -> None:
        self.query_one("#tech-message", Static).update(Text(text))
        self.query_one("#tech-message").set_class(False, "-error")

    def _error(self, error: PosError) -> None:
        self.app.bell()
        self.query_one("#tech-message", Static).update(Text(f"{error.title} · {error.message}"))
        self.query_one("#tech-message").set_class(True, "-error")
