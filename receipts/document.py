"""A printed document (receipt, report, test page) as blocks, before any rendering.

One model, three renderings: ESC/POS bytes for the printer, plain text for the
screen and logs, PNG for a visual preview. Builders say what is on the paper;
renderers decide how a given printer or screen shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from receipts.escpos import Align
from receipts.layout import COLUMNS


@dataclass(frozen=True, slots=True)
class Style:
    bold: bool = False
    double: bool = False
    """Double width and height: a double-size character takes two columns."""
    underline: bool = False
    align: Align = Align.LEFT


PLAIN = Style()


@dataclass(frozen=True, slots=True)
class Line:
    """Text on one or more lines; wrapped at the paper's width by cell width."""

    text: str
    style: Style = PLAIN


@dataclass(frozen=True, slots=True)
class Columns:
    """A label on the left and an amount on the right; the label is clipped to fit."""

    left: str
    right: str
    style: Style = PLAIN


@dataclass(frozen=True, slots=True)
class Rule:
    """A line across the paper."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class QrCode:
    """A QR code, centred (native `GS ( k`, or a raster where the printer lacks it)."""

    data: str
    module: int = 6
    """Dots per module."""
    caption: str = ""
    """Printed under the code."""


@dataclass(frozen=True, slots=True)
class Barcode:
    """A 1D barcode (EAN-13, EAN-8, UPC-A or CODE128), centred, digits below."""

    symbology: str
    data: str


@dataclass(frozen=True, slots=True)
class Image:
    """A 1-bit image (a logo): rows of width_dots / 8 bytes, most significant bit left."""

    width_dots: int
    rows: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Feed to the cutter and cut."""


Block = Line | Columns | Rule | QrCode | Barcode | Image | Feed | Cut


@dataclass(frozen=True, slots=True)
class Document:
    width_mm: int
    """58 or 80: the paper, and so the columns (32 or 48) of the standard font."""
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def columns(self) -> int:
        return COLUMNS[self.width_mm]
