"""The store QR drawn in text: read back by a QR decoder from a picture of the very
characters the modal shows, the way a phone reads it from the screen."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from pos.tui.screens.store_qr import QUIET_ZONE, half_blocks, qr_matrix, qr_text

# (top module dark, bottom module dark) of each character, black on white.
MODULES = {"█": (True, True), "▀": (True, False), "▄": (False, True), " ": (False, False)}
# Screen pixels a module: a character cell is 1 module wide and 2 high.
SCALE = 6


def picture(lines: list[str]) -> Image.Image:
    """The text as a terminal shows it: each character two square modules, one over
    the other, dark ink on a white background."""
    rows: list[list[bool]] = []
    for line in lines:
        pairs = [MODULES[char] for char in line]
        rows.append([top for top, _bottom in pairs])
        rows.append([bottom for _top, bottom in pairs])
    width, height = len(rows[0]), len(rows)
    dots = bytes(0 if dark else 255 for row in rows for dark in row)
    image = Image.frombytes("L", (width, height), dots)
    return image.resize((width * SCALE, height * SCALE), Image.Resampling.NEAREST)


@pytest.mark.parametrize(
    "code_url",
    [
        "weixin://wxpay/bizpayurl?pr=Ab3dE5f",  # the sandbox's (and the gateway's) form
        "weixin://wxpay/bizpayurl?pr=" + "x" * 60,  # a longer one: a bigger symbol
    ],
)
def test_the_half_block_text_decodes_back_to_the_code_url(code_url: str) -> None:
    lines = qr_text(code_url)

    (result,) = zxingcpp.read_barcodes(picture(lines))

    assert result.format is zxingcpp.BarcodeFormat.QRCode
    assert result.text == code_url


def test_the_text_keeps_the_quiet_zone_and_the_symbol_square() -> None:
    matrix = qr_matrix("weixin://wxpay/bizpayurl?pr=Ab3dE5f")
    lines = half_blocks(matrix)
    side = len(matrix)

    assert all(len(row) == side for row in matrix)
    assert {len(line) for line in lines} == {side}
    assert len(lines) == (side + 1) // 2  # an odd row count ends on a light half
    assert set("".join(lines)) <= set(MODULES)
    # Light all round: the first and last QUIET_ZONE modules of every side.
    for row in matrix[:QUIET_ZONE] + matrix[-QUIET_ZONE:]:
        assert not any(row)
    for row in matrix:
        assert not any(row[:QUIET_ZONE])
        assert not any(row[-QUIET_ZONE:])
    assert lines[-1].strip() == ""  # the padded half row is light too
