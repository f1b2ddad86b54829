"""Members and coupons at the till, driven with Pilot on the demo store's ledger: the
dynamic member code from the chain's app, finding and enrolling by phone, a coupon
chosen by itself, a forged code refused, and paying with points."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import DataTable, Label, Static
from tui_helpers import (
    MANAGER,
    TillUnderTest,
    approve,
    message,
    settle,
    start_selling,
    text_of,
    type_line,
    wait_for,
)

from cloud.member_codes import DEMO_CHAIN_KEY, dynamic_member_code
from pos.domain.members import Member
from pos.loyalty import Loyalty
from pos.loyalty_setup import open_loyalty
from pos.tui.app import PosApp
from pos.tui.screens.member_view import MemberView
from pos.tui.screens.prompts import AskText, Confirm, ManagerApproval

WIDE = (120, 36)
RED_BULL = "6920202000254"  # 6.00


def member_panel(app: PosApp) -> str:
    return text_of(app.screen.query_one("#member", Static))


def current(app: PosApp) -> Screen[object]:
    """The screen on top, unnarrowed (a key press may have changed it)."""
    return app.screen


def enrolled_member(till: TillUnderTest) -> tuple[Loyalty, Member]:
    """A member enrolled by phone (13912345678) on the till's ledger before the app runs."""
    loyalty = open_loyalty(till.config, till.ledgers[-1])
    assert loyalty is not None
    member, _ = loyalty.enroll_by_phone("13912345678")
    return loyalty, member


def history_rows(view: Screen[object]) -> list[list[str]]:
    table = view.query_one("#member-history", DataTable)
    return [[str(cell) for cell in table.get_row(key)] for key in table.rows]


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
    loyalty, member = enrolled_member(till)
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


async def test_the_managers_member_view_shows_the_full_phone_and_records_adjustments(
    app: PosApp, till: TillUnderTest
) -> None:
    _loyalty, member = enrolled_member(till)
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, ManagerApproval)
        await approve(pilot, *MANAGER)
        await wait_for(pilot, lambda: isinstance(app.screen, AskText), "who to open")
        await type_line(pilot, "139 1234 5678")
        await wait_for(pilot, lambda: isinstance(app.screen, MemberView), "the member view")
        view = current(app)
        facts = text_of(view.query_one("#member-facts", Static))
        assert "13912345678" in facts  # in full, for the manager only
        assert "积分 0（累计 0）" in facts
        # The welcome coupon, and the gift coupon to pass on to a friend.
        assert [row[1] for row in history_rows(view)] == ["获券", "获券"]  # the welcome coupon

        await pilot.press("a")
        await type_line(pilot, "twelve")
        assert "不是整数" in text_of(view.query_one("#problem", Static))
        await pilot.press("a")
        await type_line(pilot, "120")
        await type_line(pilot, "goodwill: printer jammed")
        await wait_for(
            pilot,
            lambda: "积分 120" in text_of(view.query_one("#member-facts", Static)),
            "the adjusted balance",
        )
        assert history_rows(view)[0][1:] == [
            "积分",
            "人工调整",
            "",
            "+120",
            "goodwill: printer jammed · 900",
        ]

        await pilot.press("a")
        await type_line(pilot, "-500")
        await type_line(pilot, "mistake")
        await wait_for(
            pilot,
            lambda: "Not enough points" in text_of(view.query_one("#problem", Static)),
            "the refusal",
        )
        await pilot.press("escape")
        assert current(app) is screen
    (changed,) = till.events("points.changed")
    assert changed == {
        "member_no": member.member_no,
        "delta": 120,
        "reason": "adjusted",
        "staff_no": "900",
        "note": "goodwill: printer jammed",
    }
    (granted,) = till.events("override.granted")
    assert granted["action"] == "member_view"


async def test_deleting_the_sales_member_in_the_member_view_takes_them_off_the_sale(
    app: PosApp, till: TillUnderTest
) -> None:
    loyalty, member = enrolled_member(till)
    async with app.run_test(size=WIDE) as pilot:
        screen = await start_selling(pilot)
        screen.scan(dynamic_member_code(DEMO_CHAIN_KEY, member.member_no, loyalty.now()))
        await settle(pilot)
        assert member.member_no in member_panel(app)
        await pilot.press("ctrl+n")
        await approve(pilot, *MANAGER)
        # The sale's member opens at once, without asking who.
        await wait_for(pilot, lambda: isinstance(app.screen, MemberView), "the member view")
        view = current(app)
        await pilot.press("d")
        await type_line(pilot, "customer asked")
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: "已注销" in text_of(view.query_one("#member-title", Label)),
            "the deletion",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: "未识别会员" in member_panel(app), "the member gone")
    (deleted,) = till.events("member.deleted")
    assert deleted == {
        "member_no": member.member_no,
        "staff_no": "900",
        "reason": "customer asked",
    }
