"""The till with its devices: receipts reach the printer through the queue, a printer
that stops leaves them queued with a warning and prints them when it is back, and a
configured scanner feeds the sale like the keyboard wedge.

The printer is the in-process simulator (devices.printer_sim.SimulatedPrinter), the
scanner the script-replaying simulator: the adapters pos.toml selects for the demo.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from support import raw
from textual.pilot import Pilot
from textual.widgets import Static
from tui_helpers import (
    WATER,
    TillUnderTest,
    cart_rows,
    message,
    settle,
    start_selling,
    text_of,
    until,
)

from devices.printer_sim import SimulatedJob, SimulatedState
from devices.scan_simulator import ScanSimulator
from devices.scans import DeviceState, DeviceStatus
from pos.hardware import Devices
from pos.ledger.database import Ledger
from pos.tui.app import PosApp
from pos.tui.messages import ScannerChanged
from pos.tui.screens.sale import SaleScreen
from receipts.render_text import render_text


async def scan(pilot: Pilot[Any], screen: SaleScreen, code: str) -> None:
    screen.scan(code)
    await settle(pilot)


async def sell_water_for_cash(pilot: Pilot[Any]) -> SaleScreen:
    """Sign in, scan a bottle of water, pay the exact cash: receipt T01-000001."""
    screen = await start_selling(pilot)
    await scan(pilot, screen, WATER)
    await pilot.press("f12", "enter")
    await settle(pilot)
    return screen


def quick_retries(till: TillUnderTest) -> None:
    """Retry queued receipts every 0.5 s instead of 5 s, as pos.toml could say."""
    settings = till.config.settings
    printer = settings.printer.model_copy(update={"retry_s": 0.5})
    till.config = dataclasses.replace(
        till.config, settings=settings.model_copy(update={"printer": printer})
    )


def printed_text(job: SimulatedJob) -> str:
    return "\n".join(render_text(job.document))


def status_bar(screen: SaleScreen) -> str:
    return text_of(screen.query_one("#status", Static))


def queued(till: TillUnderTest) -> list[tuple[str, int, str]]:
    rows = raw(till.config.ledger_path, "SELECT receipt_no, is_copy, state FROM print_jobs")
    return [(row["receipt_no"], row["is_copy"], row["state"]) for row in rows]


async def test_a_paid_sale_prints_its_receipt(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test() as pilot:
        await sell_water_for_cash(pilot)
        await until(pilot, lambda: len(till.printer.jobs) == 1, "the receipt")
    (job,) = till.printer.jobs
    printed = printed_text(job)
    assert "小票号 T01-000001" in printed
    assert "农夫山泉饮用天然水 550ml" in printed
    assert "重印" not in printed
    assert queued(till) == [("T01-000001", 0, "printed")]


async def test_out_of_paper_keeps_the_receipt_queued_and_prints_it_when_refilled(
    till: TillUnderTest,
) -> None:
    quick_retries(till)
    till.printer.state = SimulatedState.PAPER_OUT
    app = till.app()
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        await until(pilot, lambda: "缺纸" in status_bar(screen), "the paper-out state")
        await scan(pilot, screen, WATER)
        await pilot.press("f12", "enter")
        await settle(pilot)

        # The sale is recorded and the next one can start; the receipt waits.
        assert [sale["receipt_no"] for sale in till.events("sale.completed")] == ["T01-000001"]
        await until(pilot, lambda: "待打 1" in status_bar(screen), "one receipt waiting")
        assert any("缺纸" in str(notice.message) for notice in app._notifications)
        assert till.printer.jobs == []
        assert till.printer.rejected == []  # nothing was sent to a printer without paper

        till.printer.state = SimulatedState.READY
        await until(pilot, lambda: len(till.printer.jobs) == 1, "the receipt after refill")
        await until(pilot, lambda: "待打" not in status_bar(screen), "the warning to clear")
    assert queued(till) == [("T01-000001", 0, "printed")]


async def test_an_unplugged_printer_is_offline_and_receipts_survive_a_restart(
    till: TillUnderTest,
) -> None:
    quick_retries(till)
    till.printer.unplugged = True
    app = till.app()
    async with app.run_test() as pilot:
        screen = await sell_water_for_cash(pilot)
        await until(pilot, lambda: "打印 离线 待打 1" in status_bar(screen), "offline")
    assert queued(till) == [("T01-000001", 0, "queued")]

    till.printer.unplugged = False  # plugged back in while the till was off
    again = till.app()
    async with again.run_test() as pilot:
        await until(pilot, lambda: len(till.printer.jobs) == 1, "the receipt after restart")
    assert "T01-000001" in printed_text(till.printer.jobs[0])
    assert queued(till) == [("T01-000001", 0, "printed")]


async def test_a_reprint_prints_a_copy_marked_as_such(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test() as pilot:
        await sell_water_for_cash(pilot)
        await until(pilot, lambda: len(till.printer.jobs) == 1, "the receipt")
        await pilot.press("f9")
        await settle(pilot)
        await until(pilot, lambda: len(till.printer.jobs) == 2, "the copy")
    original, copy = (printed_text(job) for job in till.printer.jobs)
    assert "重印" not in original
    assert "重印" in copy
    assert "T01-000001" in copy


def with_scanner(till: TillUnderTest, script: Path) -> PosApp:
    """The till with [scanner] kind = "simulator" replaying `script`."""
    ledger = Ledger.open(till.config.ledger_path, "T01")
    till.ledgers.append(ledger)
    devices = Devices(
        till.printer, till.drawer, ScanSimulator(script, interval_s=0.05), "simulator", "sim"
    )
    return PosApp(till.config, ledger, devices)


async def test_a_configured_scanner_adds_to_the_sale(till: TillUnderTest, tmp_path: Path) -> None:
    script = tmp_path / "scans.txt"
    script.write_text(f"{WATER}\n", encoding="utf-8")
    app = with_scanner(till, script)
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        await until(pilot, lambda: bool(cart_rows(screen)), "a scanned line")
        assert cart_rows(screen)[0][0] == "农夫山泉饮用天然水 550ml"


async def test_a_scanner_that_is_not_there_shows_offline(
    till: TillUnderTest, tmp_path: Path
) -> None:
    app = with_scanner(till, tmp_path / "missing.txt")
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        await until(pilot, lambda: "扫码 离线" in status_bar(screen), "scanner offline")
        assert cart_rows(screen) == []


async def test_a_hostile_payload_from_a_configured_scanner_never_reaches_the_cart(
    till: TillUnderTest, tmp_path: Path
) -> None:
    script = tmp_path / "scans.txt"
    script.write_text("\x1b]0;owned\x07\x1b[31m6921168509256\n", encoding="utf-8")
    app = with_scanner(till, script)
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        await until(pilot, lambda: "U+001B" in message(screen), "the refusal")
        assert cart_rows(screen) == []
        assert "\x1b" not in status_bar(screen)
    assert till.drafts() == []


async def test_a_read_the_scanner_dropped_is_told_to_the_cashier_with_a_beep(
    app: PosApp,
) -> None:
    rung: list[None] = []
    app.bell = lambda: rung.append(None)  # type: ignore[method-assign]
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        # As the serial reader reports a line too long to be a code (its own thread).
        reason = "a line longer than 256 characters"
        app.post_message(
            ScannerChanged(
                DeviceStatus(DeviceState.READY, f"/dev/ttyACM0: dropped {reason}", dropped=reason)
            )
        )
        await until(pilot, lambda: reason in message(screen), "the refusal")
        assert "扫码枪读到的数据无效" in message(screen)
        assert rung
        assert cart_rows(screen) == []
