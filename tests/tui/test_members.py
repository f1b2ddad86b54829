"""Members and coupons at the till, driven with Pilot on the demo store's ledger: the
dynamic member code from the chain's app, finding and enrolling by phone, a coupon
chosen by itself, a forged code refused, and paying with points."""

from __future__ import annotations

from textual.widgets import Static
from tui_helpers import TillUnderTest, message, settle, start_selling, text_of, type_line

from cloud.member_codes import DEMO_CHAIN_KEY, dynamic_member_code
from pos.loyalty_setup import open_loyalty
from pos.tui.app import PosApp
from pos.tui.screens.prompts import AskText, Confirm

WIDE = (120, 36)
RED_BULL = "6920202000254"  # 6.00


def member_panel(app: PosApp) -> str:
    return text_of(app.screen.query_one("#member", Static))


async def test_enroll_by_phone_then_the_welcome_coupon_applies_by_itself(
    app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await type_line(pilot, f"10*{RED_BULL}")  # 60.00
        await pilot.press("ctrl+y")
        assert isinstance(app.screen, AskText)
        await type_line(pilot, "138 1234 5678")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        assert message(screen).startswith("新会员 T01M000001")
        panel = member_panel(app)
        assert "T01M000001" in panel
        assert "138****5678" in panel
        assert "12345678" not in panel  # the full number is for the manager's view only
        assert "新会员礼券 -10.00" in panel
        assert text_of(screen.query_one("#totals", Static)).splitlines()[-1].split() == [
            "应收",
            "¥50.00",
        ]
        await pilot.press("f12")
        await type_line(pilot, "")  # exact cash
        await settle(pilot)
    (sale,) = till.events("sale.completed")
    assert sale["total"] == 5000
    assert sale["member"]["member_no"] == "T01M000001"
    assert [p["campaign_id"] for p in sale["promotions"]] == ["WELCOME10"]
    assert [e["campaign_id"] for e in till.events("coupon.redeemed")] == ["WELCOME10"]


async def test_a_shown_member_code_finds_the_member_and_a_forged_one_is_refused(
    app: PosApp, till: TillUnderTest
) -> None:
    loyalty = open_loyalty(till.config, till.ledgers[-1])
    assert loyalty is not None
    member, _ = loyalty.enroll_by_phone("13912345678")
    code = dynamic_member_code(DEMO_CHAIN_KEY, member.member_no, loyalty.now())
    body, _, signature = code.rpartition(".")
    forged = f"{body}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        screen.scan(forged)
        await settle(pilot)
        assert message(screen).startswith("Invalid signature")
        assert "未识别会员" in member_panel(app)
        screen.scan(code)
        await settle(pilot)
        assert message(screen) == f"会员 {member.member_no}"
        assert member.member_no in member_panel(app)
        # Pay 0.20 of 6.00 with points: the welcome gift points are none, so refused.
        screen.scan(RED_BULL)
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_line(pilot, "0.20")
        await settle(pilot)
        assert message(screen).startswith("Not enough points")
