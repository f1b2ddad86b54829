"""Changing the catalog: every addition and change is a journal event.

An import compares each row with the current catalog and journals only what changed,
so re-importing the same file writes nothing, and a price change is always explicit
(catalog.price_changed with the old and new price) for the receipts it affects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from pos.domain.catalog import Catalog, CatalogItem
from pos.ledger.database import Ledger, Writer
from pos.ledger.queries import catalog_items, load_catalog


@dataclass(frozen=True, slots=True)
class CatalogChanges:
    added: int = 0
    updated: int = 0
    repriced: int = 0
    unchanged: int = 0


def apply_catalog(ledger: Ledger, items: Iterable[CatalogItem]) -> CatalogChanges:
    """Journal the differences between `items` and the catalog, in one transaction."""
    with ledger.transaction() as writer:
        return journal_catalog(writer, items)


def journal_catalog(writer: Writer, items: Iterable[CatalogItem]) -> CatalogChanges:
    """Journal the differences between `items` and the catalog in `writer`'s
    transaction (an import, or the cloud's feed); DomainError, with nothing written,
    when the result would have two items with one barcode or PLU."""
    added = updated = repriced = unchanged = 0
    current = {item.sku: item for item in catalog_items(writer.conn)}
    incoming = list(items)
    # Refuse a result with duplicate barcodes or PLUs before writing anything.
    Catalog([*(c for sku, c in current.items() if sku not in _skus(incoming)), *incoming])
    for item in incoming:
        before = current.get(item.sku)
        if before is None:
            writer.append("catalog.item_added", {"item": asdict(item)})
            added += 1
            continue
        if before == item:
            unchanged += 1
            continue
        if before.price != item.price:
            writer.append(
                "catalog.price_changed",
                {"sku": item.sku, "old_price": before.price, "new_price": item.price},
            )
            repriced += 1
        if _without_price(before) != _without_price(item):
            writer.append("catalog.item_updated", {"item": asdict(item)})
            updated += 1
    return CatalogChanges(added, updated, repriced, unchanged)


def current_catalog(ledger: Ledger) -> Catalog:
    with ledger.read() as conn:
        return load_catalog(conn)


def _skus(items: list[CatalogItem]) -> set[str]:
    return {item.sku for item in items}


def _without_price(item: CatalogItem) -> dict[str, object]:
    fields = asdict(item)
    del fields["price"]
    return fields
