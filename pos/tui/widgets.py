"""The sale screen's widgets. Each takes what it shows as arguments (attributes down)
and never reaches into the use cases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from pos.domain.cart import Cart, CartLine, CartTotals, LineAmounts
from pos.domain.coupons import Campaign
from pos.domain.members import Member, Tier, mask_phone
from pos.domain.money import format_amount
from pos.domain.offers import Offers
from pos.tui.i18n import Strings
from receipts.words import format_rate


@dataclass(frozen=True, slots=True)
class TillStatus:
    """What the status bar shows; replaced whole when anything changes."""

    store: str
    store_id: str
    cashier: str
    shift: str
    online: bool = False
    backlog: int = 0
    sync_halted: bool = False
    """Pushing to the cloud stopped on a refusal: the backlog will not go down by itself."""
    last_sync: str = ""
    """Local time the cloud last acknowledged a push ("14:02"); empty: never."""
    catch_up: tuple[int, int] | None = None
    """(events pushed, of how many) while catching up a long backlog."""
    printer: str = "device.starting"
    """i18n key of the printer's state (device.ready, device.paper_out, ...)."""
    printer_waiting: int = 0
    """Receipts queued and not yet printed."""
    scanner: str = "device.ready"
    """i18n key of the scanner's state; the keyboard wedge is always ready."""

    @property
    def printer_ok(self) -> bool:
        return self.printer in ("device.ready", "device.paper_low", "device.starting")


