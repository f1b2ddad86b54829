"""The cart widget on its own: what a DataTable used to give the sale screen for free.

Most tests host a CartTable in a bare app with the till's stylesheet and a cart built
from catalog items, so a 200-line cart takes no scanning; one drives the real till to
see that a scan selects and shows the newest line. What is on screen is read through
the widget's rendered lines (the rows in view, highlight included), not its state.
"""

from __future__ import annotations

from pathlib import Path

from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from tui_helpers import NOODLES, WATER, settle, start_selling

import pos.tui
from pos.domain.cart import Cart
from pos.domain.catalog import CatalogItem
from pos.tui.app import PosApp
from pos.tui.i18n import Strings
from pos.tui.widgets import CartTable

NARROW = (60, 24)
"""Too narrow for the discount column, as the cart is beside the totals at 80x24."""


def item(number: int, *, name_zh: str = "", name_en: str = "") -> CatalogItem:
    return CatalogItem(
        sku=f"T{number:04d}",
        barcode=None,
        name_zh=name_zh or f"测试商品 {number:03d}",
        name_en=name_en or f"Item {number:03d}",
        price=100 + number,
        tax_rate_bp=1300,
        category="test",
    )


def cart_of(*items: CatalogItem) -> Cart:
    cart = Cart()
    for each in items:
        cart.add(each)
    return cart


class CartHost(App[None]):
    """A CartTable with the till's styles and focus, showing one cart."""

    CSS_PATH = Path(pos.tui.__file__).with_name("pos.tcss")

    def __init__(self, cart: Cart, lang: str = "en") -> None:
        super().__init__()
        self.cart = cart
        self.strings = Strings(lang)

    def compose(self) -> ComposeResult:
        yield CartTable(id="cart")

    def on_mount(self) -> None:
        table = self.query_one(CartTable)
        table.show(self.cart, self.cart.totals(), self.strings)
        table.focus()


def in_view(table: CartTable) -> list[Strip]:
    """The rows on screen under the header, as painted."""
    return table.render_lines(Region(0, 1, table.size.width, table.size.height - 1))


def highlighted(table: CartTable) -> str:
    """The text of the one row in view painted in the selection's colours."""
    selection = table.get_component_rich_style("cart-table--cursor").bgcolor
    rows = [
        strip.text
        for strip in in_view(table)
        if any(segment.style and segment.style.bgcolor == selection for segment in strip)
    ]
    assert len(rows) == 1, rows
    return rows[0]


def selected_name(host: CartHost) -> str:
    line_id = host.query_one(CartTable).selected_line
    return next(line.item.name_en for line in host.cart.lines if line.line_id == line_id)


async def test_keys_move_the_selection_and_keep_it_in_view_in_a_200_line_cart() -> None:
    host = CartHost(cart_of(*(item(number) for number in range(1, 201))))
    async with host.run_test(size=NARROW) as pilot:
        table = host.query_one(CartTable)
        page = table.size.height - 1
        assert table.row_count == 200

        steps: list[tuple[str, str]] = [
            ("end", "Item 200"),
            ("home", "Item 001"),
            ("pagedown", f"Item {1 + page:03d}"),
            ("pagedown", f"Item {1 + 2 * page:03d}"),
            ("down", f"Item {2 + 2 * page:03d}"),
            ("pageup", f"Item {2 + page:03d}"),
            ("up", f"Item {1 + page:03d}"),
            ("end", "Item 200"),
            ("up", "Item 199"),
            ("down", "Item 200"),
            ("down", "Item 200"),  # stays on the last line
        ]
        for key, expected in steps:
            await pilot.press(key)
            assert selected_name(host) == expected, key
            assert expected in highlighted(table), key

        for _ in range(page + 3):  # up past the top of the view: it scrolls along
            await pilot.press("up")
        assert selected_name(host) == f"Item {200 - page - 3:03d}"
        assert selected_name(host) in highlighted(table)
        assert in_view(table)[0].text == highlighted(table)


async def test_a_scan_selects_and_shows_the_newest_line(app: PosApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_selling(pilot)
        table = screen.query_one(CartTable)
        for number in range(30):  # alternating, so each scan is a line of its own
            screen.scan(WATER if number % 2 else NOODLES)
        await settle(pilot)
        for _ in range(20):  # the selection goes up, out of where the next line will be
            await pilot.press("up")
        assert table.cursor_row == 9

        screen.scan(NOODLES)
        await settle(pilot)

        assert table.row_count == 31
        assert table.cursor_row == 30
        assert table.selected_line == screen.checkout.cart.lines[-1].line_id
        assert in_view(table)[-1].text == highlighted(table)
        assert "康师傅鲜虾鱼板面" in highlighted(table)


async def test_a_name_with_markup_shows_literally() -> None:
    host = CartHost(cart_of(item(1, name_en="[bold]Water[/bold] [red]x[/]"), item(2)))
    async with host.run_test(size=NARROW) as pilot:
        await pilot.press("down")  # the selection is drawn bold; the name must not be
        table = host.query_one(CartTable)
        row = in_view(table)[0]
        assert "[bold]Water[/bold] [red]x[/]" in row.text
        assert not any(segment.style and segment.style.bold for segment in row)
        assert table.rows[0] == ("[bold]Water[/bold] [red]x[/]", "1", "1.01", "1.01")


def cell_ends(text: str, words: tuple[str, ...], start: int) -> list[int]:
    """Where each word ends, in cells from the left, finding them in order from `start`."""
    ends = []
    for word in words:
        start = text.index(word, start) + len(word)
        ends.append(cell_len(text[:start]))
    return ends


async def test_a_long_chinese_name_stops_at_its_column_and_numbers_align_right() -> None:
    long_name = "农夫山泉饮用天然水 550ml 家庭装 超长名称一直写到放不下为止"
    host = CartHost(cart_of(item(1, name_zh=long_name)), lang="zh-CN")
    async with host.run_test(size=NARROW) as pilot:
        await pilot.pause()
        table = host.query_one(CartTable)
        header = table.render_lines(Region(0, 0, table.size.width, 1))[0].text
        row = in_view(table)[0].text
        cut = row.index("…")

        assert long_name.startswith(row[:cut].strip())
        # Counted in characters, the Chinese name would push every number to the right.
        numbers = table.rows[0][1:]
        assert numbers == ("1", "1.01", "1.01")
        assert cell_ends(row, numbers, cut) == cell_ends(header, table.labels[1:], 0)


async def test_a_click_selects_the_row_under_the_pointer() -> None:
    host = CartHost(cart_of(*(item(number) for number in range(1, 6))))
    async with host.run_test(size=NARROW) as pilot:
        await pilot.click(CartTable, offset=(4, 3))  # the header is row 0
        assert selected_name(host) == "Item 003"
        assert "Item 003" in highlighted(host.query_one(CartTable))


async def test_the_discount_column_comes_with_the_width() -> None:
    host = CartHost(cart_of(item(1)))
    async with host.run_test(size=NARROW) as pilot:
        table = host.query_one(CartTable)
        await pilot.pause()
        assert table.labels == ("Item", "Qty", "Price", "Total")

        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert table.labels == ("Item", "Qty", "Price", "Disc.", "Total")
        assert table.rows == (("Item 001", "1", "1.01", "", "1.01"),)
        assert "Disc." in table.render_lines(Region(0, 0, table.size.width, 1))[0].text
