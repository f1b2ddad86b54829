"""A document as plain text lines (the TUI preview, logs, the tests' reference), and the
line layout every rendering shares.

`printed` fits a document's text to the paper once; the text, ESC/POS and PNG
renderings all draw its rows, so they break lines at the same places.
"""

from __future__ import annotations

from typing import NamedTuple, assert_never

from receipts.document import (
    PLAIN,
    Barcode,
    Columns,
    Cut,
    Document,
    Feed,
    Image,
    Line,
    QrCode,
    Rule,
    Style,
)
from receipts.escpos import Align
from receipts.layout import cell_width, center, clip, printable, wrap

_CENTRED = Style(align=Align.CENTER)


class Row(NamedTuple):
    """One printed line of text, already fitted to its room (`room(columns, style)`).

    A named tuple rather than a frozen dataclass: a receipt makes dozens of rows, and a
    tuple is built several times faster.
    """

    text: str
    style: Style
    right: str | None = None
    """A Columns row's right part (the amount), which goes to the right edge."""
    cells: int = 0
    """A Columns row's cells without the gap: its text's and its right part's."""

    def line(self, width: int) -> str:
        """The row's characters `width` cells wide, a Columns row spread across them."""
        if self.right is None:
            return self.text
        return self.text + " " * (width - self.cells) + self.right


Printed = Row | QrCode | Barcode | Image | Feed | Cut
"""What goes on the paper, in order: rows of text, and the graphics and paper moves."""


def room(columns: int, style: Style) -> int:
    """Cells a line has: a double-size character takes two columns, so it has half."""
    return columns // 2 if style.double else columns


def printed(doc: Document) -> list[Printed]:
    """The document's text wrapped or clipped to fit the paper, made `printable`.

    A Line wraps (`layout.wrap`); a Columns row keeps its right part and clips its
    left one to leave a space before it; a Rule fills the line; a QR code's caption is
    centred under it.
    """
    rows: list[Printed] = []
    columns = doc.columns
    # isinstance rather than match: class patterns cost several times more a block.
    for block in doc.blocks:
        if isinstance(block, Columns):
            cells = room(columns, block.style)
            right = clip(printable(block.right), cells)
            used = cell_width(right)
            left = clip(printable(block.left), cells - used - 1)
            rows.append(Row(left, block.style, right, used + cell_width(left)))
        elif isinstance(block, Line):
            cells = room(columns, block.style)
            rows += (Row(piece, block.style) for piece in wrap(printable(block.text), cells))
        elif isinstance(block, Rule):
            char = printable(block.char) or "-"
            rows.append(Row(char * (columns // max(cell_width(char), 1)), PLAIN))
        elif isinstance(block, QrCode):
            rows.append(block)
            caption = wrap(printable(block.caption), columns) if block.caption else []
            rows += (Row(piece, _CENTRED) for piece in caption)
        else:
            rows.append(block)
    return rows


def render_text(doc: Document) -> list[str]:
    """Plain text at `doc.columns` cells a line.

    Double-size text is laid out in half the cells (as the printer prints it) and shown
    normal size, aligned across the full width; a Columns row is spread across the
    full width, so its amount sits in the amounts' column. Graphics show as a centred
    placeholder: `[QR data]`, `[EAN-13 digits]`, `[logo]`; a feed is blank lines; a cut
    shows nothing.
    """
    columns = doc.columns
    lines: list[str] = []
    for item in printed(doc):
        match item:
            case Row():
                lines.append(_aligned(item.line(columns), columns, item.style.align))
            case QrCode() | Barcode() | Image():
                lines.append(center(placeholder(item), columns))
            case Feed(count):
                lines += [""] * count
            case Cut():
                pass
            case _:
                assert_never(item)
    return lines


def placeholder(graphic: QrCode | Barcode | Image) -> str:
    """What stands for a graphic where it cannot be drawn."""
    match graphic:
        case QrCode(data):
            return f"[QR {printable(data)}]"
        case Barcode(symbology, data):
            return f"[{symbology} {printable(data)}]"
        case Image():
            return "[logo]"
        case _:
            assert_never(graphic)


def _aligned(text: str, width: int, where: Align) -> str:
    if where is Align.CENTER:
        return center(text, width)
    if where is Align.RIGHT:
        return " " * (width - cell_width(text)) + text
    return text
