"""A document as the ESC/POS bytes of one print job.

Rules the bytes follow:

- A job starts from a known state whatever the printer was left in: initialise
  (`ESC @`), code table 0 (`ESC t 0`), Chinese mode off (`FS .`).
- Text is laid out by `render_text.printed`, so every printed line is a line of the
  text rendering; each ends with LF. Style commands are sent only when the style
  changes: alignment, bold, underline (`ESC -`, and `FS -` in Chinese mode), double
  size (`GS !`, and `FS !` in Chinese mode). A Columns row is spread over the cells
  its style has, half the columns at double size.
- Control characters never reach the printer: `layout.printable` has turned C0 (ESC,
  GS, FS, DLE, ...), DEL and C1 into "?" and dropped format characters before the
  text gets here; what remains is ASCII or GB18030 two-byte codes, whose bytes are all
  0x20 or above.
- ASCII text is sent as is. With `chinese_mode`, a line holding anything else is
  sent inside `FS &` ... `FS .` encoded GB18030; a character GB18030 has only as a
  four-byte code (printer fonts lack them: emoji, rare CJK, "¥" U+00A5) becomes one
  "?" per cell it takes, so the columns stay put. Without `chinese_mode`, every
  non-ASCII character becomes "?" the same way.
- A QR code is `GS ( k` (model 2, error correction M) centred, or, when the profile
  says the printer lacks it, the same symbol drawn by `render_png.qr_image` sent as a
  raster image, its modules made smaller if the paper is too narrow for them (a
  native symbol too wide for the paper is the printer's to refuse). Barcodes are
  `GS k` format B, centred, digits below.
- Raster images (`GS v 0`) are centred by the bytes themselves (each row is the
  paper's full width), since not every printer aligns rasters, and go in bands of
  `RASTER_BAND` rows, which small printer buffers take whole.
- The job ends with a partial cut where the document has its Cut.

A QR code or barcode the commands cannot carry (too long, not ASCII) raises the
ValueError of `receipts.escpos`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import assert_never

from PIL import Image as Pil

from receipts import escpos
from receipts.document import Barcode, Cut, Document, Feed, Image, QrCode, Style
from receipts.escpos import Align
from receipts.layout import cell_width
from receipts.render_png import image_of, paper_dots, qr_image
from receipts.render_text import Row, printed, room

RASTER_BAND = 128
"""Rows of a raster image sent in one `GS v 0`."""

_CENTRED = Style(align=Align.CENTER)
_CHINESE_ON, _CHINESE_OFF = escpos.chinese(True), escpos.chinese(False)


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """What a printer model can do; the paper width comes from the document."""

    native_qr: bool = True
    """It prints QR codes itself (`GS ( k`); otherwise they go as raster images."""
    chinese_mode: bool = True
    """It has a GB18030 font behind `FS &`; otherwise non-ASCII prints as "?"."""


class _Substitutes(dict[int, str]):
    """A `str.translate` table: characters the printer lacks become "?" per cell."""

    def __init__(self, prints: Callable[[str], bool]) -> None:
        super().__init__()
        self._prints = prints

    def __missing__(self, code: int) -> str:
        char = chr(code)
        shown = char if self._prints(char) else "?" * cell_width(char)
        self[code] = shown
        return shown


_ASCII_ONLY = _Substitutes(str.isascii)
_GB18030_TWO_BYTE = _Substitutes(lambda char: len(char.encode("gb18030", "ignore")) in (1, 2))


def render_escpos(doc: Document, profile: PrinterProfile = PrinterProfile()) -> bytes:
    """The job that prints `doc` on a printer like `profile` (rules in the module doc)."""
    job = _Job(profile, doc.columns)
    for item in printed(doc):
        match item:
            case Row():
                job.row(item)
            case QrCode(data, module) if profile.native_qr:
                job.style(_CENTRED)
                job.parts.append(escpos.qr(data.encode("utf-8"), module))
            case QrCode(data, module):
                job.raster(qr_image(data, module, paper_dots(doc.columns)))
            case Barcode(symbology, data):
                job.style(_CENTRED)
                job.parts.append(escpos.barcode(symbology, data))
            case Image():
                job.raster(image_of(item))
            case Feed(count):
                job.parts.append(escpos.feed(count))
            case Cut():
                job.parts.append(escpos.cut())
            case _:
                assert_never(item)
    return b"".join(job.parts)


class _Job:
    """The bytes so far, and the style the printer is in after them."""

    def __init__(self, profile: PrinterProfile, columns: int) -> None:
        self.profile = profile
        self.columns = columns
        self.parts = [escpos.init(), escpos.code_table(0), escpos.chinese(False)]
        self.current = Style()  # what ESC @ leaves

    def style(self, wanted: Style) -> None:
        now, chinese = self.current, self.profile.chinese_mode
        if wanted == now:
            return
        if wanted.align != now.align:
            self.parts.append(escpos.align(wanted.align))
        if wanted.bold != now.bold:
            self.parts.append(escpos.bold(wanted.bold))
        if wanted.underline != now.underline:
            self.parts.append(escpos.underline(wanted.underline))
            if chinese:
                self.parts.append(escpos.chinese_underline(wanted.underline))
        if wanted.double != now.double:
            self.parts.append(escpos.size(2, 2) if wanted.double else escpos.size())
            if chinese:
                self.parts.append(escpos.chinese_size(wanted.double))
        self.current = wanted

    def row(self, row: Row) -> None:
        if row.style is not self.current:
            self.style(row.style)
        self.parts.append(self._encode(row.line(room(self.columns, row.style))))

    def _encode(self, text: str) -> bytes:
        """The line's bytes, ending with LF."""
        if text.isascii():
            return text.encode("ascii") + b"\n"
        if not self.profile.chinese_mode:
            return text.translate(_ASCII_ONLY).encode("ascii") + b"\n"
        encoded = text.encode("gb18030")
        # Each ASCII character takes one byte and every other two, unless some took four.
        if len(encoded) + len(text.encode("ascii", "ignore")) != 2 * len(text):
            encoded = text.translate(_GB18030_TWO_BYTE).encode("gb18030")
        return _CHINESE_ON + encoded + _CHINESE_OFF + b"\n"

    def raster(self, picture: Pil.Image) -> None:
        width = paper_dots(self.columns)
        paper = Pil.new("L", (width, picture.height), 255)
        paper.paste(picture, ((width - picture.width) // 2, 0))
        packed = paper.convert("1", dither=Pil.Dither.NONE).tobytes("raw", "1;I")
        row_bytes = width // 8
        rows = [packed[start : start + row_bytes] for start in range(0, len(packed), row_bytes)]
        self.style(Style())
        for band in range(0, len(rows), RASTER_BAND):
            self.parts.append(escpos.raster(width, rows[band : band + RASTER_BAND]))
