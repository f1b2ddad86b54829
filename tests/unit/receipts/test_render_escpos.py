"""ESC/POS rendering: state set explicitly, Chinese as GB18030 inside FS & ... FS ., no
stray control bytes, QR native or raster, and the same lines as the text rendering."""

from __future__ import annotations

import pytest
from receipt_helpers import (
    MIXED_SALE,
    SHANGHAI,
    STORE,
    decoded,
    raster_picture,
    sale_of,
    sold,
    walk,
)

from receipts import escpos
from receipts.document import Barcode, Columns, Document, Feed, Image, Line, QrCode, Style
from receipts.escpos import Align
from receipts.render_escpos import PrinterProfile, render_escpos
from receipts.render_text import render_text
from receipts.sale_receipt import sale_receipt


def job_of(*blocks: object, width_mm: int = 58, profile: PrinterProfile | None = None) -> bytes:
    document = Document(width_mm, blocks)  # type: ignore[arg-type]
    return render_escpos(document, profile or PrinterProfile())


def test_a_job_starts_from_a_known_state() -> None:
    data = job_of(Line("x"))
    assert data.startswith(escpos.init() + escpos.code_table(0) + escpos.chinese(False))


def test_chinese_goes_inside_fs_and_as_gb18030_and_ascii_stays_outside() -> None:
    data = job_of(Line("苹果 Apple"), Line("Apple"))
    assert escpos.chinese(True) + "苹果 Apple".encode("gb18030") + escpos.chinese(False) in data
    assert data.endswith(b"\nApple\n")
    assert walk(data).lines == ["苹果 Apple", "Apple"]


def test_characters_the_printer_font_lacks_become_one_question_mark_a_cell() -> None:
    # The emoji and U+00A5 are four-byte GB18030 codes, which printer fonts do not have.
    job = walk(job_of(Line("苹果😀x¥1"), Columns("可乐😀", "3.00")))
    assert job.lines == ["苹果??x?1", "可乐??" + " " * 22 + "3.00"]


def test_without_chinese_mode_everything_beyond_ascii_is_a_question_mark() -> None:
    data = job_of(Line("苹果 Apple é"), profile=PrinterProfile(chinese_mode=False))
    assert escpos.chinese(True) not in data
    assert walk(data).lines == ["???? Apple ?"]


def test_a_product_name_cannot_send_commands_to_the_printer() -> None:
    evil = sale_of(sold(1, "可乐\x1b@\x1dVB\x00\x10\x14\x01\x00\x05", "Cola\x1bp\x00", 300))
    for lang in ("zh-CN", "en"):
        data = render_escpos(sale_receipt(evil, STORE, lang=lang))
        job = walk(data)  # fails on any control byte outside a documented command
        assert [name for name, _ in job.commands].count("init") == 1
        assert data.count(escpos.init()) == 1
        assert job.named("cut") == [b"\x00"]
        assert not job.named("drawer")
        assert any(line.startswith(("可乐?@?VB", "Cola?p?")) for line in job.lines)


def test_style_commands_are_sent_when_the_style_changes() -> None:
    job = walk(
        job_of(
            Line("Title", Style(bold=True, double=True, align=Align.CENTER)),
            Line("标题", Style(bold=True, double=True, align=Align.CENTER)),
            Line("under 下", Style(underline=True, align=Align.RIGHT)),
            Line("plain"),
        )
    )
    assert job.commands[3:] == [
        ("align", b"\x01"),
        ("bold", b"\x01"),
        ("size", b"\x11"),
        ("chinese_size", b"\x0c"),
        ("line", b""),
        ("chinese_on", b""),
        ("chinese_off", b""),
        ("line", b""),
        ("align", b"\x02"),
        ("bold", b"\x00"),
        ("underline", b"\x01"),
        ("chinese_underline", b"\x01"),
        ("size", b"\x00"),
        ("chinese_size", b"\x00"),
        ("chinese_on", b""),
        ("chinese_off", b""),
        ("line", b""),
        ("align", b"\x00"),
        ("underline", b"\x00"),
        ("chinese_underline", b"\x00"),
        ("line", b""),
    ]


def test_a_double_columns_row_fills_half_the_cells() -> None:
    job = walk(job_of(Columns("合计", "30.81", Style(double=True)), width_mm=80))
    assert job.lines == ["合计" + " " * 15 + "30.81"]  # 24 double cells = 48 columns


@pytest.mark.parametrize("width_mm", [58, 80])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_printer_and_the_text_break_lines_at_the_same_places(width_mm: int, lang: str) -> None:
    document = sale_receipt(MIXED_SALE, STORE, width_mm=width_mm, lang=lang, zone=SHANGHAI)
    shown = [line for line in render_text(document) if not line.strip().startswith("[QR ")]
    printed = walk(render_escpos(document)).lines
    assert [" ".join(line.split()) for line in printed] == [
        " ".join(line.split()) for line in shown
    ]


def test_native_qr_carries_the_receipt_code() -> None:
    job = walk(render_escpos(sale_receipt(MIXED_SALE, STORE)))
    assert b"1P0R1:T01-000123" in job.named("qr")
    assert job.named("qr")[-1] == b"1Q0"  # printed after it is stored
    assert not job.named("raster")


@pytest.mark.parametrize("width_mm", [58, 80])
def test_without_native_qr_the_code_is_a_raster_that_decodes(width_mm: int) -> None:
    profile = PrinterProfile(native_qr=False)
    job = walk(render_escpos(sale_receipt(MIXED_SALE, STORE, width_mm=width_mm), profile))
    assert not job.named("qr")
    picture = raster_picture(job)
    assert picture.width == {58: 384, 80: 576}[width_mm]
    assert decoded(picture) == [("QRCode", "R1:T01-000123")]


def test_a_big_qr_raster_shrinks_to_the_paper_and_goes_in_bands() -> None:
    # 400 bytes take a version 15 symbol, 77 modules and 8 of quiet zone: 680 dots at 8.
    job = walk(job_of(QrCode("x" * 400, module=8), profile=PrinterProfile(native_qr=False)))
    heights = [parameters[3] + 256 * parameters[4] for parameters in job.named("raster")]
    assert heights == [128, 128, 84]  # 85 modules of 4 dots: the square fits 384
    assert decoded(raster_picture(job)) == [("QRCode", "x" * 400)]


def test_an_image_is_centred_by_its_rows() -> None:
    logo = Image(16, (b"\xff\xff",) * 4)
    job = walk(job_of(logo))
    (raster,) = job.named("raster")
    assert raster[:5] == bytes([0, 48, 0, 4, 0])  # full 384-dot rows, 4 high
    assert raster[5:53] == bytes(23) + b"\xff\xff" + bytes(23)


def test_barcodes_feed_and_cut() -> None:
    data = job_of(Barcode("EAN-13", "6901234567892"), Feed(3))
    job = walk(data)
    assert job.named("barcode") == [b"C\x0d6901234567892"]
    assert job.commands[-1] == ("feed", b"\x03")
    assert render_escpos(sale_receipt(MIXED_SALE, STORE)).endswith(escpos.cut())
