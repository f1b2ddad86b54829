"""Printer transports against real parts: NetworkPrinter against the printer simulator on
a 127.0.0.1 port, SerialPrinter and a bidirectional UsbLpPrinter on a pseudo-terminal
whose master end the test plays as the printer, UsbLpPrinter on a FIFO and a missing
path, FilePrinter on a file; and the drawer kick through a printer."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.errors import DeviceError
from devices.printer import PrinterDrawer
from devices.printer_sim import PrinterSimulator, SimulatedState
from devices.printer_transports import FilePrinter, NetworkPrinter, SerialPrinter, UsbLpPrinter
from devices.scans import DeviceState
from receipts import escpos
from receipts.escpos import Status
from receipts.escpos_parse import Parser, StatusRequest

WAIT_S = 10.0
"""How long a test waits for something that should happen (never a measured duration)."""
JOB = b"".join(
    (
        escpos.init(),
        escpos.chinese(True),
        "合计 TOTAL 12.50".encode("gb18030"),
        escpos.chinese(False),
        b"\n",
        escpos.qr(b"R1:T01-000042"),
        escpos.raster(16, [b"\xf0\x0f"] * 4),
        escpos.cut(),
    )
)
ALL_WELL = (0x12, 0x12, 0x12)
"""DLE EOT 1, 2 and 4 answers of a printer with nothing to report."""


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the condition never came true")
        time.sleep(0.01)


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    simulator = PrinterSimulator()
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port on 127.0.0.1 where nothing listens: held bound, so nobody else takes it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


# NetworkPrinter


def test_a_job_arrives_byte_exact(simulator: PrinterSimulator) -> None:
    NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S).print_job(JOB)
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].data == JOB


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (SimulatedState.READY, DeviceState.READY),
        (SimulatedState.PAPER_LOW, DeviceState.PAPER_LOW),
        (SimulatedState.PAPER_OUT, DeviceState.PAPER_OUT),
        (SimulatedState.COVER_OPEN, DeviceState.COVER_OPEN),
        (SimulatedState.OFFLINE, DeviceState.OFFLINE),
    ],
)
def test_status_reads_the_printers_answers(
    simulator: PrinterSimulator, state: SimulatedState, expected: DeviceState
) -> None:
    simulator.state = state
    status = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S).status()
    assert status.state is expected
    assert f"127.0.0.1:{simulator.port}" in status.detail
    # The raw answers are shown when something is wrong, not when all is well.
    assert ("DLE EOT 1/2/4" in status.detail) is (expected is not DeviceState.READY)


def test_a_printer_that_never_answers_status_is_an_error_but_still_prints(
    simulator: PrinterSimulator,
) -> None:
    simulator.state = SimulatedState.SILENT
    printer = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=0.3)
    status = printer.status()
    assert status.state is DeviceState.ERROR
    assert status.detail == f"127.0.0.1:{simulator.port}: no answer from the printer to DLE EOT 1"
    printer.print_job(JOB)
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].data == JOB


def test_a_garbage_status_answer_is_an_error(simulator: PrinterSimulator) -> None:
    simulator.state = SimulatedState.GARBAGE
    status = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S).status()
    assert status.state is DeviceState.ERROR
    assert status.detail == (
        f"127.0.0.1:{simulator.port}: printer answered 0xff to DLE EOT 1; "
        "not an ESC/POS status byte"
    )


def test_nothing_listening_fails_the_job_naming_the_address(closed_port: int) -> None:
    printer = NetworkPrinter("127.0.0.1", closed_port, timeout_s=WAIT_S)
    with pytest.raises(DeviceError) as caught:
        printer.print_job(JOB)
    assert caught.value.title == "Printer not reachable"
    assert caught.value.message == (
        f"Could not reach the printer at 127.0.0.1:{closed_port}: Connection refused. "
        "Check that it is switched on and connected."
    )
    status = printer.status()
    assert status.state is DeviceState.OFFLINE
    assert status.detail == f"127.0.0.1:{closed_port}: Connection refused"


def test_a_printer_switched_off_mid_job_fails_the_job(simulator: PrinterSimulator) -> None:
    # Far more than the socket buffers hold, so the printer goes while bytes are still going.
    job = b"\n" * 64_000_000
    printer = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S)
    failures: list[DeviceError] = []

    def send() -> None:
        try:
            printer.print_job(job)
        except DeviceError as error:
            failures.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    wait_until(lambda: simulator.connections == 1)
    simulator.stop()
    sender.join()
    assert [failure.title for failure in failures] == ["Printing interrupted"]
    assert failures[0].message.startswith(
        f"The printer at 127.0.0.1:{simulator.port} stopped taking the job: "
    )
    assert simulator.jobs == []


# A printer on the master end of a pseudo-terminal, for SerialPrinter and UsbLpPrinter


class PtyPrinter:
    """Plays the printer on a pty's master end: keeps what arrives, answers DLE EOT."""

    def __init__(self, answers: dict[Status, int] | None) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # what pyserial does, and what a USB lp device always is
        self.path = os.ttyname(self.slave)
        self.received = bytearray()
        self._answers = answers
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run)
        self._thread.start()

    def _run(self) -> None:
        parser = Parser()
        while not self._stopping.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            chunk = os.read(self.master, 65536)
            self.received += chunk
            for command in parser.feed(chunk):
                if isinstance(command, StatusRequest) and self._answers is not None:
                    os.write(self.master, bytes([self._answers[command.which]]))

    def close(self) -> None:
        self._stopping.set()
        self._thread.join()
        os.close(self.master)
        os.close(self.slave)


