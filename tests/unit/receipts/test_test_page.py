"""The technician's test page: every style, the codes, and columns that line up."""

from __future__ import annotations

import pytest
from receipt_helpers import walk

from receipts.document import Barcode, Columns, Line, QrCode, Style
from receipts.escpos import Align
from receipts.layout import cell_width
from receipts.render_escpos import PrinterProfile, render_escpos
from receipts.render_text import render_text
from receipts.test_page import TEST_EAN13
from receipts.test_page import test_page as build_test_page

PAPERS = pytest.mark.parametrize(("width_mm", "columns"), [(58, 32), (80, 48)])


@PAPERS
def test_the_mixed_width_rows_end_in_the_last_column(width_mm: int, columns: int) -> None:
    page = build_test_page(width_mm, "TM-T20", printed_at="2026-11-23 09:15")
    lines = render_text(page)
    assert all(cell_width(line) <= columns for line in lines)
    rows = [line for line in lines if line.startswith(("苹果 Apple", "Apple 苹果", "ＡＢＣ"))]
    assert len(rows) == 3
    assert {cell_width(row) for row in rows} == {columns}
    assert str(columns % 10) == next(line for line in lines if line.startswith("1234"))[-1]


@PAPERS
def test_it_shows_every_style_and_both_codes(width_mm: int, columns: int) -> None:
    blocks = build_test_page(width_mm, "TM-T20", printed_at="09:15").blocks
    styles = {block.style for block in blocks if isinstance(block, Line | Columns)}
    assert {Style(bold=True), Style(underline=True), Style(double=True)} <= styles
    assert {style.align for style in styles} == set(Align)
    assert Barcode("EAN-13", TEST_EAN13) in blocks
    assert any(isinstance(block, QrCode) for block in blocks)
    digits = [int(digit) for digit in TEST_EAN13]
    assert (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10 == 0  # the check digit holds


@pytest.mark.parametrize("profile", [PrinterProfile(), PrinterProfile(False, False)])
def test_it_prints_on_any_profile(profile: PrinterProfile) -> None:
    job = walk(render_escpos(build_test_page(58, "generic", printed_at="09:15"), profile))
    assert {"bold", "underline", "size", "align", "barcode", "cut"} <= {n for n, _ in job.commands}
    assert ("qr" in {name for name, _ in job.commands}) == profile.native_qr
