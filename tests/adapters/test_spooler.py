"""The spooler end to end: sales committed through the checkout, receipts printed by a
network printer (the printer simulator on a real 127.0.0.1 port), the printer switched
off and on again, the till restarted with receipts still queued."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import raw

from devices.printer_sim import PrinterSimulator, SimulatedState
from devices.printer_transports import NetworkPrinter
from devices.scans import DeviceState
from pos.bootstrap import open_ledger
from pos.checkout import Checkout
from pos.config import Config
from pos.hardware import receipt_renderer
from pos.ledger.database import Ledger
from pos.print_queue import PrintQueue
from pos.spooler import PrinterReport, Spooler
from receipts.render_text import render_text
from receipts.sale_receipt import StoreHeader

WATER = "6921168509256"
WAIT_S = 15.0
STORE = StoreHeader("演示便利店 Demo Mart", "上海市静安区南京西路 1 号", "91310000MA1DEMO00X")


class Running:
    """A spooler on the ledger, printing to `simulator` over TCP, reports in a queue."""

    def __init__(self, config: Config, ledger: Ledger, port: int) -> None:
        self.reports: queue.Queue[PrinterReport] = queue.Queue()
        self.printer = NetworkPrinter("127.0.0.1", port, timeout_s=2)
        self.spooler = Spooler(
            PrintQueue(ledger),
            self.printer,
            receipt_renderer(config, ledger, STORE),
            self.reports.put,
            retry_s=0.2,
        )
        self.spooler.start()

    def until(self, wanted: str, waiting: int = 1) -> PrinterReport:
        """The first report that is `stuck` with `waiting` receipts, or `done`."""
        while True:
            report = self.reports.get(timeout=WAIT_S)
            if wanted == "stuck" and report.stuck and report.waiting == waiting:
                return report
            if wanted == "done" and report.waiting == 0 and not report.stuck:
                return report

    def stop(self) -> None:
        self.spooler.stop()
        self.printer.close()


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator(out_dir=tmp_path / "paper")
    printer.start()
    yield printer
    printer.stop()


def sell(checkout: Checkout) -> str:
    checkout.scan(WATER)
    return checkout.pay_cash().receipt_no


def printed_receipts(simulator: PrinterSimulator) -> list[str]:
    return [
        next(line for line in render_text(job.document) if "小票号" in line).split()[1]
        for job in simulator.jobs
    ]


def test_receipts_print_in_order_over_tcp(
    checkout: Checkout, demo_config: Config, simulator: PrinterSimulator, tmp_path: Path
) -> None:
    running = Running(demo_config, checkout.ledger, simulator.port)
    try:
        receipts = [sell(checkout) for _ in range(3)]
        running.spooler.wake()
        simulator.wait_for_jobs(3)
        running.until("done")
    finally:
        running.stop()
    assert printed_receipts(simulator) == receipts
    written = sorted(path.name for path in (tmp_path / "paper").iterdir())
    assert written == [f"job-{n:04d}.{kind}" for n in (1, 2, 3) for kind in ("bin", "png", "txt")]


def test_out_of_paper_then_refilled_prints_what_waited_once(
    checkout: Checkout, demo_config: Config, simulator: PrinterSimulator
) -> None:
    simulator.state = SimulatedState.PAPER_OUT
    running = Running(demo_config, checkout.ledger, simulator.port)
    try:
        first, second = sell(checkout), sell(checkout)
        running.spooler.wake()
        stuck = running.until("stuck", waiting=2)
        assert stuck.status.state is DeviceState.PAPER_OUT
        assert simulator.jobs == []
        assert simulator.rejected == []  # the spooler asked before sending

        simulator.state = SimulatedState.READY
        simulator.wait_for_jobs(2)
        running.until("done")
    finally:
        running.stop()
    assert printed_receipts(simulator) == [first, second]


def test_a_printer_switched_off_keeps_receipts_across_a_till_restart(
    checkout: Checkout, demo_config: Config, tmp_path: Path
) -> None:
    off = PrinterSimulator(out_dir=tmp_path / "paper")
    off.start()
    port = off.port
    off.stop()  # nothing listens on the port now
    running = Running(demo_config, checkout.ledger, port)
    try:
        receipt = sell(checkout)
        running.spooler.wake()
        stuck = running.until("stuck")
        assert stuck.status.state is DeviceState.OFFLINE
        assert "127.0.0.1" in stuck.status.detail
    finally:
        running.stop()
    checkout.ledger.close()

    ledger = open_ledger(demo_config)
    back = PrinterSimulator(port=port, out_dir=tmp_path / "paper")
    back.start()
    restarted = Running(demo_config, ledger, port)
    try:
        back.wait_for_jobs(1)
        restarted.until("done")
    finally:
        restarted.stop()
        back.stop()
        ledger.close()
    assert printed_receipts(back) == [receipt]
    states = raw(demo_config.ledger_path, "SELECT state FROM print_jobs")
    assert states == [{"state": "printed"}]
