"""The catalog CSV format: what `pos catalog import` reads and `pos catalog export` writes.

One product per row under a header row naming the columns of `COLUMNS`, in any
order. Prices are in yuan ("4.50") and tax rates in percent ("13", "6.5"),
because the file is edited in spreadsheets by people, not by the till.

Streams should be opened with ``newline=""`` (as the csv module asks), so that
line breaks inside quoted names survive and line numbers match the file.
"""

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TextIO, TypeVar

from pos.domain.barcodes import gtin_check_digit
from pos.domain.catalog import CatalogItem
from pos.domain.errors import MoneyError
from pos.domain.money import format_amount, parse_amount

COLUMNS: tuple[str, ...] = (
    "barcode",
    "sku",
    "name_zh",
    "name_en",
    "price",
    "tax_rate",
    "category",
    "weighed",
    "plu",
)

_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_BARCODE = re.compile(r"[0-9]{8}|[0-9]{12,13}")
# What a spreadsheet makes of a long barcode in a cell formatted as a number.
_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+")
_PLU = re.compile(r"[0-9]{5}")
# Spreadsheets with percentage-formatted cells export "13%".
_TAX_RATE = re.compile(r"(?P<whole>[0-9]{1,3})(?:\.(?P<fraction>[0-9]{1,2}))?%?")
_MAX_TAX_RATE_BP = 10_000
_FLAGS = {"": False, "0": False, "1": True, "false": False, "true": True, "no": False, "yes": True}
_REQUIRED = frozenset({"sku", "price", "tax_rate", "category"})
_BOM = "\ufeff"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in a catalog file, located the way the person editing it will look for it.

    `line` is the physical line in the file (the header is line 1); `column` is
    None when the problem is with the line as a whole.
    """

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = (
            f"line {self.line}"
            if self.column is None
            else (f"line {self.line}, column {self.column}")
        )
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """The valid items of a catalog file, and what was wrong with the rest."""

    items: tuple[CatalogItem, ...]
    errors: tuple[RowError, ...]


class _Invalid(ValueError):
    """A value that cannot be used; the message is for the person editing the file."""


class _Unreadable(Exception):
    """The CSV itself is broken from `line` on, so no later line can be trusted."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(line, message)
        self.line = line
        self.message = message


def read_catalog_csv(stream: TextIO) -> CatalogFile:
    """Read a catalog file, keeping every valid row and reporting every invalid one.

    Rows with any problem are left out of `items`, so the caller can refuse the
    whole file or import the rest; either way the errors say exactly what to fix.
    """
    records = _records(stream)
    items: list[CatalogItem] = []
    errors: list[RowError] = []
    try:
        first = next(records, None)
        if first is None:
            message = "the file is empty; the first line must be the header " + ",".join(COLUMNS)
            return CatalogFile((), (RowError(1, None, message),))
        header_line, header = first
        positions, problem = _read_header(header)
        if problem:
            return CatalogFile((), (RowError(header_line, None, problem),))
        rows = _Rows(positions)
        for line, cells in records:
            parsed = rows.parse(line, cells)
            if isinstance(parsed, CatalogItem):
                items.append(parsed)
            else:
                errors.extend(parsed)
    except _Unreadable as broken:
        errors.append(RowError(broken.line, None, broken.message))
    return CatalogFile(tuple(items), tuple(errors))


def write_catalog_csv(items: Iterable[CatalogItem], stream: TextIO) -> int:
    """Write `items` under a header row and return how many rows were written.

    Each row is read back before anything is written, so an export always
    imports as the same items: an item the format cannot carry exactly (a
    name with surrounding spaces, only one name, a price of 0.00, ...) raises
    ValueError instead of producing a file that import would refuse or change.
    """
    rows = _Rows({column: index for index, column in enumerate(COLUMNS)})
    lines: list[list[str]] = []
    for line, item in enumerate(items, start=2):
        cells = _cells(item)
        parsed = rows.parse(line, cells)
        if isinstance(parsed, CatalogItem):
            if parsed != item:
                raise ValueError(
                    f"SKU {item.sku!r} cannot be written exactly; it would read back as {parsed!r}"
                )
        else:
            problems = "; ".join(str(error) for error in parsed)
            raise ValueError(f"SKU {item.sku!r} cannot be written: {problems}")
        lines.append(cells)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(lines)
    return len(lines)