def status_answers(printer: int, offline_cause: int, paper: int) -> dict[Status, int]:
    return {
        Status.PRINTER: printer,
        Status.OFFLINE_CAUSE: offline_cause,
        Status.ERROR_CAUSE: 0x12,
        Status.PAPER: paper,
    }


@pytest.fixture
def pty_printer(request: pytest.FixtureRequest) -> Iterator[PtyPrinter]:
    """A pty printer answering `request.param` (DLE EOT 1, 2, 4), or nothing for None."""
    answers = request.param
    printer = PtyPrinter(None if answers is None else status_answers(*answers))
    yield printer
    printer.close()


@pytest.mark.parametrize("pty_printer", [ALL_WELL], indirect=True)
def test_serial_job_arrives_byte_exact(pty_printer: PtyPrinter) -> None:
    SerialPrinter(pty_printer.path, 115200, timeout_s=WAIT_S).print_job(JOB)
    wait_until(lambda: len(pty_printer.received) >= len(JOB))
    assert bytes(pty_printer.received) == JOB


@pytest.mark.parametrize(
    ("pty_printer", "expected"),
    [
        (ALL_WELL, DeviceState.READY),
        ((0x1A, 0x32, 0x72), DeviceState.PAPER_OUT),
        ((0x12, 0x12, 0x1E), DeviceState.PAPER_LOW),
        ((0x1A, 0x16, 0x12), DeviceState.COVER_OPEN),
        ((0x1A, 0x52, 0x12), DeviceState.ERROR),
        ((0x12, 0x12, 0x00), DeviceState.ERROR),  # bit 1 and 4 clear: not a status byte
    ],
    indirect=["pty_printer"],
)
def test_serial_status_asks_dle_eot(pty_printer: PtyPrinter, expected: DeviceState) -> None:
    status = SerialPrinter(pty_printer.path, timeout_s=WAIT_S).status()
    assert status.state is expected
    assert bytes(pty_printer.received) == b"\x10\x04\x01\x10\x04\x02\x10\x04\x04"


@pytest.mark.parametrize("pty_printer", [None], indirect=True)
def test_a_serial_printer_that_never_answers_is_an_error(pty_printer: PtyPrinter) -> None:
    status = SerialPrinter(pty_printer.path, timeout_s=0.3).status()
    assert status.state is DeviceState.ERROR
    assert status.detail == f"{pty_printer.path}: no answer from the printer to DLE EOT 1"


def test_a_missing_serial_port_fails_the_job_and_is_offline(tmp_path: Path) -> None:
    port = str(tmp_path / "ttyUSB0")
    printer = SerialPrinter(port, timeout_s=WAIT_S)
    with pytest.raises(DeviceError) as caught:
        printer.print_job(JOB)
    assert f"Could not reach the printer at {port}: " in caught.value.message
    status = printer.status()
    assert status.state is DeviceState.OFFLINE
    assert status.detail.startswith(f"{port}: ")


def test_a_serial_url_pyserial_does_not_know_fails_at_start_up() -> None:
    with pytest.raises(ValueError, match="invalid URL"):
        SerialPrinter("nosuch://printer")


# UsbLpPrinter


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "lp0"
    os.mkfifo(path)
    return path


