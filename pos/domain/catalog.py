"""What the store sells, and the lookups a scan or a price check needs."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pos.domain.barcodes import has_valid_check_digit
from pos.domain.errors import DomainError

_BARCODE_LENGTHS = (8, 12, 13)
_MAX_FIND_RESULTS = 50


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _plu_key(plu: str) -> str:
    """Scales zero-pad the PLU to the width of the barcode field, so "00123" is PLU 123."""
    return str(int(plu))


def _gtin_key(barcode: str) -> str:
    """The GTIN-14 form of a barcode.

    Many scanners send a UPC-A as a 13-digit EAN with a leading zero; padding
    every code to 14 digits (as GS1 does) makes both forms find the same item.
    """
    return barcode.zfill(14)


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One sellable item as the catalog describes it.

    `price` is in fen and includes tax; for a weighed item it is the price per
    kilogram. Invalid items are refused here so that nothing downstream has to
    re-check a catalog that was imported from a spreadsheet.
    """

    sku: str
    barcode: str | None
    name_zh: str
    name_en: str
    price: int
    tax_rate_bp: int
    category: str
    weighed: bool = False
    plu: str | None = None

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise DomainError("Invalid catalog item", f"Item {self.sku!r}: {problem}.")

    def _problem(self) -> str:
        if not self.sku or self.sku != self.sku.strip():
            return "the SKU is empty or has surrounding spaces"
        if not (self.name_zh or self.name_en):
            return "it has no name"
        if self.price < 0:
            return "the price cannot be negative"
        if self.tax_rate_bp < 0:
            return "the tax rate cannot be negative"
        if self.barcode is not None:
            if not (_is_digits(self.barcode) and len(self.barcode) in _BARCODE_LENGTHS):
                return "the barcode must be 8, 12 or 13 digits (EAN-8, UPC-A, EAN-13)"
            if not has_valid_check_digit(self.barcode):
                return f"barcode {self.barcode} has a wrong check digit"
        if self.plu is not None and not _is_digits(self.plu):
            return "the PLU must be digits"
        return ""

    def name(self, lang: str) -> str:
        """The name to show in `lang`, falling back to the other language rather than a blank."""
        if lang == "zh-CN":
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh


class Catalog:
    """An immutable set of items indexed by SKU, barcode and scale PLU.

    Duplicates are refused at construction, because a barcode that maps to two
    items would make a scan sell whichever was loaded last.
    """

    __slots__ = ("_by_barcode", "_by_plu", "_by_sku")

    def __init__(self, items: Iterable[CatalogItem]) -> None:
        self._by_sku: dict[str, CatalogItem] = {}
        self._by_barcode: dict[str, CatalogItem] = {}
        self._by_plu: dict[str, CatalogItem] = {}
        for item in items:
            if item.sku in self._by_sku:
                raise DomainError("Duplicate SKU", f"SKU {item.sku!r} appears more than once.")
            self._by_sku[item.sku] = item
            if item.barcode is not None:
                other = self._by_barcode.setdefault(_gtin_key(item.barcode), item)
                if other is not item:
                    raise DomainError(
                        "Duplicate barcode",
                        f"Barcode {item.barcode} is on both SKU {other.sku!r} "
                        f"and SKU {item.sku!r}.",
                    )
            if item.plu is not None:
                other = self._by_plu.setdefault(_plu_key(item.plu), item)
                if other is not item:
                    raise DomainError(
                        "Duplicate PLU",
                        f"PLU {item.plu} is on both SKU {other.sku!r} and SKU {item.sku!r}.",
                    )

    def by_sku(self, sku: str) -> CatalogItem | None:
        return self._by_sku.get(sku)

    def by_barcode(self, barcode: str) -> CatalogItem | None:
        """Find by EAN-13, EAN-8 or UPC-A, whether or not a UPC-A arrives zero-padded."""
        if not _is_digits(barcode):
            return None
        return self._by_barcode.get(_gtin_key(barcode))

    def by_plu(self, plu: str) -> CatalogItem | None:
        """Find by scale PLU, ignoring the zero padding a barcode field adds."""
        if not _is_digits(plu):
            return None
        return self._by_plu.get(_plu_key(plu))

    def __len__(self) -> int:
        return len(self._by_sku)

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self._by_sku.values())

    def find(self, text: str) -> list[CatalogItem]:
        """Items whose names, SKU or barcode contain `text`, ignoring case, in catalog order.

        Capped at 50 because a price check wants a short list to pick from, not
        the whole store.
        """
        needle = text.strip().casefold()
        if not needle:
            return []
        found: list[CatalogItem] = []
        for item in self._by_sku.values():
            fields = (item.name_zh, item.name_en, item.sku, item.barcode or "")
            if any(needle in field.casefold() for field in fields):
                found.append(item)
                if len(found) == _MAX_FIND_RESULTS:
                    break
        return found
