"""A document as a picture of the printed paper: the receipt preview and the tests' eyes.

The picture has the printer's geometry: 8 dots a millimetre over the printable width
(576 dots on 80 mm paper, 384 on 58 mm), characters in 12x24-dot cells, 24x24 for
Chinese and other full-width ones, twice that for double size. Text comes from
`render_text.printed`, so it breaks where the printer's does. Glyphs are Unifont's;
without it, Pillow's default font stands in (no Chinese) and a warning is logged.

QR codes are real (the `qrcode` package, 4-module quiet zone), EAN-13, EAN-8 and UPC-A
bars are drawn from their digits (2-dot modules, 80 dots high, digits below, as the
printer's defaults); CODE128 shows as its placeholder `[CODE128 data]`, because its
107-pattern table buys nothing a preview needs.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import assert_never

import qrcode  # type: ignore[import-untyped]
from PIL import Image as Pil
from PIL import ImageDraw, ImageFont

from receipts.document import Barcode, Cut, Document, Feed, Image, QrCode, Style
from receipts.escpos import Align
from receipts.layout import cell_width, clip
from receipts.render_text import Row, placeholder, printed, room

_log = logging.getLogger(__name__)

CELL = (12, 24)
"""Dots of a half-width character cell, wide and high."""
LINE_DOTS = 30
"""Line pitch in dots (3.75 mm): the 24-dot cell and the gap of a printer's default spacing."""
FONT_PATHS = (
    Path("/usr/share/fonts/opentype/unifont/unifont.otf"),
    Path("/usr/share/fonts/truetype/unifont/unifont.ttf"),
    Path("/usr/share/fonts/unifont/unifont.otf"),
    Path("/usr/local/share/fonts/unifont.otf"),
)
"""Where Debian, Ubuntu, Fedora and a manual install put Unifont (fonts-unifont)."""

_INK, _PAPER, _CUT_MARK = 0, 255, 160
_CENTRED = Style(align=Align.CENTER)
_BAR_MODULE, _BAR_HEIGHT = 2, 80
_QUIET_MODULES = 4

_EAN_L = ("0001101", "0011001", "0010011", "0111101", "0100011",
          "0110001", "0101111", "0111011", "0110111", "0001011")  # fmt: skip
"""EAN left-hand odd-parity (L) patterns by digit; R is L inverted, G is R reversed."""
_EAN_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
               "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")  # fmt: skip
"""EAN-13: which left-hand digits use G, by the first (implied) digit."""
_FLIP = str.maketrans("01", "10")


def paper_dots(columns: int) -> int:
    """The printable width in dots of paper `columns` standard characters wide."""
    return columns * CELL[0]