def load_demo_catalog() -> tuple[CatalogItem, ...]:
    """The demo store's products, shipped as pos/demo/catalog.csv."""
    text = resources.files("pos.demo").joinpath("catalog.csv").read_text(encoding="utf-8")
    catalog = read_catalog_csv(io.StringIO(text, newline=""))
    if catalog.errors:
        problems = "; ".join(str(error) for error in catalog.errors)
        raise RuntimeError(f"the demo catalog shipped with pos is invalid: {problems}")
    return catalog.items


def _records(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Yield each non-blank record with the physical line it starts on."""
    reader = csv.reader(stream, strict=True)
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as error:
            raise _Unreadable(start, f"the CSV cannot be read from here on ({error})") from error
        except UnicodeDecodeError as error:
            raise _Unreadable(
                start, 'the file is not UTF-8 text (a spreadsheet can save it as "CSV UTF-8")'
            ) from error
        if cells is None:
            return
        end = reader.line_num
        if start == 1 and cells:
            cells[0] = cells[0].removeprefix(_BOM)
        # Spreadsheets often leave rows of empty cells (",,,,,,,,") below the data.
        if any(cell.strip() for cell in cells):
            yield start, cells


def _read_header(cells: Sequence[str]) -> tuple[dict[str, int], str]:
    """Map each column name to its position, or explain what is wrong with the header."""
    names = [cell.strip().lower() for cell in cells]
    positions = {name: index for index, name in enumerate(names)}
    problems = []
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        problems.append("missing columns: " + ", ".join(missing))
    unknown = [repr(name) for name in names if name not in COLUMNS]
    if unknown:
        problems.append("unknown columns: " + ", ".join(unknown))
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if repeated:
        problems.append("repeated columns: " + ", ".join(repeated))
    if problems:
        problems.append("the header must name the columns " + ",".join(COLUMNS))
    return positions, "; ".join(problems)


class _Rows:
    """Parses data rows, remembering where each SKU, barcode and PLU was first used."""

    def __init__(self, positions: dict[str, int]) -> None:
        self._positions = positions
        self._first_line: dict[tuple[str, str], int] = {}

    def parse(self, line: int, cells: Sequence[str]) -> CatalogItem | list[RowError]:
        if len(cells) != len(self._positions):
            return [
                RowError(
                    line,
                    None,
                    f"has {len(cells)} values but the header has {len(self._positions)} columns",
                )
            ]
        values = {column: cells[index].strip() for column, index in self._positions.items()}
        errors: list[RowError] = []

        # A bad value gets a placeholder so that every problem in the row is found in one pass;
        # the row is discarded if any was found.
        def field(column: str, parse: Callable[[str], _T], placeholder: _T) -> _T:
            if column in _REQUIRED and not values[column]:
                errors.append(RowError(line, column, f"{column} is required"))
                return placeholder
            try:
                return parse(values[column])
            except _Invalid as problem:
                errors.append(RowError(line, column, str(problem)))
                return placeholder

        barcode = field("barcode", _barcode, None)
        sku = field("sku", _sku, "")
        name_zh = field("name_zh", _text, "")
        name_en = field("name_en", _text, "")
        price = field("price", _price, 0)
        tax_rate_bp = field("tax_rate", _tax_rate_bp, 0)
        category = field("category", _text, "")
        weighed = field("weighed", _flag, False)
        plu = field("plu", _plu, None)

        if not (values["name_zh"] or values["name_en"]):
            errors.append(
                RowError(
                    line,
                    "name_zh",
                    "name_zh and name_en are both empty; give at least one",
                )
            )
        if weighed and not values["plu"]:
            errors.append(RowError(line, "plu", "a weighed item needs its 5-digit scale PLU"))
        # The GTIN-14 form is how the catalog looks barcodes up, so a UPC-A and the same
        # code zero-padded to EAN-13 are one product.
        keys = (
            ("barcode", barcode and barcode.zfill(14), barcode),
            ("sku", sku, sku),
            ("plu", plu, plu),
        )
        for column, key, value in keys:
            if key:
                earlier = self._first_line.setdefault((column, key), line)
                if earlier != line:
                    errors.append(
                        RowError(
                            line,
                            column,
                            f"{value!r} is already used on line {earlier}",
                        )
                    )
        if errors:
            return errors
        return CatalogItem(
            sku=sku,
            barcode=barcode,
            name_zh=name_zh or name_en,
            name_en=name_en or name_zh,
            price=price,
            tax_rate_bp=tax_rate_bp,
            category=category,
            weighed=weighed,
            plu=plu,
        )


def _barcode(text: str) -> str | None:
    if not text:
        return None
    if _SCIENTIFIC.fullmatch(text):
        raise _Invalid(
            f"{text!r} is a barcode that a spreadsheet turned into a number; "
            "format the barcode column as text and enter it again"
        )
    if not _BARCODE.fullmatch(text):
        raise _Invalid(f"{text!r} is not a barcode (8, 12 or 13 digits: EAN-8, UPC-A, EAN-13)")
    expected = gtin_check_digit(text[:-1])
    if int(text[-1]) != expected:
        raise _Invalid(f"{text!r} has check digit {text[-1]}, but it should be {expected}")
    return text


def _sku(text: str) -> str:
    if not _SKU.fullmatch(text):
        raise _Invalid(
            f"{text!r} is not a SKU (up to 32 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit)"
        )
    return text


def _text(text: str) -> str:
    # Control characters would reach the screen and the receipt printer, where
    # ESC and GS start commands; a line break is the one a spreadsheet cell can hold.
    if any(char != "\n" and unicodedata.category(char) == "Cc" for char in text):
        raise _Invalid(f"{text!r} contains a control character")
    return text


def _price(text: str) -> int:
    try:
        fen = parse_amount(text)
    except MoneyError as error:
        raise _Invalid(f"{text!r} is not an amount in yuan (like 4.50)") from error
    if fen <= 0:
        raise _Invalid(f"{text!r}: the price must be more than 0.00")
    return fen


def _tax_rate_bp(text: str) -> int:
    """Percent to basis points by string arithmetic, since 6.5 % is not exact in binary."""
    match = _TAX_RATE.fullmatch(text)
    if match is None:
        raise _Invalid(
            f"{text!r} is not a tax rate in percent with at most 2 decimals (like 13 or 6.5)"
        )
    rate_bp = int(match["whole"]) * 100 + int((match["fraction"] or "").ljust(2, "0"))
    if rate_bp > _MAX_TAX_RATE_BP:
        raise _Invalid(f"{text!r} is more than 100 percent")
    return rate_bp


def _flag(text: str) -> bool:
    try:
        return _FLAGS[text.lower()]
    except KeyError:
        raise _Invalid(f"{text!r} is not 0 or 1 (true/false and yes/no also work)") from None


def _plu(text: str) -> str | None:
    if not text:
        return None
    if not _PLU.fullmatch(text):
        raise _Invalid(f"{text!r} is not a scale PLU (5 digits)")
    return text


def _cells(item: CatalogItem) -> list[str]:
    values = {
        "barcode": item.barcode or "",
        "sku": item.sku,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "price": format_amount(item.price),
        "tax_rate": _percent(item.tax_rate_bp),
        "category": item.category,
        "weighed": "1" if item.weighed else "0",
        "plu": item.plu or "",
    }
    return [values[column] for column in COLUMNS]


def _percent(rate_bp: int) -> str:
    whole, fraction = divmod(rate_bp, 100)
    return f"{whole}.{fraction:02d}".rstrip("0").rstrip(".")
