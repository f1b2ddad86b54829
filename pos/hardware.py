"""The configured devices, built from [scanner], [printer], [drawer] and [customer_display].

Part of the composition root: the only place that turns settings into adapters, so
the TUI, the CLI's device commands and `pos doctor` all see the same devices. Device
modules are imported only for the kind configured (OpenCV and the decoders weigh a
few hundred milliseconds of start-up a till with a serial scanner never needs).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from devices.customer_display import CustomerDisplay, NoCustomerDisplay
from devices.drawer import CashDrawer
from devices.errors import DeviceError
from pos.config import Config
from pos.errors import PosError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from devices.printer import Printer
    from devices.scans import Scanner
    from pos.ledger.database import Ledger
    from pos.print_queue import Job
    from receipts.render_escpos import PrinterProfile
    from receipts.sale_receipt import StoreHeader

DEFAULT_PRINTER_PORT = 9100

T = TypeVar("T")


@dataclass
class Devices:
    printer: Printer
    drawer: CashDrawer
    scanner: Scanner | None
    """None: the keyboard wedge only (it needs no adapter: the TUI reads the keys)."""
    printer_name: str
    """Where receipts go, for people: "network 192.168.1.50:9100"."""
    scanner_name: str
    customer_display: CustomerDisplay = field(default_factory=NoCustomerDisplay)
    """Shows the amount and the store's payment QR to the customer; by default none."""
    customer_display_name: str = "none"

    def close(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        self.printer.close()
        self.customer_display.close()


def build_devices(config: Config) -> Devices:
    """Every configured device; DeviceError when a setting cannot work on this machine."""
    from devices.printer import PrinterDrawer

    printer, printer_name = build_printer(config)
    drawer = config.settings.drawer
    scanner, scanner_name = build_scanner(config)
    display, display_name = build_customer_display(config)
    return Devices(
        printer=printer,
        drawer=PrinterDrawer(printer, drawer.pin, drawer.pulse_ms),
        scanner=scanner,
        printer_name=printer_name,
        scanner_name=scanner_name,
        customer_display=display,
        customer_display_name=display_name,
    )


def build_customer_display(config: Config) -> tuple[CustomerDisplay, str]:
    """The customer-facing display; nothing is opened until there is something to show."""
    settings = config.settings.customer_display
    match settings.kind:
        case "none":
            return NoCustomerDisplay(), "none"
        case "tty":
            from devices.customer_display import TtyDisplay

            path = config.path(_required(settings.path, "customer_display.path"))
            return TtyDisplay(path, settings.timeout_s), f"tty {path}"
        case "file":
            from devices.customer_display import FileDisplay

            configured = settings.out_dir
            # Beside the simulated printer's receipts folder, in the data directory.
            out_dir = (
                config.path(configured)
                if configured is not None
                else config.data_dir / "customer-display"
            )
            return FileDisplay(out_dir), f"file {out_dir}"


def build_printer(config: Config) -> tuple[Printer, str]:
    settings = config.settings.printer
    timeout = settings.timeout_s
    match settings.kind:
        case "simulator":
            from devices.printer_sim import SimulatedPrinter

            out_dir = config.receipts_dir
            return SimulatedPrinter(out_dir, settings.width_mm), f"simulator → {out_dir}"
        case "network":
            from devices.printer_transports import NetworkPrinter

            host, port = network_address(_required(settings.url, "printer.url"))
            return NetworkPrinter(host, port, timeout), f"network {host}:{port}"
        case "serial":
            from devices.printer_transports import SerialPrinter

            url = _required(settings.url, "printer.url")
            return SerialPrinter(url, settings.baudrate, timeout), f"serial {url}"
        case "usb":
            from devices.printer_transports import UsbLpPrinter

            path = config.path(_required(settings.path, "printer.path"))
            return UsbLpPrinter(path, timeout), f"usb {path}"
        case "file":
            from devices.printer_transports import FilePrinter

            path = config.path(_required(settings.path, "printer.path"))
            return FilePrinter(path), f"file {path}"


def build_scanner(config: Config) -> tuple[Scanner | None, str]:
    settings = config.settings.scanner
    match settings.kind:
        case "wedge":
            return None, "keyboard wedge"
        case "serial":
            from devices.serial_scanner import SerialScanner

            url = _required(settings.url, "scanner.url")
            try:
                scanner = SerialScanner(
                    url,
                    baudrate=settings.baudrate,
                    bytesize=settings.bytesize,
                    parity=settings.parity,
                    stopbits=settings.stopbits,
                    prefix=settings.prefix,
                    suffix=settings.suffix,
                    max_length=settings.max_length,
                )
            except ValueError as error:
                raise DeviceError("Scanner settings", f"scanner.url {url!r}: {error}") from error
            return scanner, f"serial {url}"
        case "camera":
            from devices.camera_scanner import CameraScanner

            source = _required(settings.source, "scanner.source")
            engines = usable_engines(settings.engines)
            scanner_ = CameraScanner(
                source, engines=engines, hold_off_s=settings.hold_off_ms / 1000
            )
            return scanner_, f"camera {source} ({', '.join(engines)})"
        case "evdev":
            from devices.evdev_scanner import EvdevScanner

            device = config.path(_required(settings.device, "scanner.device"))
            evdev = EvdevScanner(
                str(device),
                grab=settings.grab,
                prefix=settings.prefix,
                max_length=settings.max_length,
            )
            return evdev, f"evdev {device}"
        case "simulator":
            from devices.scan_simulator import ScanSimulator

            script = config.path(_required(settings.script, "scanner.script"))
            return ScanSimulator(
                script, interval_s=settings.interval_ms / 1000
            ), f"simulator {script}"


def usable_engines(configured: tuple[str, ...]) -> tuple[str, ...]:
    """The configured decode engines that can run here (pyzbar needs libzbar)."""
    from devices.decoders import available_engines

    here = available_engines()
    usable = tuple(engine for engine in configured if engine in here)
    if not usable:
        raise DeviceError(
            "No decode engine",
            f"None of the configured engines ({', '.join(configured)}) can run here; "
            f"available: {', '.join(here)}.",
        )
    return usable


def network_address(url: str) -> tuple[str, int]:
    """ "host", "host:port" or "tcp://host:port" -> (host, port)."""
    address = url.removeprefix("tcp://")
    host, _, port = address.rpartition(":") if ":" in address else (address, "", "")
    if not port:
        return address, DEFAULT_PRINTER_PORT
    if not port.isdigit() or not 0 < int(port) < 65536 or not host:
        raise DeviceError("Printer settings", f"printer.url {url!r} is not host:port.")
    return host, int(port)


def store_header(config: Config) -> StoreHeader:
    """The receipt's header: the store, and its logo when one is configured.

    A logo that cannot be read is left out with a logged warning (`pos doctor` names
    the problem): a missing picture must not stop receipts.
    """
    from receipts.layout import COLUMNS
    from receipts.sale_receipt import StoreHeader

    settings = config.settings
    store = settings.store
    logo = None
    if settings.printer.logo is not None:
        from receipts.logo import load_logo  # Pillow, only for a store with a logo

        try:
            logo = load_logo(config.path(settings.printer.logo), COLUMNS[settings.printer.width_mm])
        except PosError as error:
            log.warning("receipt logo left out: %s", error.message)
    return StoreHeader(store.name, store.address, store.tax_id, logo)


def printer_profile(config: Config) -> PrinterProfile:
    """What the configured printer can do (native QR codes, a Chinese font)."""
    from receipts.render_escpos import PrinterProfile

    printer = config.settings.printer
    return PrinterProfile(native_qr=printer.native_qr, chinese_mode=printer.chinese)


def printer_check_page(config: Config, printer_name: str) -> bytes:
    """The technician's test page for the configured printer, stamped with the time."""
    from datetime import datetime

    from receipts.render_escpos import render_escpos
    from receipts.test_page import test_page

    page = test_page(
        config.settings.printer.width_mm,
        printer_name,
        printed_at=datetime.now().strftime("%Y-%m-%d %H:%M"),
    )
    return render_escpos(page, printer_profile(config))


def receipt_renderer(config: Config, ledger: Ledger, store: StoreHeader) -> Callable[[Job], bytes]:
    """Turns a print job into the configured printer's bytes, from the ledger's sale or
    return, or the X, Z or day report it names (pos.report_printing)."""
    from zoneinfo import ZoneInfo

    from pos.end_of_day import Place
    from pos.ledger.queries import receipt_by_no
    from pos.report_printing import report_of_job
    from receipts.day_report import report_document
    from receipts.documents import receipt_document
    from receipts.render_escpos import render_escpos

    settings = config.settings
    profile = printer_profile(config)
    zone = ZoneInfo(settings.store.timezone)

    place = Place.of(settings)

    def render(job: Job) -> bytes:
        report = report_of_job(ledger, place, job.receipt_no)
        if report is not None:
            page = report_document(
                report, width_mm=settings.printer.width_mm, lang=settings.ui.language, zone=zone
            )
            return render_escpos(page, profile)
        with ledger.read() as conn:
            record = receipt_by_no(conn, job.receipt_no)
        if record is None:
            raise PosError("Unknown receipt", f"Receipt {job.receipt_no} is not in the ledger.")
        document = receipt_document(
            record,
            store,
            width_mm=settings.printer.width_mm,
            lang=settings.ui.language,
            zone=zone,
            copy=job.is_copy,
        )
        return render_escpos(document, profile)

    return render


def _required(value: T | None, key: str) -> T:
    # The settings' validators guarantee these; this keeps the types honest.
    if value is None:
        raise DeviceError("Device settings", f"{key} is not set.")
    return value