def render_png(doc: Document) -> Pil.Image:
    """The paper as a greyscale image, black dots on white, `paper_dots` wide."""
    width = paper_dots(doc.columns)
    strips = [_strip(item, doc.columns) for item in printed(doc)]
    paper = Pil.new("L", (width, sum(strip.height for strip in strips) + LINE_DOTS), _PAPER)
    top = LINE_DOTS // 2
    for strip in strips:
        paper.paste(strip, ((width - strip.width) // 2, top))
        top += strip.height
    return paper


def save_png(doc: Document, path: Path) -> None:
    render_png(doc).save(path, format="PNG")


def font_path() -> Path | None:
    """The Unifont file this machine has, if any (the Chinese glyphs need it)."""
    return next((path for path in FONT_PATHS if path.exists()), None)


def qr_image(data: str, module: int, width: int) -> Pil.Image:
    """The QR code of `data` (error correction M) with its quiet zone, `module` dots a
    module, or fewer if that would not fit `width` dots."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=_QUIET_MODULES
    )
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    side = len(matrix)
    dots = bytes(_INK if dark else _PAPER for row in matrix for dark in row)
    scale = max(1, min(module, width // side))
    return Pil.frombytes("L", (side, side), dots).resize(
        (side * scale, side * scale), Pil.Resampling.NEAREST
    )


def image_of(block: Image) -> Pil.Image:
    """A 1-bit Image block (set bits print black) as a picture."""
    size = (block.width_dots, len(block.rows))
    return Pil.frombytes("1", size, b"".join(block.rows), "raw", "1;I").convert("L")


@cache
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_path()
    if path is None:
        _log.warning("Unifont not found in %s: previews show no Chinese", FONT_PATHS)
        return ImageFont.load_default(CELL[1])
    return ImageFont.truetype(path, CELL[1])


def _strip(item: Row | QrCode | Barcode | Image | Feed | Cut, columns: int) -> Pil.Image:
    match item:
        case Row():
            return _row(item, columns)
        case QrCode(data, module):
            return qr_image(data, module, paper_dots(columns))
        case Barcode():
            return _barcode(item, columns)
        case Image():
            return image_of(item)
        case Feed(count):
            return Pil.new("L", (1, count * LINE_DOTS), _PAPER)
        case Cut():
            return _cut(paper_dots(columns))
        case _:
            assert_never(item)


def _row(row: Row, columns: int) -> Pil.Image:
    text = row.line(room(columns, row.style))
    line = _text(text, row.style)
    if row.style.double:
        line = line.resize((line.width * 2, line.height * 2), Pil.Resampling.NEAREST)
    width = paper_dots(columns)
    strip = Pil.new("L", (width, line.height + LINE_DOTS - CELL[1]), _PAPER)
    strip.paste(line, (_left(line.width, width, row.style.align), 0))
    return strip


def _text(text: str, style: Style) -> Pil.Image:
    """One line at normal size, each character in its own cell (as a printer places it)."""
    cells = cell_width(text)
    line = Pil.new("L", (max(cells, 1) * CELL[0], CELL[1]), _PAPER)
    draw = ImageDraw.Draw(line)
    draw.fontmode = "1"  # a thermal head prints dots, not grey
    x = 0
    for char in text:
        for offset in (0, 1) if style.bold else (0,):
            draw.text((x + offset, 0), char, font=_font(), fill=_INK)
        x += cell_width(char) * CELL[0]
    if style.underline:
        draw.rectangle((0, CELL[1] - 2, x - 1, CELL[1] - 1), fill=_INK)
    return line


def _left(inner: int, outer: int, where: Align) -> int:
    if where is Align.CENTER:
        return (outer - inner) // 2
    if where is Align.RIGHT:
        return outer - inner
    return 0


def _barcode(barcode: Barcode, columns: int) -> Pil.Image:
    modules = _ean_modules(barcode.symbology, barcode.data)
    if modules is None:
        return _row(Row(clip(placeholder(barcode), columns), _CENTRED), columns)
    bars = Pil.new("L", (len(modules) * _BAR_MODULE, _BAR_HEIGHT), _PAPER)
    draw = ImageDraw.Draw(bars)
    for index, module in enumerate(modules):
        if module == "1":
            x = index * _BAR_MODULE
            draw.rectangle((x, 0, x + _BAR_MODULE - 1, _BAR_HEIGHT - 1), fill=_INK)
    digits = _text(barcode.data, Style())
    strip = Pil.new("L", (max(bars.width, digits.width), _BAR_HEIGHT + LINE_DOTS), _PAPER)
    strip.paste(bars, ((strip.width - bars.width) // 2, 0))
    strip.paste(digits, ((strip.width - digits.width) // 2, _BAR_HEIGHT))
    return strip


def _ean_modules(symbology: str, data: str) -> str | None:
    """The bars (1) and spaces (0) of an EAN-13, UPC-A or EAN-8 code; None if it is not one.

    UPC-A is an EAN-13 whose first digit is 0. The check digit is drawn as given.
    """
    lengths = {"EAN-13": 13, "UPC-A": 12, "EAN-8": 8}
    if lengths.get(symbology) != len(data) or not (data.isascii() and data.isdigit()):
        return None
    digits = [int(digit) for digit in ("0" + data if symbology == "UPC-A" else data)]
    if len(digits) == 13:
        parity, left, right = _EAN_PARITY[digits[0]], digits[1:7], digits[7:]
    else:
        parity, left, right = "LLLL", digits[:4], digits[4:]
    left_bars = "".join(
        _EAN_L[digit] if side == "L" else _inverted(_EAN_L[digit])[::-1]
        for digit, side in zip(left, parity, strict=True)
    )
    right_bars = "".join(_inverted(_EAN_L[digit]) for digit in right)
    return f"101{left_bars}01010{right_bars}101"


def _inverted(bits: str) -> str:
    return bits.translate(_FLIP)


def _cut(width: int) -> Pil.Image:
    """A dashed line where the cutter cuts, with a line of paper before it."""
    strip = Pil.new("L", (width, LINE_DOTS * 2), _PAPER)
    draw = ImageDraw.Draw(strip)
    for x in range(0, width, 12):
        draw.line((x, LINE_DOTS, x + 5, LINE_DOTS), fill=_CUT_MARK)
    return strip
