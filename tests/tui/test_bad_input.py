"""Scanned and typed text is data: markup, terminal escapes, control characters, broken
UTF-8 and huge payloads are refused with a reason or shown literally, never crash the
till, never restyle the screen and never touch the sale.

Each payload goes in three ways: typed into the entry line (its value set, since Pilot
cannot type an ESC byte or a lone surrogate as text, then Enter), through
`SaleScreen.scan` (what every scanner calls) and, where the keys are printable, as a
keyboard-wedge burst through the app's key handling.
"""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Static
from tui_helpers import (
    TillUnderTest,
    cart_rows,
    message,
    scanner_burst,
    settle,
    start_selling,
    text_of,
    wait_for,
)

from pos.domain.scan import Rejected, ScanRules, classify
from pos.tui.app import PosApp
from pos.tui.i18n import Strings
from pos.tui.screens.dialogs import CashTender, PriceLookup
from pos.tui.screens.prompts import AskText
from pos.tui.screens.sale import SaleScreen
from pos.tui.screens.sign_in import SignInScreen
from pos.tui.widgets import MessageLine

PAYLOADS = {
    "bold": "[bold]x[/bold]",
    "link": "[link=http://x]y",
    "markup-closing": "[/]",
    "rich-style": "[red on white blink]PAID[/]",
    "ansi": "\x1b[31mred",
    "ansi-clear-screen": "\x1b[2J\x1b[H",
    "osc-title": "\x1b]0;pwned\x07",
    "nul": "690\x00123",
    "bell-and-tab": "\x07\tcode",
    "c1-control": "abc\x9bdef",
    "bidi-override": "\u202e6921168509256",
    "lone-surrogate": "\udcff",
    "surrogate-in-code": "692116\udc80509256",
    "replacement-char": "\ufffd6921168509256",
    "10kb": "6" * 10 * 1024,
    "10kb-markup": "[bold]" * 1707,
}
"""Payloads the till must take as data; each is refused (none is a code of the demo store)."""

PRINTABLE = {name: text for name, text in PAYLOADS.items() if text.isprintable()}


def refusal(text: str, strings: Strings) -> str:
    """What the message line must say for `text`: the reason's title and the detail,
    built from fixed wording (never from the payload)."""
    rejected = classify(text, ScanRules())
    assert isinstance(rejected, Rejected), rejected
    key = f"refused.{rejected.reason}"
    title = strings(key, code="") if strings.has(key) else strings("refused.title")
    return f"{title} · {rejected.message}"


def assert_refused_literally(screen: SaleScreen, text: str, status_before: str) -> None:
    line = screen.query_one("#message", Static)
    content = line.content
    assert isinstance(content, Text)
    assert content.plain == refusal(text, screen.strings)
    assert content.spans == []  # no markup was applied
    assert str(content.style) == ""
    assert line.has_class("-error")
    assert "\x1b" not in content.plain
    assert cart_rows(screen) == []
    assert screen.checkout.cart.is_empty
    assert text_of(screen.query_one("#status", Static)) == status_before


@pytest.fixture
def bells(app: PosApp) -> list[None]:
    rung: list[None] = []
    app.bell = lambda: rung.append(None)  # type: ignore[method-assign]
    return rung


@pytest.mark.parametrize("name", PAYLOADS)
async def test_payload_typed_or_scanned_is_refused_literally(
    name: str, app: PosApp, till: TillUnderTest, bells: list[None]
) -> None:
    payload = PAYLOADS[name]
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        status = text_of(screen.query_one("#status", Static))
        entry = screen.query_one("#entry", Input)
        entry.value = payload
        await pilot.press("enter")
        await settle(pilot)
        assert_refused_literally(screen, payload, status)
        assert entry.value == ""
        assert bells == [None]

        screen.query_one(MessageLine).say("")
        screen.scan(payload)
        await settle(pilot)
        assert_refused_literally(screen, payload, status)
        assert bells == [None, None]
        assert isinstance(app.screen, SaleScreen)
    assert till.drafts() == []
    assert till.events("sale.completed") == []


@pytest.mark.parametrize("name", ["bold", "link", "rich-style"])
async def test_a_wedge_burst_of_markup_is_refused_literally(
    name: str, app: PosApp, till: TillUnderTest
) -> None:
    payload = PRINTABLE[name]
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        status = text_of(screen.query_one("#status", Static))
        await scanner_burst(pilot, payload)

        assert_refused_literally(screen, payload, status)
        assert screen.query_one("#entry", Input).value == ""  # nothing leaked into it
    assert till.drafts() == []


