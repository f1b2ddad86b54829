"""The till's Textual application: it receives its services from the composition root."""

from __future__ import annotations

from textual.app import App

from devices.drawer import CashDrawer
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config
from pos.ledger.database import Ledger
from pos.tui.sale_screen import SaleScreen
from receipts.text import StoreHeader

DEMO_CASHIER = "101"


class PosApp(App[None]):
    """The till. Services come in through the constructor; screens get them as attributes."""

    CSS_PATH = "pos.tcss"
    TITLE = "pos"

    def __init__(self, config: Config, ledger: Ledger, drawer: CashDrawer) -> None:
        super().__init__()
        self.config = config
        self.ledger = ledger
        self.drawer = drawer

    def on_mount(self) -> None:
        settings = self.config.settings
        self.theme = settings.ui.theme
        self.sub_title = f"{settings.store.name} · {settings.till.device_id}"
        checkout = Checkout(
            self.ledger,
            current_catalog(self.ledger),
            Till(settings.till.device_id, settings.till.receipt_prefix, DEMO_CASHIER),
            settings.scanner.rules(),
        )
        checkout.restore_draft()
        store = StoreHeader(settings.store.name, settings.store.address, settings.store.tax_id)
        self.push_screen(SaleScreen(checkout, self.drawer, store, settings.ui.language))
