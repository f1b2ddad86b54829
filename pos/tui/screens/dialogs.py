"""Dialogs of the sale screen: cash tender, price lookup, resume, help, receipt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Digits, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from pos.domain.catalog import Catalog
from pos.domain.errors import PosError
from pos.domain.money import format_amount, parse_amount
from pos.tui.i18n import Strings
from pos.tui.keys import ACTIONS
from receipts.words import local_time

if TYPE_CHECKING:
    from pos.checkout import SuspendedSale

NOTES = {"f1": 1000, "f2": 2000, "f3": 5000, "f4": 10000}
"""Quick keys for the common notes in the cash dialog (fen)."""


class Dismissable(ModalScreen[object]):
    BINDINGS = [Binding("escape", "close", show=False)]  # noqa: RUF012

    def action_close(self) -> None:
        self.dismiss(None)


class CashTender(ModalScreen[int | None]):
    """The amount handed over: Enter on empty = exact, F1-F4 = a note, Esc = back."""

    BINDINGS = [  # noqa: RUF012
        Binding("escape", "cancel", show=False),
        *(Binding(key, f"note({amount})", show=False) for key, amount in NOTES.items()),
    ]

    def __init__(self, due: int, strings: Strings) -> None:
        super().__init__()
        self._due = due
        self._strings = strings

    def compose(self) -> ComposeResult:
        strings = self._strings
        with Vertical(classes="dialog tender"):
            yield Label(Text(strings("tender.title")), classes="dialog-title")
            yield Label(Text(strings("tender.due", amount="")))
            yield Digits(f"¥{format_amount(self._due)}", id="due")
            yield Label(Text(strings("tender.amount")))
            yield Input(id="tendered", max_length=12)
            yield Static(Text(strings("tender.notes")), id="problem", classes="problem")

    @on(Input.Submitted, "#tendered")
    def _entered(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.dismiss(self._due)
            return
        try:
            given = parse_amount(event.value)
        except PosError as error:
            self._problem(error.message)
            return
        self._settle(given)

    def action_note(self, amount: int) -> None:
        self._settle(amount)

    def _settle(self, given: int) -> None:
        if given < self._due:
            self._problem(
                self._strings(
                    "tender.short", given=format_amount(given), due=format_amount(self._due)
                )
            )
            return
        self.dismiss(given)

    def _problem(self, text: str) -> None:
        self.app.bell()
        problem = self.query_one("#problem", Static)
        problem.update(Text(text))
        problem.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class PriceLookup(Dismissable):
    """Search the catalog by name, SKU or barcode; nothing is added to the sale."""

    def __init__(self, catalog: Catalog, strings: Strings) -> None:
        super().__init__()
        self._catalog = catalog
        self._strings = strings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self._strings("lookup.title")), classes="dialog-title")
            yield Input(placeholder=self._strings("lookup.prompt"), id="query")
            yield DataTable(id="results", cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        table.add_columns("SKU", "Barcode", self._strings("cart.item"), self._strings("cart.price"))

    @on(Input.Changed, "#query")
    def _search(self, event: Input.Changed) -> None:
        table = self.query_one("#results", DataTable)
        table.clear()
        if not event.value.strip():
            return
        for item in self._catalog.find(event.value.strip()):
            price = format_amount(item.price) + ("/kg" if item.weighed else "")
            table.add_row(
                Text(item.sku),
                Text(item.barcode or item.plu or ""),
                Text(item.name(self._strings.lang)),
                Text(price, justify="right"),
            )


class ResumeSale(ModalScreen[str | None]):
    """Pick a suspended sale to continue."""

    BINDINGS = [Binding("escape", "cancel", show=False)]  # noqa: RUF012

    def __init__(self, sales: Sequence[SuspendedSale], strings: Strings, zone: tzinfo) -> None:
        super().__init__()
        self._sales = sales
        self._strings = strings
        self._zone = zone

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self._strings("resume.title")), classes="dialog-title")
            if not self._sales:
                yield Label(Text(self._strings("resume.none")))
            yield OptionList(
                *(
                    Option(
                        Text(
                            f"{local_time(sale.created, self._zone, '%H:%M')}  {sale.staff_no}  "
                            f"{self._strings('totals.items')} {sale.item_count}  "
                            f"¥{format_amount(sale.total)}"
                        ),
                        id=sale.draft_id,
                    )
                    for sale in self._sales
                ),
                id="suspended",
            )

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(Dismissable):
    """Every key of the sale screen, in the current language."""

    def __init__(self, keys: Mapping[str, str], strings: Strings) -> None:
        super().__init__()
        self._keys = keys
        self._strings = strings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(Text(self._strings("help.title")), classes="dialog-title")
            yield DataTable(id="keys", cursor_type="none", show_header=False)
            yield Label(Text(self._strings("help.close")))

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("key", "action")
        for action in ACTIONS:
            table.add_row(Text(self._keys[action.name].upper()), Text(self._strings(action.label)))
        table.add_row(Text("DELETE"), Text(self._strings("action.remove")))
        table.add_row(Text("N*CODE"), Text(self._strings("entry.placeholder")))


class ReceiptView(Dismissable):
    """A receipt as it was printed (or reprinted, marked as a copy)."""

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self._title = title
        self._lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog receipt"):
            yield Label(Text(self._title), classes="dialog-title")
            with VerticalScroll():
                yield Static(Text("\n".join(self._lines)), classes="paper")