async def test_a_wedge_burst_longer_than_any_scan_is_refused(app: PosApp) -> None:
    """10 KB of keys at scanner speed: past the detector's longest burst it turns into
    typing, the entry line keeps at most its maximum, and Enter refuses that."""
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        status = text_of(screen.query_one("#status", Static))
        entry = screen.query_one("#entry", Input)
        await scanner_burst(pilot, PAYLOADS["10kb"], gap_ms=1)
        await wait_for(pilot, lambda: screen.checkout.cart.is_empty and message(screen))

        typed = PAYLOADS["10kb"][: entry.max_length]  # typing stops at the maximum
        assert message(screen) == (
            f"内容过长，已拒绝 · The scan is {len(typed)} characters long; "
            "at most 256 are accepted."
        )
        assert_refused_literally(screen, typed, status)
        assert entry.value == ""


async def test_markup_in_the_entry_line_is_shown_as_typed(app: PosApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        entry = screen.query_one("#entry", Input)
        await pilot.press(*"[b]x")
        await wait_for(pilot, lambda: entry.value == "[b]x", "the keys reach the entry")
        assert "[b]x" in "".join(segment.text for segment in entry.render_line(0))


@pytest.mark.parametrize("name", ["bold", "ansi", "lone-surrogate", "nul", "10kb"])
async def test_payload_as_a_staff_number_is_refused(
    name: str, app: PosApp, till: TillUnderTest
) -> None:
    async with app.run_test() as pilot:
        assert isinstance(app.screen, SignInScreen)
        app.screen.query_one("#staff_no", Input).value = PAYLOADS[name]
        await pilot.press("enter")
        await pilot.press(*"1234", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SignInScreen)
        problem = app.screen.query_one("#problem", Static)
        assert text_of(problem) == "Sign-in refused: Unknown staff number or wrong PIN."
        assert isinstance(problem.content, Text)
        assert problem.content.spans == []
    assert till.events("staff.locked") == []


@pytest.mark.parametrize("name", ["bold", "ansi", "lone-surrogate", "10kb"])
async def test_payload_as_the_amount_tendered_is_refused(name: str, app: PosApp) -> None:
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        screen.scan("6921168509256")
        await settle(pilot)
        await pilot.press("f12")
        assert isinstance(app.screen, CashTender)
        app.screen.query_one("#tendered", Input).value = PAYLOADS[name]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CashTender)  # still asking
        problem = app.screen.query_one("#problem", Static)
        assert problem.has_class("-error")
        assert isinstance(problem.content, Text)
        assert problem.content.spans == []
        assert PAYLOADS[name][:20] not in problem.content.plain


@pytest.mark.parametrize("name", ["bold", "link", "ansi", "lone-surrogate", "10kb"])
async def test_payload_as_a_lookup_query_finds_nothing(name: str, app: PosApp) -> None:
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await start_selling(pilot)
        await pilot.press("f3")
        assert isinstance(app.screen, PriceLookup)
        app.screen.query_one("#query", Input).value = PAYLOADS[name]
        await settle(pilot)
        assert app.screen.query_one("#results", DataTable).row_count == 0
        await pilot.press("escape")
        assert isinstance(app.screen, SaleScreen)
        assert cart_rows(screen) == []


QUANTITIES = [
    ("[bold]2", "数量无效"),
    ("2\x1b[31m", "数量无效"),
    ("0", "Quantity out of range · A line's quantity must be between 1 and 9999, not 0."),
    ("10000", "Quantity out of range · "),
    ("99999999999999999999999", "Quantity out of range · "),
    ("²", "数量无效"),  # str.isdigit() says yes, int() says no
]


@pytest.mark.parametrize(("answer", "refusal"), QUANTITIES)
async def test_a_bad_quantity_is_refused_and_changes_nothing(
    answer: str, refusal: str, app: PosApp
) -> None:
    async with app.run_test() as pilot:
        screen = await start_selling(pilot)
        screen.scan("6921168509256")
        await settle(pilot)
        await pilot.press("f2")
        assert isinstance(app.screen, AskText)
        app.screen.query_one("#answer", Input).value = answer
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert cart_rows(screen)[0][1] == "1"
        line = screen.query_one("#message", Static)
        assert line.has_class("-error")
        assert isinstance(line.content, Text)
        assert line.content.spans == []
        assert line.content.plain.startswith(refusal)
