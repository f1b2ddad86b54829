"""The sale screen's widgets. Each takes what it shows as arguments (attributes down)
and never reaches into the use cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable, Static

from pos.domain.cart import Cart, CartLine, CartTotals, LineAmounts
from pos.domain.money import format_amount
from pos.tui.i18n import Strings
from receipts.text import format_rate


@dataclass(frozen=True, slots=True)
class TillStatus:
    """What the status bar shows; replaced whole when anything changes."""

    store: str
    store_id: str
    cashier: str
    shift: str
    online: bool = False
    backlog: int = 0
    printer: str = "status.ready"
    """i18n key of the printer's state."""
    scanner: str = "status.ready"
    """i18n key of the scanner's state."""


class StatusBar(Static):
    """Store, cashier, shift, online/offline, unsynced backlog, printer and scanner.

    Every part stays visible at 80 columns: when the full wording does not fit, the
    names give way first (store id for its name, then staff number for the cashier).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[TillStatus, Strings] | None = None

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, status: TillStatus, strings: Strings) -> None:
        self._shown = (status, strings)
        online = (
            strings("status.online" if status.online else "status.offline"),
            "green" if status.online else "yellow",
        )
        printer, scanner = strings(status.printer), strings(status.scanner)
        staff_no = status.cashier.split()[0]
        full = [
            (status.store, "bold"),
            (f"{strings('status.cashier')} {status.cashier}", ""),
            (f"{strings('status.shift')} {status.shift}", ""),
            online,
            (strings("status.backlog", count=status.backlog), ""),
            (f"{strings('status.printer')} {printer}", ""),
            (f"{strings('status.scanner')} {scanner}", ""),
        ]
        compact = [
            (status.store_id, "bold"),
            (f"{strings('status.cashier')} {status.cashier}", ""),
            (status.shift, ""),
            online,
            (strings("status.backlog_short", count=status.backlog), ""),
            (f"{strings('status.printer_short')} {printer}", ""),
            (f"{strings('status.scanner_short')} {scanner}", ""),
        ]
        # The cashier's name goes last: it is how a manager checks who is signed in.
        tightest = [*compact[:1], (f"{strings('status.cashier')} {staff_no}", ""), *compact[2:]]
        wordings = (full, compact, tightest)
        # The first wording that fits; every part stays, only the words get shorter.
        for parts in wordings:
            text = self._line(parts)
            if text.cell_len <= self.size.width:
                break
        self.update(text)

    @staticmethod
    def _line(parts: list[tuple[str, str]]) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (part, style) in enumerate(parts):
            text.append("│ " if index else " ")
            text.append(f"{part} ", style=style)
        return text


class CartTable(DataTable[Text]):
    """The lines of the sale; names are cell-width aware through Rich."""

    NUMBERS_WIDTH = 6 + 7 + 8
    """Quantity, price and total columns, in cells."""
    DISCOUNT_WIDTH = 7
    WIDE = 70
    """From this width on the discount has a column of its own."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[Cart, CartTotals, Strings] | None = None
        self._layout: tuple[str, bool, int] | None = None
        self._rows: dict[str, tuple[Text, ...]] = {}

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(*self._shown)

    def show(self, cart: Cart, totals: CartTotals, strings: Strings) -> None:
        """Show the cart, touching only the rows that changed.

        Rebuilding the whole table on every scan costs a frame's worth of work with a
        long cart and resets the scroll position for a frame (a visible flicker); so
        rows are added, updated and removed in place, and the table is rebuilt only
        when its columns change (language or width).
        """
        self._shown = (cart, totals, strings)
        wide = self.size.width >= self.WIDE
        columns = 5 if wide else 4
        numbers = self.NUMBERS_WIDTH + (self.DISCOUNT_WIDTH if wide else 0)
        # The name takes what the numbers leave (each column pads one cell a side,
        # and the scrollbar takes two).
        name_width = max(8, self.size.width - numbers - 2 * columns - 2)
        layout = (strings.lang, wide, name_width)
        if layout != self._layout:
            self._layout = layout
            self._columns(strings, wide, name_width)
        amounts = {line.line_id: line for line in totals.lines}
        wanted = {str(line.line_id): self._cells(line, amounts[line.line_id], strings, wide)
                  for line in cart.lines}  # fmt: skip
        for key in [key for key in self._rows if key not in wanted]:
            self.remove_row(key)
            del self._rows[key]
        for key, cells in wanted.items():
            shown = self._rows.get(key)
            if shown is None:
                self.add_row(*cells, key=key)
            elif shown != cells:
                for column, (old, new) in zip(self.columns, zip(shown, cells, strict=True),
                                              strict=True):  # fmt: skip
                    if old != new:
                        self.update_cell(key, column, new)
            self._rows[key] = cells

    def _columns(self, strings: Strings, wide: bool, name_width: int) -> None:
        self.clear(columns=True)
        self._rows = {}
        self.add_column(strings("cart.item"), key="item", width=name_width)
        # Fixed widths, and numbers padded to them, so they right-align under their
        # headings (the table itself aligns every cell to the left).
        for key, width in self._number_columns(wide):
            self.add_column(_right(strings(f"cart.{key}"), width), key=key, width=width)

    @staticmethod
    def _cells(
        line: CartLine, amount: LineAmounts, strings: Strings, wide: bool
    ) -> tuple[Text, ...]:
        quantity = f"{line.weight_g}g" if line.weight_g is not None else str(line.quantity)
        discount = amount.line_discount + amount.cart_discount_share
        # Product names are data: Text never parses markup in them.
        name = Text(line.item.name(strings.lang), overflow="ellipsis", no_wrap=True)
        total = format_amount(amount.net) + ("" if wide or not discount else "*")
        numbers = {
            "qty": quantity,
            "price": format_amount(line.unit_price),
            "discount": f"-{format_amount(discount)}" if discount else "",
            "total": total,
        }
        return (
            name,
            *(_right(numbers[key], width) for key, width in CartTable._number_columns(wide)),
        )

    @classmethod
    def _number_columns(cls, wide: bool) -> list[tuple[str, int]]:
        columns = [("qty", 6), ("price", 7), ("discount", cls.DISCOUNT_WIDTH), ("total", 8)]
        return [column for column in columns if wide or column[0] != "discount"]

    def follow_last(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    @property
    def selected_line(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None


def _right(text: str, width: int) -> Text:
    return Text(" " * max(0, width - cell_len(text)) + text, no_wrap=True)


class TotalsPanel(Static):
    def show(self, totals: CartTotals, strings: Strings) -> None:
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
        text.expand_tabs(tab_size=14)
        self.update(text)


class MemberPanel(Static):
    """The member and coupons of the sale (filled once membership exists)."""

    def show(self, strings: Strings) -> None:
        self.update(Text(f"{strings('member.none')}\n{strings('member.hint')}"))


class MessageLine(Static):
    """The status area under the entry line: the last refusal or confirmation."""

    def say(self, text: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(Text(text, no_wrap=True, overflow="ellipsis"))
