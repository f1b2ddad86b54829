"""The printer simulator on a real 127.0.0.1 port, reached as the till reaches a network
printer (NetworkPrinter): what it records, the files it writes, the state it plays; and
the same printer in process (SimulatedPrinter)."""

from __future__ import annotations

import queue
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image as Pil

from devices.errors import DeviceError
from devices.printer_sim import PrinterSimulator, SimulatedPrinter, SimulatedState, serve
from devices.printer_transports import NetworkPrinter
from devices.scans import DeviceState
from receipts import escpos
from receipts.document import Columns, Cut, Document, Line, QrCode, Style
from receipts.escpos import Align, Status
from receipts.render_escpos import render_escpos
from receipts.render_text import render_text

WAIT_S = 10.0
"""How long a test waits for something that should happen (never a measured duration)."""
MEMBER_CODE = "R1:T01-000042"
RECEIPT = Document(
    80,
    (
        Line("示例商店 DEMO STORE", Style(bold=True, double=True, align=Align.CENTER)),
        Columns("农夫山泉 550ml", "2.00"),
        Columns("合计 TOTAL", "2.00", Style(bold=True)),
        QrCode(MEMBER_CODE, caption="会员卡 member card"),
        Cut(),
    ),
)
JOB = render_escpos(RECEIPT)
NOT_PRINTING = [SimulatedState.PAPER_OUT, SimulatedState.COVER_OPEN, SimulatedState.OFFLINE]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    return tmp_path / "jobs"


@pytest.fixture
def simulator(out_dir: Path) -> Iterator[PrinterSimulator]:
    simulator = PrinterSimulator(out_dir=out_dir)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def printer(simulator: PrinterSimulator) -> NetworkPrinter:
    return NetworkPrinter("127.0.0.1", simulator.port, timeout_s=WAIT_S)


def test_a_job_over_tcp_is_written_as_bin_text_and_png(
    simulator: PrinterSimulator, printer: NetworkPrinter, out_dir: Path
) -> None:
    printer.print_job(JOB)
    simulator.wait_for_jobs(1)
    [job] = simulator.jobs
    assert job.number == 1
    assert (out_dir / "job-0001.bin").read_bytes() == JOB
    text = (out_dir / "job-0001.txt").read_text(encoding="utf-8")
    assert text == "\n".join(render_text(RECEIPT)) + "\n"
    with Pil.open(out_dir / "job-0001.png") as png:
        assert png.width == 576  # 80 mm paper at 8 dots a millimetre
        assert [code.text for code in zxingcpp.read_barcodes(png)] == [MEMBER_CODE]


@pytest.mark.parametrize("state", NOT_PRINTING)
def test_a_printer_that_cannot_print_takes_the_bytes_and_prints_nothing(
    simulator: PrinterSimulator, printer: NetworkPrinter, out_dir: Path, state: SimulatedState
) -> None:
    simulator.state = state
    printer.print_job(JOB)  # the socket cannot tell: the till must ask the status
    simulator.wait_for_jobs(1)
    assert simulator.jobs == []
    [rejected] = simulator.rejected
    assert (rejected.data, rejected.reason, rejected.number) == (JOB, f"the printer is {state}", 0)
    assert not out_dir.exists()

    simulator.state = SimulatedState.READY
    printer.print_job(JOB)
    simulator.wait_for_jobs(2)
    assert [job.number for job in simulator.jobs] == [1]
    assert (out_dir / "job-0001.bin").read_bytes() == JOB


def test_a_status_check_is_not_a_job(simulator: PrinterSimulator, printer: NetworkPrinter) -> None:
    assert printer.status().state is DeviceState.READY
    printer.print_job(JOB)
    simulator.wait_for_jobs(1)
    assert [job.data for job in simulator.jobs] == [JOB]
    assert simulator.rejected == []


def test_status_is_answered_at_once_in_the_middle_of_a_job(simulator: PrinterSimulator) -> None:
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=WAIT_S) as client:
        client.sendall(escpos.init() + b"half a line" + escpos.status_request(Status.PAPER))
        assert client.recv(1) == b"\x12"
        simulator.state = SimulatedState.PAPER_LOW
        client.sendall(escpos.status_request(Status.PAPER) + b"\n" + escpos.cut())
        assert client.recv(1) == b"\x1e"
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].document.blocks == (Line("half a line"), Cut())


def test_one_connection_is_one_job_whatever_its_cuts(
    simulator: PrinterSimulator, printer: NetworkPrinter
) -> None:
    printer.print_job(JOB + JOB)  # a customer copy and a merchant copy
    simulator.wait_for_jobs(1)
    [job] = simulator.jobs
    assert job.data == JOB + JOB
    assert job.document.blocks.count(Cut()) == 2


