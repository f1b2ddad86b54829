"""What keeps the till quick (bench/tui.py times it; these check the behaviour behind it).

The first frame, sign-in, needs neither the ledger nor the screens after sign-in, so a
fresh process shows it without importing them. A scan repaints the cart, the totals
and the message line in place: no layout of the whole screen, which would repaint
every widget on it, while a panel whose height does change is still laid out anew.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from tui_helpers import NOODLES, WATER, settle, start_selling, type_line

import pos.tui
from pos.domain.cart import Cart, Discount
from pos.domain.catalog import CatalogItem
from pos.tui.app import PosApp
from pos.tui.i18n import Strings
from pos.tui.widgets import CartTable, MessageLine, TotalsPanel

FIRST_FRAME = """
import json, sys
from pathlib import Path
from pos.cli import till_app
from pos.config import load_config

app = till_app(load_config(None, Path(sys.argv[1]), environ={}))
display = app._display  # where Textual hands a frame to the terminal


def first_frame(screen, update):
    display(screen, update)
    if update is not None and not loaded:
        loaded.extend(sys.modules)
        drawn.append(type(screen).__name__)
        app.exit()


loaded, drawn = [], []
app._display = first_frame
app.run(headless=True)
if app.opened_ledger is not None:
    app.opened_ledger.close()
print(json.dumps({"screen": drawn[0], "loaded": loaded}))
"""


def test_the_first_frame_loads_neither_the_ledger_nor_the_screens_after_sign_in(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown = json.loads(done.stdout.splitlines()[-1])
    assert shown["screen"] == "SignInScreen"
    loaded = set(shown["loaded"])
    assert "pos.tui.screens.sign_in" in loaded
    for heavy in (
        "sqlalchemy",  # the ledger, opened behind the first frame
        "pos.ledger.database",
        "pos.tui.screens.sale",  # and everything after sign-in
        "pos.tui.screens.technician",
        "receipts.escpos_parse",  # the printer simulator's parser, with its first job
    ):
        assert heavy not in loaded, heavy


async def test_scans_repaint_the_sale_without_laying_out_the_screen(app: PosApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_selling(pilot)
        table = screen.query_one(CartTable)
        for number in range(30):  # more lines than fit: the cart scrolls, with a scrollbar
            screen.scan(WATER if number % 2 else NOODLES)
        await settle(pilot)
        assert table.show_vertical_scrollbar
        layouts: list[tuple[Any, ...]] = []
        lay_out = screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> None:  # where Textual lays a screen out
            layouts.append(args)
            lay_out(*args, **kwargs)

        screen._refresh_layout = counted  # type: ignore[method-assign]

        screen.scan(NOODLES)
        await settle(pilot)
        await type_line(pilot, WATER)  # typed: the entry line fills and clears too

        assert layouts == []
        assert table.row_count == 32
        assert table.cursor_row == 31
        assert table.scroll_y == table.max_scroll_y  # the newest line in view
        assert table.vertical_scrollbar.window_virtual_size == table.virtual_size.height == 33
        assert table.vertical_scrollbar.position == table.scroll_y
        assert "农夫山泉" in str(screen.query_one(MessageLine).render())


def item(number: int) -> CatalogItem:
    return CatalogItem(
        sku=f"T{number:04d}",
        barcode=None,
        name_zh=f"测试商品 {number:03d}",
        name_en=f"Item {number:03d}",
        price=1000,
        tax_rate_bp=1300,
        category="test",
    )


class TotalsHost(App[None]):
    """The totals panel with the till's styles, in a column as narrow as the sale's."""

    CSS_PATH = Path(pos.tui.__file__).with_name("pos.tcss")

    def compose(self) -> ComposeResult:
        yield TotalsPanel(id="totals")


async def test_the_totals_panel_grows_when_a_discount_line_appears() -> None:
    host = TotalsHost()
    strings = Strings("en")
    cart = Cart()
    cart.add(item(1))
    async with host.run_test(size=(26, 12)) as pilot:
        panel = host.query_one(TotalsPanel)
        panel.show(cart.totals(), strings)
        await pilot.pause()
        height = panel.size.height

        cart.set_line_discount(cart.lines[0].line_id, Discount(amount=100))
        panel.show(cart.totals(), strings)
        await pilot.pause()

        assert panel.size.height == height + 1
        shown = [strip.text for strip in panel.render_lines(panel.size.region)]
        assert any("-1.00" in line for line in shown), shown
        assert "¥9.00" in shown[-1]  # the due line is still the last one shown
