"""The technician's commands: `pos devices ...` and `pos doctor`.

Each prints plain lines a technician can read over a phone call, and returns the
exit code (0 all well, 1 something needs attention). Device I/O here may block: these
run in a terminal, not on the till's event loop.
"""

from __future__ import annotations

import os
import queue
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from devices.scans import DeviceState, DeviceStatus, Scan
from pos.config import Config
from pos.domain.errors import PosError
from pos.hardware import build_printer, build_scanner, printer_check_page, usable_engines


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


def devices_list(config: Config) -> int:
    """Serial ports, video devices, and the configured printer and scanner with state."""
    from serial.tools import list_ports

    ports = sorted(list_ports.comports(), key=lambda port: port.device)
    print("Serial ports:")
    for port in ports:
        print(f"  {port.device}\t{port.description}")
    if not ports:
        print("  (none)")
    videos = sorted(Path("/dev").glob("video*"))
    print("Video devices:")
    for video in videos:
        print(f"  {video}")
    if not videos:
        print("  (none)")
    printer, where = build_printer(config)
    try:
        status = printer.status()
    finally:
        printer.close()
    print(f"Printer: {where} ({config.settings.printer.width_mm} mm): {_state(status)}")
    _scanner, scanner_name = build_scanner(config)
    print(f"Scanner: {scanner_name}")
    return 0 if status.state in (DeviceState.READY, DeviceState.PAPER_LOW) else 1


def print_test_page(config: Config) -> int:
    """A test page on the configured printer: every style, a QR, a barcode, alignment."""
    printer, where = build_printer(config)
    try:
        printer.print_job(printer_check_page(config, where))
        status = printer.status()
    finally:
        printer.close()
    print(f"Test page sent to {where}; printer {_state(status)}")
    return 0


def open_drawer(config: Config) -> int:
    """Kick the drawer through the printer and journal it (reason "test")."""
    from devices.printer import PrinterDrawer
    from pos.bootstrap import open_ledger
    from pos.cash_drawer import open_drawer as record_opening

    drawer_settings = config.settings.drawer
    printer, where = build_printer(config)
    ledger = open_ledger(config)
    try:
        drawer = PrinterDrawer(printer, drawer_settings.pin, drawer_settings.pulse_ms)
        record_opening(drawer, ledger, reason="test", staff_no="technician")
    finally:
        ledger.close()
        printer.close()
    print(f"Drawer pulse sent on pin {drawer_settings.pin} through {where}; journaled.")
    return 0


def watch_scans(config: Config) -> NoReturn:
    """Print scans live from the configured scanner until Ctrl-C.

    With the keyboard wedge, the scanner types into this terminal: each line read
    from standard input is a scan.
    """
    scanner, name = build_scanner(config)
    print(f"Scanning from {name}; Ctrl-C stops.", flush=True)
    if scanner is None:
        for line in sys.stdin:
            print(f"wedge\t\t{_shown(line.rstrip(chr(10)))}", flush=True)
        raise SystemExit(0)
    events: queue.Queue[Scan | DeviceStatus] = queue.Queue()
    scanner.start(events.put, events.put)
    try:
        while True:  # until Ctrl-C
            event = events.get()
            if isinstance(event, Scan):
                line = f"{event.source}\t{event.symbology}\t{_shown(event.text)}"
            else:
                line = f"# scanner {_state(event)}"
            print(line, flush=True)
    finally:
        scanner.stop()


def decode_images(config: Config, paths: list[Path]) -> int:
    from devices.decode_files import decode_files, exit_status, format_results

    results = list(decode_files(paths, usable_engines(config.settings.scanner.engines)))
    for line in format_results(results):
        print(line)
    return exit_status(results)


def doctor(config: Config) -> int:
    """One line per check, PASS or FAIL with what to do; 1 if any failed."""
    checks = list(_checks(config))
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = sum(not check.ok for check in checks)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _checks(config: Config) -> Iterator[Check]:
    source = config.source or "built-in demo store (no pos.toml)"
    yield Check("configuration", True, f"valid ({source})")
    yield _data_dir_check(config.data_dir)
    yield _ledger_check(config)
    yield _guarded("printer", lambda: _printer_check(config))
    if config.settings.printer.logo is not None:
        yield _guarded("receipt logo", lambda: _logo_check(config))
    yield _guarded("scanner", lambda: _scanner_check(config))
    yield _guarded("decode engines", lambda: _engines_check(config))
    yield Check("cloud", True, "not configured (this till works offline)")


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except PosError as error:
        return Check(name, False, f"{error.title}: {error.message}")


def _data_dir_check(data_dir: Path) -> Check:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-") as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        return Check("data directory", False, f"{data_dir} is not writable ({error.strerror})")
    return Check("data directory", True, f"{data_dir} is writable")


def _ledger_check(config: Config) -> Check:
    from pos.ledger.database import Ledger, on_read_only_fs
    from pos.ledger.verify import verify

    path = config.ledger_path
    if not path.exists():
        return Check("ledger", True, f"none yet at {path} (created at the first start)")
    device_id = config.settings.till.device_id
    try:
        ledger = (
            Ledger.open_read_only(path, device_id)
            if on_read_only_fs(path)
            else Ledger.open(path, device_id)
        )
    except PosError as error:
        return Check("ledger", False, f"{error.title}: {error.message}")
    try:
        report = verify(ledger)
    finally:
        ledger.close()
    if report.ok:
        return Check("ledger", True, f"verifies: {report.events} events")
    return Check("ledger", False, f"does not verify: {report.problems[0]}")


def _printer_check(config: Config) -> Check:
    printer, where = build_printer(config)
    try:
        status = printer.status()
    finally:
        printer.close()
    ok = status.state in (DeviceState.READY, DeviceState.PAPER_LOW)
    return Check("printer", ok, f"{where}: {_state(status)}")


def _logo_check(config: Config) -> Check:
    from receipts.layout import COLUMNS
    from receipts.logo import load_logo

    printer = config.settings.printer
    assert printer.logo is not None
    path = config.path(printer.logo)
    logo = load_logo(path, COLUMNS[printer.width_mm])
    return Check("receipt logo", True, f"{path}: {logo.width_dots}x{len(logo.rows)} dots")


def _scanner_check(config: Config) -> Check:
    scanner, name = build_scanner(config)
    if scanner is None:
        return Check("scanner", True, f"{name} (reads the keyboard; nothing to open)")
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    scanner.start(lambda _scan: None, statuses.put)
    try:
        status = statuses.get(timeout=5)
    except queue.Empty:
        return Check("scanner", False, f"{name}: no answer within 5 s")
    finally:
        scanner.stop()
    return Check("scanner", status.state is DeviceState.READY, f"{name}: {_state(status)}")


def _engines_check(config: Config) -> Check:
    from devices.decoders import available_engines

    configured = config.settings.scanner.engines
    here = available_engines()
    missing = [engine for engine in configured if engine not in here]
    usable = usable_engines(configured)
    detail = ", ".join(usable) + (f" ({', '.join(missing)} not installed)" if missing else "")
    return Check("decode engines", True, detail)


def _state(status: DeviceStatus) -> str:
    return f"{status.state.value}" + (f" ({status.detail})" if status.detail else "")


def _shown(text: str) -> str:
    # Scanned text is data: escapes and control characters are shown, never obeyed.
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
