"""Scan-to-pay at the till: with goods on the sale, scanning a customer's WeChat payment
code charges it at once (no key, no amount typed) through the wallet sandbox the
demo store runs on 127.0.0.1, and the sale commits with its wechat tender."""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import WATER, TillUnderTest, cart_rows, message, settle, start_selling, until

from cloud.wallet.codes import make_code
from pos.tui.app import PosApp
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.wallet import WalletPayment

PAYER = "246810"


async def test_scanning_a_payment_code_pays_the_sale(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        screen.scan(make_code(PAYER))
        await until(pilot, lambda: isinstance(app.screen, SaleScreen), "the payment to end")
        await settle(pilot)
        assert message(screen) == "微信支付成功 T01-000001"
        assert cart_rows(screen) == []
        receipt = screen.query_one("#receipt-text", Static).render()
        assert "T01-000001" in str(receipt)
    (sale,) = till.events("sale.completed")
    (tender,) = sale["payments"]
    assert (tender["tender"], tender["amount"]) == ("wechat", 200)
    (resolved,) = till.events("payment.resolved")
    assert resolved["outcome"] == "paid"
    assert resolved["openid"]


async def test_a_refused_payment_keeps_the_sale_and_says_why(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        screen.scan(make_code(PAYER, "9"))  # the sandbox's payer without enough money
        await until(pilot, lambda: not isinstance(app.screen, WalletPayment), "the refusal")
        await settle(pilot)
        assert message(screen).startswith("未支付")
        assert [row[0] for row in cart_rows(screen)] == ["农夫山泉饮用天然水 550ml"]
    assert till.events("sale.completed") == []
    assert [event["outcome"] for event in till.events("payment.resolved")] == ["failed"]


async def test_a_payment_code_with_nothing_to_pay_is_refused(app: PosApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(make_code(PAYER))
        await settle(pilot)
        assert message(screen).startswith("没有要付款的商品")
        assert isinstance(app.screen, SaleScreen)


async def test_an_alipay_code_is_refused_as_unavailable(app: PosApp, till: TillUnderTest) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        screen.scan(WATER)
        await settle(pilot)
        await until(pilot, lambda: app.wallet() is not None, "the wallet gateway")
        screen.scan("286543210987654321")  # an Alipay payment code: no Alipay adapter yet
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert message(screen).startswith("暂不支持扫码付款")
        assert [row[0] for row in cart_rows(screen)] == ["农夫山泉饮用天然水 550ml"]
    assert till.events("payment.started") == []
