"""The store QR drawn in text: read back by a QR decoder from a picture of the very
characters the modal shows, the way a phone reads it from the screen."""

from __future__ import annotations

import pytest
import zxingcpp
from support import MODULES, picture

from receipts.qr_text import QUIET_ZONE, half_blocks, qr_matrix, qr_text


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
