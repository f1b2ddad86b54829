"""The PNG preview: the printer's geometry, codes a scanner reads, and the styles visible."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as Pil
from receipt_helpers import MIXED_SALE, STORE, decoded

from receipts import render_png
from receipts.document import Barcode, Document, Feed, Image, Line, Style
from receipts.escpos import Align
from receipts.render_png import render_png as render
from receipts.render_png import save_png
from receipts.sale_receipt import sale_receipt
from receipts.test_page import TEST_EAN13
from receipts.test_page import test_page as build_test_page

needs_unifont = pytest.mark.skipif(
    render_png.font_path() is None,
    reason="Unifont is not installed (apt install fonts-unifont): no Chinese glyphs to draw",
)


def ink(picture: Pil.Image) -> np.ndarray:
    """True where the paper is black."""
    return np.asarray(picture) < 128


def ink_box(picture: Pil.Image) -> tuple[int, int]:
    """Width and height of the inked area."""
    rows, columns = np.nonzero(ink(picture))
    return int(columns.max() - columns.min() + 1), int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize(("width_mm", "dots"), [(58, 384), (80, 576)])
def test_the_paper_is_the_printable_width_at_8_dots_a_millimetre(width_mm: int, dots: int) -> None:
    assert render(sale_receipt(MIXED_SALE, STORE, width_mm=width_mm)).width == dots


@pytest.mark.parametrize("width_mm", [58, 80])
def test_the_receipt_qr_code_reads_back_as_the_receipt_code(width_mm: int) -> None:
    picture = render(sale_receipt(MIXED_SALE, STORE, width_mm=width_mm))
    assert decoded(picture) == [("QRCode", "R1:T01-000123")]


@pytest.mark.parametrize("width_mm", [58, 80])
def test_the_test_page_ean13_reads_back_as_its_digits(width_mm: int) -> None:
    page = build_test_page(width_mm, "TM-T20", printed_at="2026-11-23 09:15")
    picture = render(page)
    found = dict(decoded(picture))
    assert found["EAN13"] == TEST_EAN13
    assert found["QRCode"] == f"TEST:TM-T20:{width_mm}mm"


@pytest.mark.parametrize(
    ("symbology", "data", "read"),
    [("EAN-8", "96385074", ("EAN8", "96385074")),
     # UPC-A has EAN-13's bars with a leading 0, and zxing-cpp reports it so.
     ("UPC-A", "036000291452", ("EAN13", "0036000291452"))],
)  # fmt: skip
def test_other_ean_family_codes_are_drawn_too(
    symbology: str, data: str, read: tuple[str, str]
) -> None:
    assert decoded(render(Document(80, (Barcode(symbology, data),)))) == [read]


def test_code128_and_bad_digits_show_their_placeholder() -> None:
    plain = render(Document(58, (Line("[CODE128 AB-1]", Style(align=Align.CENTER)),)))
    assert np.array_equal(ink(render(Document(58, (Barcode("CODE128", "AB-1"),)))), ink(plain))
    assert not decoded(render(Document(58, (Barcode("EAN-13", "12345"),))))


@needs_unifont
def test_chinese_takes_a_full_cell_and_double_doubles_it() -> None:
    latin = ink_box(render(Document(58, (Line("H"),))))
    chinese = ink_box(render(Document(58, (Line("国"),))))
    double = ink_box(render(Document(58, (Line("国", Style(double=True)),))))
    assert latin[0] <= 12 < chinese[0] <= 24
    assert double == (chinese[0] * 2, chinese[1] * 2)


def test_bold_adds_ink_and_underline_draws_a_line() -> None:
    plain = ink(render(Document(58, (Line("Bold"),)))).sum()
    assert ink(render(Document(58, (Line("Bold", Style(bold=True)),)))).sum() > plain
    underlined = ink(render(Document(58, (Line("Bold", Style(underline=True)),))))
    assert underlined.sum() > plain
    assert (
        underlined.any(axis=1).nonzero()[0].max()
        > ink(render(Document(58, (Line("Bold"),)))).any(axis=1).nonzero()[0].max()
    )


def test_alignment_moves_the_text() -> None:
    def left_edge(align: Align) -> int:
        return int(ink(render(Document(58, (Line("x", Style(align=align)),)))).any(axis=0).argmax())

    assert left_edge(Align.LEFT) < 12 < left_edge(Align.CENTER) < 200 < left_edge(Align.RIGHT)


def test_an_image_block_is_drawn_centred() -> None:
    logo = Image(16, (b"\xff\xff",) * 16)
    picture = render(Document(58, (logo, Feed(1))))
    columns = ink(picture).any(axis=0).nonzero()[0]
    assert (columns.min(), columns.max()) == (184, 199)


@pytest.fixture
def no_unifont(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(render_png, "FONT_PATHS", (Path("/nonexistent/unifont.otf"),))
    render_png._font.cache_clear()
    yield
    render_png._font.cache_clear()


@pytest.mark.usefixtures("no_unifont")
def test_without_unifont_the_default_font_stands_in_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="receipts.render_png"):
        picture = render(sale_receipt(MIXED_SALE, STORE, lang="en"))
    assert "Unifont not found" in caplog.text
    assert picture.width == 576
    assert decoded(picture) == [("QRCode", "R1:T01-000123")]


def test_save_png_writes_a_png(tmp_path: Path) -> None:
    path = tmp_path / "receipt.png"
    save_png(sale_receipt(MIXED_SALE, STORE), path)
    with Pil.open(path) as saved:
        assert (saved.format, saved.width) == ("PNG", 576)