def test_bytes_that_do_not_parse_are_rejected_with_the_reason(
    simulator: PrinterSimulator, printer: NetworkPrinter, out_dir: Path
) -> None:
    printer.print_job(escpos.init() + b"ok\x1b\x99" + b"x" * 100_000)
    simulator.wait_for_jobs(1)
    [rejected] = simulator.rejected
    assert rejected.reason == "unknown command 1B 99 at byte 4"
    assert len(rejected.data) == 100_006
    assert not out_dir.exists()


def test_a_drawer_kick_is_a_job_with_nothing_on_paper(
    simulator: PrinterSimulator, printer: NetworkPrinter, out_dir: Path
) -> None:
    printer.print_job(escpos.drawer_pulse(2, 100))
    simulator.wait_for_jobs(1)
    assert simulator.jobs[0].document == Document(80)
    assert sorted(path.name for path in out_dir.iterdir()) == ["job-0001.bin"]


def test_stop_closes_a_connection_mid_job_and_drops_the_unfinished_job(
    simulator: PrinterSimulator,
) -> None:
    with socket.create_connection(("127.0.0.1", simulator.port), timeout=WAIT_S) as client:
        client.sendall(escpos.init() + b"never finished" + escpos.status_request(Status.PAPER))
        assert client.recv(1) == b"\x12"  # the job is being received
        stopper = threading.Thread(target=simulator.stop)
        stopper.start()
        stopper.join(WAIT_S)
        assert not stopper.is_alive()
        assert client.recv(1) == b""  # closed by the printer
    assert (simulator.jobs, simulator.rejected) == ([], [])


# SimulatedPrinter


def test_the_in_process_printer_records_and_writes_jobs(out_dir: Path) -> None:
    printer = SimulatedPrinter(out_dir)
    printer.print_job(JOB)
    assert [job.data for job in printer.jobs] == [JOB]
    assert (out_dir / "job-0001.bin").read_bytes() == JOB
    assert (out_dir / "job-0001.txt").read_text(encoding="utf-8").splitlines() == render_text(
        RECEIPT
    )
    assert (out_dir / "job-0001.png").exists()


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (SimulatedState.READY, DeviceState.READY),
        (SimulatedState.PAPER_LOW, DeviceState.PAPER_LOW),
        (SimulatedState.PAPER_OUT, DeviceState.PAPER_OUT),
        (SimulatedState.COVER_OPEN, DeviceState.COVER_OPEN),
        (SimulatedState.OFFLINE, DeviceState.OFFLINE),
        (SimulatedState.SILENT, DeviceState.ERROR),
        (SimulatedState.GARBAGE, DeviceState.ERROR),
    ],
)
def test_the_in_process_printer_answers_status_as_set(
    state: SimulatedState, expected: DeviceState
) -> None:
    printer = SimulatedPrinter()
    printer.state = state
    assert printer.status().state is expected


@pytest.mark.parametrize("state", NOT_PRINTING)
def test_the_in_process_printer_takes_but_does_not_print_when_it_cannot(
    state: SimulatedState,
) -> None:
    printer = SimulatedPrinter()
    printer.state = state
    printer.print_job(JOB)
    assert printer.jobs == []
    assert [job.reason for job in printer.rejected] == [f"the printer is {state}"]


def test_an_unplugged_in_process_printer_fails_the_job_and_is_offline() -> None:
    printer = SimulatedPrinter()
    printer.unplugged = True
    with pytest.raises(DeviceError, match="unplugged"):
        printer.print_job(JOB)
    assert printer.status().state is DeviceState.OFFLINE
    assert (printer.jobs, printer.rejected) == ([], [])


# serve(), for `pos devices printer-sim`


def test_serve_runs_a_simulator_until_told_to_stop(out_dir: Path) -> None:
    messages: queue.Queue[str] = queue.Queue()
    until = threading.Event()
    server = threading.Thread(
        target=serve, args=(0, out_dir), kwargs={"until": until, "report": messages.put}
    )
    server.start()
    try:
        found = re.search(r"on 127\.0\.0\.1:(\d+) ", messages.get(timeout=WAIT_S))
        assert found is not None
        NetworkPrinter("127.0.0.1", int(found[1]), timeout_s=WAIT_S).print_job(JOB)
        assert messages.get(timeout=WAIT_S) == f"job-0001: {len(JOB)} bytes -> {out_dir}"
    finally:
        until.set()
        server.join(WAIT_S)
    assert not server.is_alive()
    assert (out_dir / "job-0001.png").exists()
