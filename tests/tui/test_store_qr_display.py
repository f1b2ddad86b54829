"""The customer display during a store-QR payment, driven with Pilot on the demo
store's ledger and the wallet sandbox the demo runs on 127.0.0.1: the QR the customer
scans is on the display while the payment waits, and gone when it ends."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image
from support import picture
from textual.pilot import Pilot
from textual.widgets import Static
from tui_helpers import (
    WATER,
    TillUnderTest,
    customer_pays_the_store_qr,
    settle,
    start_selling,
    text_of,
    type_line,
    until,
)

from devices.customer_display import FileDisplay, TtyDisplay
from pos.tui.app import PosApp
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.store_qr import StoreQrPayment

WIDE = (120, 36)
PAYER = "556677"


def decoded(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [result.text for result in zxingcpp.read_barcodes(image)]


def shown_text(display: FileDisplay) -> str:
    path = display.text_path
    return path.read_text(encoding="utf-8") if path.exists() else ""


async def open_the_store_qr(pilot: Pilot[None], line: str) -> None:
    """Sign in, ring up `line` and show the store's QR (Ctrl+G) once the wallet is up."""
    app = pilot.app
    assert isinstance(app, PosApp)
    await start_selling(pilot)
    await type_line(pilot, line)
    await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
    await pilot.press("ctrl+g")
    assert isinstance(app.screen, StoreQrPayment)


async def test_the_store_qr_is_on_the_customer_display_and_cleared_once_paid(
    till: TillUnderTest, tmp_path: Path
) -> None:
    display = FileDisplay(tmp_path / "customer-display")
    app = till.app(display=display)
    async with app.run_test(size=WIDE) as pilot:
        await open_the_store_qr(pilot, f"2*{WATER}")
        await until(pilot, lambda: "weixin://" in shown_text(display), "the customer display")

        # The display shows the amount and the very QR the till's screen shows.
        on_till = text_of(app.screen.query_one("#qr", Static)).splitlines()
        (code_url,) = [result.text for result in zxingcpp.read_barcodes(picture(on_till))]
        assert decoded(display.png_path) == [code_url]
        assert shown_text(display).splitlines()[0] == "¥4.00"

        (order,) = till.events("payment.started")
        await customer_pays_the_store_qr(app, order["out_trade_no"], PAYER)
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
        assert decoded(display.png_path) == []
        assert shown_text(display) == ""
    (sale,) = till.events("sale.completed")
    assert [(p["tender"], p["amount"]) for p in sale["payments"]] == [("wechat", 400)]


async def test_a_cancelled_store_qr_clears_the_customer_display(
    till: TillUnderTest, tmp_path: Path
) -> None:
    display = FileDisplay(tmp_path / "customer-display")
    app = till.app(display=display)
    async with app.run_test(size=WIDE) as pilot:
        await open_the_store_qr(pilot, WATER)
        await until(pilot, lambda: "weixin://" in shown_text(display), "the customer display")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
        assert shown_text(display) == ""
        assert decoded(display.png_path) == []
    assert till.events("sale.completed") == []


async def test_an_unplugged_customer_display_is_a_notice_and_the_payment_goes_on(
    till: TillUnderTest, tmp_path: Path
) -> None:
    app = till.app(display=TtyDisplay(tmp_path / "no-such-tty"))
    async with app.run_test(size=WIDE) as pilot:
        await open_the_store_qr(pilot, f"2*{WATER}")
        await until(
            pilot,
            lambda: any(n.title == "Customer display not reachable" for n in app._notifications),
            "the display's notice",
        )
        assert isinstance(app.screen, StoreQrPayment)  # the QR still waits on the till
        (order,) = till.events("payment.started")
        await customer_pays_the_store_qr(app, order["out_trade_no"], PAYER)
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
    (sale,) = till.events("sale.completed")
    assert [(p["tender"], p["amount"]) for p in sale["payments"]] == [("wechat", 400)]
