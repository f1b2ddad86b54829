"""Split tender and returns at the till, driven with Pilot on the demo store's ledger;
wallet payments and refunds go through the sandbox the demo runs on 127.0.0.1."""

from __future__ import annotations

from textual.widgets import Digits, Static
from tui_helpers import (
    MANAGER,
    WATER,
    TillUnderTest,
    approve,
    cart_rows,
    customer_pays_the_store_qr,
    message,
    settle,
    start_selling,
    text_of,
    type_line,
    until,
)

from cloud.wallet.codes import make_code
from pos.tui.app import PosApp
from pos.tui.screens.dialogs import CashTender
from pos.tui.screens.prompts import ManagerApproval
from pos.tui.screens.returns import ReturnSale
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.store_qr import StoreQrPayment

WIDE = (120, 36)
PAYER = "556677"


async def test_split_cash_then_wechat_for_the_rest(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await type_line(pilot, f"6*{WATER}")  # 12.00
        await pilot.press("ctrl+t")
        await type_line(pilot, "5")
        assert text_of(screen.query_one("#totals", Static)).splitlines()[-1].split() == [
            "本笔",
            "¥5.00",
        ]
        await pilot.press("f12")
        assert isinstance(app.screen, CashTender)
        assert app.screen.query_one("#due", Digits).value == "¥5.00"
        await type_line(pilot, "10")
        assert message(screen) == "已收现金 5.00，还需 7.00"
        assert till.drawer.openings == 1
        screen.scan(WATER)  # the goods are fixed once a part is paid
        await settle(pilot)
        assert message(screen).startswith("已部分付款")

        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        screen.scan(make_code(PAYER))
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
        assert message(screen) == "微信支付成功 T01-000001"
        assert cart_rows(screen) == []
    (sale,) = till.events("sale.completed")
    assert [(p["tender"], p["amount"], p["change"]) for p in sale["payments"]] == [
        ("cash", 500, 500),
        ("wechat", 700, 0),
    ]


async def test_a_receipt_scan_returns_goods_with_a_manager_pin(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await type_line(pilot, f"3*{WATER}")
        await pilot.press("f12", "enter")
        await settle(pilot)

        screen.scan("R1:T01-000001")
        await settle(pilot)
        assert isinstance(app.screen, ReturnSale)
        await pilot.press("enter")  # nothing picked yet
        assert "请选择" in text_of(app.screen.query_one("#problem", Static))
        await pilot.press("plus", "plus")
        assert "退款 4.00" in text_of(app.screen.query_one("#return-total", Static))
        await pilot.press("enter")
        assert isinstance(app.screen, ManagerApproval)
        await approve(pilot, *MANAGER)
        await settle(pilot)

        assert isinstance(app.screen, SaleScreen)
        assert message(screen) == "退货完成 T01-R00001，退款 4.00"
        assert screen.query_one("#change", Digits).value == "¥4.00"
        assert "退货单" in text_of(screen.query_one("#receipt-text", Static))
        assert till.drawer.openings == 2  # the sale, then the cash refund

        screen.scan("R1:T01-000001")  # one bottle is left to return
        await settle(pilot)
        assert isinstance(app.screen, ReturnSale)
        await pilot.press("a", "plus")  # all that is left, and no more
        assert "退款 2.00" in text_of(app.screen.query_one("#return-total", Static))
        await pilot.press("escape")
    (started,) = till.events("return.started")
    assert (started["manager"], started["amount"], started["lines"][0]["quantity"]) == (
        "900",
        400,
        2,
    )
    (granted,) = till.events("override.granted")
    assert granted["action"] == "refund"
    (completed,) = till.events("return.completed")
    assert completed["cash_back"] == 400


async def test_the_store_qr_is_paid_by_the_customer_and_the_sale_commits(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await type_line(pilot, f"2*{WATER}")
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, StoreQrPayment)
        await until(pilot, lambda: "█" in text_of(app.screen.query_one("#qr", Static)), "the QR")
        (order,) = till.events("payment.started")
        assert (order["trade_type"], order["amount"]) == ("NATIVE", 400)

        # The customer scans it and pays (the sandbox's admin route plays the phone).
        await customer_pays_the_store_qr(app, order["out_trade_no"], PAYER)
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
        assert message(screen) == "微信支付成功 T01-000001"
    (sale,) = till.events("sale.completed")
    assert [(p["tender"], p["amount"]) for p in sale["payments"]] == [("wechat", 400)]