class StatusBar(Static):
    """Store, cashier, shift, online/offline, unsynced backlog, printer and scanner.

    Every part stays visible at 80 columns: when the full wording does not fit, the
    names give way first (store id for its name, then staff number for the cashier).
    The last sync time goes first of all; a catch-up's progress bar shrinks to its
    percentage.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[TillStatus, Strings] | None = None

    def show(self, status: TillStatus, strings: Strings) -> None:
        self._shown = (status, strings)
        self.refresh()

    def render(self) -> Text:
        # The wording is chosen here, at render time, because only then is the
        # widget's width settled (a status shown before layout has width 0).
        if self._shown is None:
            return Text()
        status, strings = self._shown
        online = (
            strings("status.online" if status.online else "status.offline"),
            "green" if status.online else "yellow",
        )
        printer, scanner = strings(status.printer), strings(status.scanner)
        if status.printer_waiting:
            printer += " " + strings("status.waiting", count=status.printer_waiting)
        printer_style = "" if status.printer_ok else "bold red"
        backlog_style = "bold red" if status.sync_halted else ""
        backlog = strings("status.backlog", count=status.backlog)
        backlog_short = strings("status.backlog_short", count=status.backlog)
        if status.catch_up is not None:
            done, whole = status.catch_up
            percent = f"{100 * done // whole}%"
            backlog = f"{backlog} {progress_bar(done, whole, 10)} {percent}"
            backlog_short = f"{backlog_short} {percent}"
        synced = (
            [(strings("status.last_sync", time=status.last_sync), "")] if status.last_sync else []
        )
        scanner_style = "" if status.scanner == "device.ready" else "bold red"
        # "101 王芳 Wang Fang" -> "101 王芳" -> "101": the demo's names carry both scripts.
        staff_no, *name = status.cashier.split()
        short_cashier = " ".join([staff_no, *name[:1]])
        full = [
            (status.store, "bold"),
            (f"{strings('status.cashier')} {status.cashier}", ""),
            (f"{strings('status.shift')} {status.shift}", ""),
            online,
            (backlog, backlog_style),
            *synced,
            (f"{strings('status.printer')} {printer}", printer_style),
            (f"{strings('status.scanner')} {scanner}", scanner_style),
        ]
        compact = [
            (status.store_id, "bold"),
            (f"{strings('status.cashier')} {short_cashier}", ""),
            (status.shift, ""),
            online,
            (backlog_short, backlog_style),
            (f"{strings('status.printer_short')} {printer}", printer_style),
            (f"{strings('status.scanner_short')} {scanner}", scanner_style),
        ]
        # The cashier's name goes last: it is how a manager checks who is signed in.
        tightest = [*compact[:1], (f"{strings('status.cashier')} {staff_no}", ""), *compact[2:]]
        compact = [*compact[:5], *synced, *compact[5:]]
        wordings = (full, compact, tightest)
        # The first wording that fits; every part stays, only the words get shorter.
        for parts in wordings[:-1]:
            text = self._line(parts)
            if text.cell_len <= self.size.width:
                return text
        return self._line(wordings[-1])

    @staticmethod
    def _line(parts: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (part, style) in enumerate(parts):
            text.append("│ " if index else " ")
            text.append(f"{part} ", style=style)
        return text


def progress_bar(done: int, whole: int, cells: int) -> str:
    """`done` of `whole` as a bar `cells` wide, in eighths of a cell."""
    eighths = round(8 * cells * min(max(done, 0), whole) / whole) if whole > 0 else 0
    full, part = divmod(eighths, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return f"▕{bar.ljust(cells)}▏"


class CartTable(ScrollView, can_focus=True):
    """The lines of the sale, drawn a row at a time (Textual's Line API).

    A cart runs to hundreds of lines and changes on every scan, and the till must
    redraw within a frame of the scan. So a row is rendered once, the first time it
    is in view, into a Strip kept for as long as its cells are unchanged; a frame
    paints only the rows in view; and the selection scrolls into view at once rather
    than after a refresh. The header stays on the first row while the lines scroll.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "step(-1)", show=False),
        Binding("down", "step(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "first", show=False),
        Binding("end", "last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "cart-table--header",
        "cart-table--cursor",
        "cart-table--even-row",
    }

    NUMBER_COLUMNS: ClassVar[tuple[tuple[str, int], ...]] = (
        ("qty", 6),
        ("price", 7),
        ("discount", 7),
        ("total", 8),
    )
    """Key and width in cells of each number column, in the order shown."""
    WIDE = 70
    """From this width on the discount has a column of its own."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[Cart, CartTotals, Strings] | None = None
        self._layout = _Layout(0, (), ())
        self._rows: tuple[tuple[str, ...], ...] = ()
        self._line_ids: tuple[int, ...] = ()
        self._cursor = 0
        self._strips: dict[tuple[str, ...], Strip] = {}
        """Rendered rows by their cells: a row is rendered again only when it changes."""
        self._styles = _RowStyles(Style(), Style(), Style(), Style())

    # -- what the sale screen and the tests read ----------------------------------

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def cursor_row(self) -> int:
        """The selected row (0 in an empty cart)."""
        return self._cursor

    @property
    def selected_line(self) -> int | None:
        """The line id of the selected row."""
        return self._line_ids[self._cursor] if self._line_ids else None

    @property
    def labels(self) -> tuple[str, ...]:
        """The column headings, in the order shown."""
        return self._layout.labels

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """Each line's cells, in the order shown: whole names, numbers unpadded."""
        return self._rows

    # -- showing the cart ---------------------------------------------------------

    def show(self, cart: Cart, totals: CartTotals, strings: Strings) -> None:
        """Show the cart, repainting only the rows whose cells changed."""
        self._shown = (cart, totals, strings)
        wide = self.size.width >= self.WIDE
        numbers = [column for column in self.NUMBER_COLUMNS if wide or column[0] != "discount"]
        keys = [key for key, _width in numbers]
        # The name takes what the numbers leave (each column pads one cell a side,
        # and the scrollbar keeps its place so the columns never shift).
        name_width = max(
            8,
            self.size.width
            - self.scrollbar_size_vertical
            - sum(width for _key, width in numbers)
            - 2 * (len(numbers) + 1),
        )
        layout = _Layout(
            self.size.width,
            (name_width, *(width for _key, width in numbers)),
            (strings("cart.item"), *(strings(f"cart.{key}") for key in keys)),
        )
        if layout != self._layout:
            self._layout = layout
            self._strips.clear()
            self.refresh()
        amounts = {amount.line_id: amount for amount in totals.lines}
        rows = tuple(
            self._cells(line, amounts[line.line_id], strings.lang, keys) for line in cart.lines
        )
        if len(rows) != len(self._rows):
            self.refresh()
        else:
            for index, (old, new) in enumerate(zip(self._rows, rows, strict=True)):
                if old != new:
                    self.refresh_line(index + 1)
        if rows != self._rows:
            self._rows = rows
            shown = {*rows, layout.labels}
            self._strips = {cells: strip for cells, strip in self._strips.items() if cells in shown}
        self._line_ids = tuple(line.line_id for line in cart.lines)
        self._set_virtual_size(Size(sum(layout.columns) + 2 * len(layout.columns), len(rows) + 1))
        self.move_cursor(self._cursor)

    def _set_virtual_size(self, size: Size) -> None:
        # Assigning virtual_size asks for a layout of the whole screen (its reactive
        # says so), and every widget is then painted again: a frame's worth of work
        # on each scan. The cart's own size does not depend on its rows (it fills
        # its place), so only the scrollbar needs telling; it still gets a layout
        # when it appears or goes (show_vertical_scrollbar asks for one).
        if size != self.virtual_size:
            self.set_reactive(ScrollView.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    @staticmethod
    def _cells(line: CartLine, amount: LineAmounts, lang: str, keys: list[str]) -> tuple[str, ...]:
        quantity = f"{line.weight_g}g" if line.weight_g is not None else str(line.quantity)
        discount = amount.discount
        wide = "discount" in keys
        numbers = {
            "qty": quantity,
            "price": format_amount(line.unit_price),
            "discount": f"-{format_amount(discount)}" if discount else "",
            # Too narrow for the discount column: a star says the total is discounted.
            "total": format_amount(amount.net) + ("" if wide or not discount else "*"),
        }
        return (line.item.name(lang), *(numbers[key] for key in keys))

    # -- the selection ------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        """Select ``row`` (kept within the cart) and scroll it into view now."""
        row = max(0, min(row, len(self._rows) - 1))
        if row != self._cursor:
            self.refresh_line(self._cursor + 1)
            self.refresh_line(row + 1)
            self._cursor = row
        in_view = self.size.height - 1  # the header takes the first row
        if in_view > 0:
            top = max(min(self.scroll_offset.y, row), row - in_view + 1)
            self.scroll_to(y=top, animate=False, force=True)

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # A scroll made before the scrollbar appeared (scans filling the screen in one
        # go) did not move it, so it takes the view's position as it appears.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def follow_last(self) -> None:
        self.move_cursor(len(self._rows) - 1)

    def action_step(self, rows: int) -> None:
        self.move_cursor(self._cursor + rows)

    def action_page(self, pages: int) -> None:
        self.action_step(pages * max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.follow_last()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:
            row = offset.y - 1 + self.scroll_offset.y
            if row < len(self._rows):
                self.move_cursor(row)

    # -- drawing ------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        # Once a frame rather than once a row: a widget's own style is worked out
        # afresh from its ancestors on every read.
        style = self.get_component_rich_style
        self._styles = _RowStyles(
            header=style("cart-table--header"),
            cursor=style("cart-table--cursor"),
            even=style("cart-table--even-row"),
            odd=self.rich_style,
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        styles = self._styles
        if y == 0:
            return self._strip(self._layout.labels).apply_style(styles.header)
        row = y - 1 + self.scroll_offset.y
        if row >= len(self._rows):
            return Strip.blank(self.size.width, styles.odd)
        strip = self._strip(self._rows[row])
        if row == self._cursor:
            return strip.apply_style(styles.cursor)
        return strip.apply_style(styles.odd if row % 2 else styles.even)

    def _strip(self, cells: tuple[str, ...]) -> Strip:
        strip = self._strips.get(cells)
        if strip is None:
            strip = self._strips[cells] = self._render_row(cells)
        return strip

    def _render_row(self, cells: tuple[str, ...]) -> Strip:
        segments: list[Segment] = []
        for index, (cell, width) in enumerate(zip(cells, self._layout.columns, strict=True)):
            # Product names are data: Text never parses markup in them. A line break
            # or tab in one would break the row on a terminal, so whitespace is folded.
            text = Text(" ".join(cell.split()), overflow="ellipsis")
            # Cell widths, not characters, so Chinese names stop at the column edge.
            text.align("left" if index == 0 else "right", width)
            # A segment a cell, kept apart by its meta: a screenshot joins segments of
            # one style, then spreads each by characters rather than cells, which would
            # push the numbers after a Chinese name out of their columns.
            segments.append(Segment(f" {text.plain} ", Style.from_meta({"column": index})))
        # Across the scrollbar's place too: while the scrollbar is hidden the row shows there.
        return Strip(segments).adjust_cell_length(self._layout.width)


class _Layout(NamedTuple):
    """What every rendered row depends on besides its cells."""

    width: int
    """The widget's, the scrollbar's place included."""
    columns: tuple[int, ...]
    """Width in cells of each column, padding left out."""
    labels: tuple[str, ...]


class _RowStyles(NamedTuple):
    """The styles of one frame's rows, from the component classes in pos.tcss."""

    header: Style
    cursor: Style
    even: Style
    odd: Style


def update_in_place(widget: Static, content: Text) -> None:
    """``widget.update(content)``, with a layout only when the widget's size changes.

    Static.update lays out the whole screen, after which every widget on it is painted
    again: most of a frame, on every scan. A widget of set size never needs that, and
    one whose height follows its content only when that height changes.
    """
    if content == widget.content:
        return
    styles, width = widget.styles, widget.content_size.width
    if styles.is_auto_width or not width:
        widget.update(content)
        return
    before = widget.get_content_height(Size(0, 0), Size(0, 0), width)
    widget.update(content, layout=False)
    if styles.is_auto_height and widget.get_content_height(Size(0, 0), Size(0, 0), width) != before:
        widget.refresh(layout=True)


class TotalsPanel(Static):
    def show(
        self, totals: CartTotals, strings: Strings, *, paid: int = 0, part: int | None = None
    ) -> None:
        """The sale's totals; `paid` is what parts of a split sale took so far and `part`
        what the next payment is set to cover."""
        text = Text()
        rows = [
            (strings("totals.items"), str(totals.item_count)),
            (strings("totals.subtotal"), format_amount(totals.subtotal)),
        ]
        if totals.discount_total:
            rows.append((strings("totals.discount"), f"-{format_amount(totals.discount_total)}"))
        rows += [
            (strings("totals.tax", rate=format_rate(rate)), format_amount(tax))
            for rate, tax in totals.tax_by_rate
        ]
        for label, value in rows:
            text.append(f"{label}\t{value}\n")
        text.append(f"{strings('totals.due')}\t¥{format_amount(totals.total)}", style="bold")
        if paid:
            text.append(f"\n{strings('totals.paid')}\t{format_amount(paid)}")
            left = format_amount(totals.total - paid)
            text.append(f"\n{strings('totals.left')}\t¥{left}", style="bold reverse")
        if part is not None:
            text.append(f"\n{strings('totals.next')}\t¥{format_amount(part)}", style="bold")
        text.expand_tabs(tab_size=14)
        update_in_place(self, text)


class MemberPanel(Static):
    """The sale's member and coupons: who, tier, points; what applies and why not."""

    def show(
        self,
        strings: Strings,
        member: Member | None = None,
        tier: Tier | None = None,
        offers: Offers | None = None,
        campaigns: Mapping[str, Campaign] | None = None,
    ) -> None:
        lang = strings.lang
        campaigns = campaigns or {}
        text = Text()
        if member is None:
            text.append(strings("member.none"))
        else:
            text.append(member.member_no, style="bold")
            text.append(f"  {tier.name(lang) if tier else ''}\n")
            if member.phone:
                text.append(f"{mask_phone(member.phone)}\n")
            text.append(strings("member.points", points=member.points))
        if offers is None or not (offers.promotions or offers.choice.not_used):
            if member is None:
                text.append(f"\n{strings('member.hint')}")
            update_in_place(self, text)
            return
        for promotion in offers.promotions:
            text.append(f"\n✓ {promotion.name(lang)} -{format_amount(promotion.amount)}", "green")
        for not_used in offers.choice.not_used:
            coupon = not_used.coupon
            campaign = campaigns.get(coupon.campaign_id)
            name = campaign.name(lang) if campaign else coupon.campaign_id
            text.append(f"\n· {name}: ", "dim")
            key = f"coupon.{not_used.reason}"
            text.append(strings(key) if strings.has(key) else not_used.message, "dim")
        update_in_place(self, text)


class EntryLine(Input):
    """The sale's entry line: an Input whose text never changes its size.

    Input keeps its scroll range in its virtual size, and that reactive asks for a
    layout of the whole screen on every change: twice a scan (the code in, then
    cleared), each repainting every widget. The line's size is set in pos.tcss and
    it shows no scrollbar, so the range is all that changes.
    """

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)


class MessageLine(Static):
    """The status area under the entry line: the last refusal or confirmation."""

    def say(self, text: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        update_in_place(self, Text(text, no_wrap=True, overflow="ellipsis"))
