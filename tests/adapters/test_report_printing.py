"""A Z report printed like a receipt: queued in the ledger, sent by the spooler to the
printer simulator on a real 127.0.0.1 port, on 58 and 80 mm paper; what comes out of
the printer is the very text `pos report z --format text` shows."""

from __future__ import annotations

import dataclasses
import queue
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from devices.printer_sim import PrinterSimulator
from devices.printer_transports import NetworkPrinter
from pos.bootstrap import open_ledger
from pos.config import Config
from pos.end_of_day import Place, close_day, x_report
from pos.hardware import receipt_renderer
from pos.print_queue import PrintQueue
from pos.report_printing import job_name, queue_report, report_of_job
from pos.simulate import simulate
from pos.spooler import PrinterReport, Spooler
from receipts.day_report import report_text
from receipts.layout import cell_width
from receipts.render_text import render_text
from receipts.sale_receipt import StoreHeader

ZONE = ZoneInfo("Asia/Shanghai")
STORE = StoreHeader("演示便利店 Demo Mart", "上海市静安区南京西路 1 号", "91310000MA1DEMO00X")


def with_width(config: Config, width_mm: int) -> Config:
    settings = config.settings
    printer = settings.printer.model_copy(update={"width_mm": width_mm})
    return dataclasses.replace(config, settings=settings.model_copy(update={"printer": printer}))


@pytest.fixture(params=[58, 80])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def simulator(tmp_path: Path, width: int) -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator(out_dir=tmp_path / "paper", width_mm=width)
    printer.start()
    yield printer
    printer.stop()


def test_a_z_and_an_x_print_as_they_show(
    demo_config: Config, simulator: PrinterSimulator, width: int
) -> None:
    config = with_width(demo_config, width)
    ledger = open_ledger(config)
    reports: queue.Queue[PrinterReport] = queue.Queue()
    printer = NetworkPrinter("127.0.0.1", simulator.port, timeout_s=2)
    spooler = Spooler(
        PrintQueue(ledger), printer, receipt_renderer(config, ledger, STORE), reports.put
    )
    try:
        end = datetime(2027, 1, 5, 22, tzinfo=ZONE)
        simulate(ledger, config.settings, sales=30, seed=4, until=end)
        place = Place.of(config.settings)
        ledger.clock = lambda: end
        z = close_day(ledger, place, "900")
        x = x_report(ledger, place)
        assert report_of_job(ledger, place, job_name(z)) == z
        queue_report(ledger, z)
        queue_report(ledger, x)
        spooler.start()
        simulator.wait_for_jobs(2)
    finally:
        spooler.stop()
        printer.close()
        ledger.close()
    lang = config.settings.ui.language
    for job, report in zip(simulator.jobs, (z, x), strict=True):
        printed = render_text(job.document)
        assert printed == report_text(report, width_mm=width, lang=lang, zone=ZONE)
        assert max(cell_width(line) for line in printed) == (32 if width == 58 else 48)
