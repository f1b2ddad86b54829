"""The sale screen: the catalog, the cart, totals, and an entry line."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from devices.drawer import CashDrawer
from pos.cash_drawer import open_drawer
from pos.checkout import Added, Checkout, ReceiptRequested, Refused
from pos.domain.money import format_amount
from pos.domain.sale import SaleRecord
from pos.errors import PosError
from receipts.text import StoreHeader, receipt_lines


class SaleScreen(Screen[None]):
    """Scan or type codes into the entry line; F12 takes exact cash."""

    BINDINGS = [  # noqa: RUF012  (Textual's declared class attribute)
        Binding("f12", "pay_exact", "Exact cash"),
        Binding("escape", "clear_entry", "Clear entry", show=False),
    ]

    def __init__(
        self, checkout: Checkout, drawer: CashDrawer, store: StoreHeader, lang: str
    ) -> None:
        super().__init__()
        self.checkout = checkout
        self.drawer = drawer
        self.store = store
        self.lang = lang

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield DataTable(id="catalog", cursor_type="row", zebra_stripes=True)
            with Vertical(id="sale"):
                yield DataTable(id="cart", cursor_type="row")
                yield Static(id="totals")
                yield Static(id="receipt")
        yield Input(placeholder="Scan or type a code / SKU (3*code for 3)", id="entry")
        yield Footer()

    def on_mount(self) -> None:
        catalog = self.query_one("#catalog", DataTable)
        catalog.add_columns("SKU", "Barcode", "Name", "Price")
        for item in self.checkout.catalog:
            price = format_amount(item.price) + ("/kg" if item.weighed else "")
            catalog.add_row(
                Text(item.sku), Text(item.barcode or item.plu or ""), Text(item.name(self.lang)),
                Text(price, justify="right"),
            )  # fmt: skip
        self.query_one("#cart", DataTable).add_columns("Item", "Qty", "Price", "Total")
        self._refresh_cart()
        self.query_one("#entry", Input).focus()

    @on(Input.Submitted, "#entry")
    def _entered(self, event: Input.Submitted) -> None:
        event.input.clear()
        outcome = self.checkout.enter(event.value)
        if isinstance(outcome, Refused):
            self.app.bell()
            # Scanned text is data: markup=False so "[bold]" in a scan shows as typed.
            self.notify(outcome.message, title=outcome.title, severity="error", markup=False)
            return
        if isinstance(outcome, ReceiptRequested):
            self.notify(f"Receipt {outcome.receipt_no}", title="Receipt scanned", markup=False)
            return
        assert isinstance(outcome, Added)
        self.query_one("#receipt", Static).update("")
        self._refresh_cart()
        self._save_draft()

    def action_clear_entry(self) -> None:
        self.query_one("#entry", Input).clear()

    def action_pay_exact(self) -> None:
        if self.checkout.cart.is_empty:
            self.notify("Scan something first.", title="Nothing to pay", severity="warning")
            return
        self._pay_exact()

    @work(thread=True, exclusive=True, group="ledger")
    def _pay_exact(self) -> None:
        try:
            record = self.checkout.pay_cash(None)
        except PosError as error:
            self.app.call_from_thread(self._show_error, error)
            return
        self.app.call_from_thread(self._paid, record)
        try:
            open_drawer(
                self.drawer, self.checkout.ledger, reason="sale",
                staff_no=record.cashier, sale_id=record.sale_id,
            )  # fmt: skip
        except PosError as error:
            self.app.call_from_thread(self._show_error, error)

    @work(thread=True, exclusive=False, group="ledger")
    def _save_draft(self) -> None:
        try:
            self.checkout.save_draft()
        except PosError as error:
            self.app.call_from_thread(self._show_error, error)

    def _show_error(self, error: PosError) -> None:
        self.app.bell()
        self.notify(error.message, title=error.title, severity="error", timeout=10, markup=False)

    def _paid(self, record: SaleRecord) -> None:
        text = "\n".join(receipt_lines(record, self.store, lang=self.lang))
        self.query_one("#receipt", Static).update(Text(text))
        self._refresh_cart()
        self.notify(f"{record.receipt_no}: {format_amount(record.total)}", title="Paid")

    def _refresh_cart(self) -> None:
        table = self.query_one("#cart", DataTable)
        table.clear()
        totals = self.checkout.cart.totals()
        amounts = {line.line_id: line for line in totals.lines}
        for line in self.checkout.cart.lines:
            quantity = f"{line.weight_g}g" if line.weight_g is not None else str(line.quantity)
            table.add_row(
                Text(line.item.name(self.lang)), Text(quantity, justify="right"),
                Text(format_amount(line.unit_price), justify="right"),
                Text(format_amount(amounts[line.line_id].net), justify="right"),
            )  # fmt: skip
        self.query_one("#totals", Static).update(
            Text(f"Items {totals.item_count}   Total ¥{format_amount(totals.total)}")
        )
