"""Each ESC/POS builder against its documented bytes (shared/reference/devices.md, section 2)."""

from __future__ import annotations

import pytest

from receipts import escpos
from receipts.escpos import Align, Status


def test_init_align_bold_underline() -> None:
    assert escpos.init() == bytes.fromhex("1B 40")
    assert escpos.align(Align.LEFT) == bytes.fromhex("1B 61 00")
    assert escpos.align(Align.CENTER) == bytes.fromhex("1B 61 01")
    assert escpos.align(Align.RIGHT) == bytes.fromhex("1B 61 02")
    assert escpos.bold(True) == bytes.fromhex("1B 45 01")
    assert escpos.bold(False) == bytes.fromhex("1B 45 00")
    assert escpos.underline(True) == bytes.fromhex("1B 2D 01")
    assert escpos.underline(False) == bytes.fromhex("1B 2D 00")


def test_size_is_width_minus_one_high_nibble_height_minus_one_low() -> None:
    assert escpos.size() == bytes.fromhex("1D 21 00")
    assert escpos.size(2, 2) == bytes.fromhex("1D 21 11")
    assert escpos.size(1, 2) == bytes.fromhex("1D 21 01")
    assert escpos.size(8, 8) == bytes.fromhex("1D 21 77")
    for width, height in ((0, 1), (1, 9)):
        with pytest.raises(ValueError, match=r"outside 1\.\.8"):
            escpos.size(width, height)


def test_feed_and_cut() -> None:
    assert escpos.feed(3) == bytes.fromhex("1B 64 03")
    with pytest.raises(ValueError, match=r"outside 0\.\.255"):
        escpos.feed(256)
    assert escpos.cut() == bytes.fromhex("1D 56 42 00")
    assert escpos.cut(24) == bytes.fromhex("1D 56 42 18")


def test_code_table_and_chinese_mode() -> None:
    assert escpos.code_table(0) == bytes.fromhex("1B 74 00")
    assert escpos.chinese(True) == bytes.fromhex("1C 26")
    assert escpos.chinese(False) == bytes.fromhex("1C 2E")
    assert escpos.chinese_size(True) == bytes.fromhex("1C 21 0C")
    assert escpos.chinese_size(False) == bytes.fromhex("1C 21 00")
    assert escpos.chinese_underline(True) == bytes.fromhex("1C 2D 01")


def test_qr_selects_model_size_and_error_correction_then_stores_and_prints() -> None:
    data = b"R1:T01-000123"
    stored = len(data) + 3
    assert escpos.qr(data, module=6, error_correction="M") == b"".join(
        (
            bytes.fromhex("1D 28 6B 04 00 31 41 32 00"),  # model 2
            bytes.fromhex("1D 28 6B 03 00 31 43 06"),  # module size 6
            bytes.fromhex("1D 28 6B 03 00 31 45 31"),  # error correction M
            bytes.fromhex(f"1D 28 6B {stored:02X} 00 31 50 30") + data,  # store
            bytes.fromhex("1D 28 6B 03 00 31 51 30"),  # print
        )
    )
    assert bytes.fromhex("1D 28 6B 03 00 31 45 33") in escpos.qr(data, error_correction="H")


def test_qr_length_is_little_endian_and_bounded() -> None:
    data = b"x" * 300
    assert bytes.fromhex("1D 28 6B 2F 01 31 50 30") + data in escpos.qr(data)
    with pytest.raises(ValueError, match=r"outside 1\.\.7089"):
        escpos.qr(b"")
    with pytest.raises(ValueError, match="module size"):
        escpos.qr(b"x", module=17)


def test_ean13_is_format_b_with_digits_below() -> None:
    assert escpos.barcode("EAN-13", "6901234567892") == (
        bytes.fromhex("1D 48 02 1D 68 50 1D 77 02 1D 6B 43 0D") + b"6901234567892"
    )
    assert escpos.barcode("CODE128", "AB-1").endswith(bytes.fromhex("1D 6B 49 06") + b"{BAB-1")
    with pytest.raises(ValueError, match="barcode type"):
        escpos.barcode("QR", "x")


def test_raster_header_gives_bytes_across_and_rows_down() -> None:
    rows = [b"\xf0\x0f"] * 3
    assert escpos.raster(16, rows) == bytes.fromhex("1D 76 30 00 02 00 03 00") + b"\xf0\x0f" * 3
    with pytest.raises(ValueError, match="every raster row"):
        escpos.raster(24, rows)


def test_drawer_pulse_on_pin_2_or_5() -> None:
    assert escpos.drawer_pulse() == bytes.fromhex("1B 70 00 32 32")  # 100 ms = 50 x 2 ms
    assert escpos.drawer_pulse(pin=5, pulse_ms=40) == bytes.fromhex("1B 70 01 14 14")
    with pytest.raises(ValueError, match="drawer pin"):
        escpos.drawer_pulse(pin=3)


def test_status_requests() -> None:
    assert [escpos.status_request(which) for which in Status] == [
        bytes.fromhex(f"10 04 0{n}") for n in (1, 2, 3, 4)
    ]