def test_usb_job_goes_into_the_device_file(fifo: Path) -> None:
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        printer = UsbLpPrinter(fifo, timeout_s=WAIT_S)
        printer.print_job(JOB)
        assert os.read(reader, 65536) == JOB
        status = printer.status()
    finally:
        os.close(reader)
    assert status.state is DeviceState.READY
    assert status.detail == f"{fifo} takes data; it does not report paper or cover"


def test_a_usb_device_nobody_reads_fails_the_job_and_is_offline(fifo: Path) -> None:
    printer = UsbLpPrinter(fifo, timeout_s=WAIT_S)
    with pytest.raises(DeviceError) as caught:
        printer.print_job(JOB)
    assert caught.value.message == (
        f"Could not reach the printer at {fifo}: No such device or address. "
        "Check that it is switched on and connected."
    )
    assert printer.status().state is DeviceState.OFFLINE


def test_a_stalled_usb_printer_fails_the_job_instead_of_blocking(fifo: Path) -> None:
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, but never reads
    try:
        printer = UsbLpPrinter(fifo, timeout_s=0.3)
        with pytest.raises(DeviceError) as caught:
            printer.print_job(b"\n" * 4_000_000)  # more than any pipe holds
        status = printer.status()
    finally:
        os.close(reader)
    assert caught.value.message == (
        f"The printer at {fifo} stopped taking the job: no response for 0.3 s. "
        "Part of it may have printed."
    )
    assert status.state is DeviceState.ERROR
    assert status.detail == f"{fifo} has taken no data for 0.3 s"


def test_a_missing_usb_device_fails_the_job_and_is_offline(tmp_path: Path) -> None:
    path = tmp_path / "lp9"
    printer = UsbLpPrinter(path, timeout_s=WAIT_S)
    with pytest.raises(DeviceError) as caught:
        printer.print_job(JOB)
    assert caught.value.message == (
        f"Could not reach the printer at {path}: No such file or directory. "
        "Check that it is switched on and connected."
    )
    status = printer.status()
    assert status.state is DeviceState.OFFLINE
    assert status.detail == f"{path}: No such file or directory"


@pytest.mark.parametrize("pty_printer", [(0x12, 0x12, 0x1E)], indirect=True)
def test_a_bidirectional_usb_printer_reports_its_status(pty_printer: PtyPrinter) -> None:
    # A pty is a character device that answers, as /dev/usb/lp0 does for most printers.
    printer = UsbLpPrinter(pty_printer.path, timeout_s=WAIT_S)
    assert printer.status().state is DeviceState.PAPER_LOW
    printer.print_job(JOB)
    wait_until(lambda: pty_printer.received.endswith(JOB))


@pytest.mark.parametrize("pty_printer", [None], indirect=True)
def test_a_usb_printer_that_never_answers_is_ready_when_it_takes_data(
    pty_printer: PtyPrinter,
) -> None:
    status = UsbLpPrinter(pty_printer.path, timeout_s=0.3).status()
    assert status.state is DeviceState.READY
    assert status.detail == f"{pty_printer.path} takes data; it does not report paper or cover"


# FilePrinter


def test_file_printer_appends_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.bin"
    printer = FilePrinter(path)
    assert printer.status().state is DeviceState.READY
    printer.print_job(JOB)
    printer.print_job(b"second\n")
    assert path.read_bytes() == JOB + b"second\n"


def test_file_printer_in_a_missing_folder_fails_and_is_offline(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "jobs.bin"
    printer = FilePrinter(path)
    with pytest.raises(DeviceError) as caught:
        printer.print_job(JOB)
    assert caught.value.message == (
        f"Could not append the job to {path}: No such file or directory."
    )
    assert printer.status().state is DeviceState.OFFLINE
    assert not path.parent.exists()


# The drawer on the printer


@pytest.mark.parametrize(("pin", "code"), [(2, 0), (5, 1)])
def test_the_drawer_kick_goes_through_the_printer(
    simulator: PrinterSimulator, pin: int, code: int
) -> None:
    printer = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S)
    PrinterDrawer(printer, pin=pin, pulse_ms=120).open()
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].data == bytes([0x1B, 0x70, code, 60, 60])


def test_the_drawer_fails_when_its_printer_is_not_reachable(closed_port: int) -> None:
    drawer = PrinterDrawer(NetworkPrinter("127.0.0.1", closed_port, timeout_s=WAIT_S))
    with pytest.raises(DeviceError, match=f"127.0.0.1:{closed_port}"):
        drawer.open()


def test_a_drawer_pin_that_does_not_exist_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="drawer pin 3 is not 2 or 5"):
        PrinterDrawer(FilePrinter(tmp_path / "jobs.bin"), pin=3)
