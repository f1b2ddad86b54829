"""Receipt text: columns line up by display width, for Chinese and English alike."""

from __future__ import annotations

from pos.domain.sale import SaleRecord, SoldLine, TaxLine, TenderLine
from receipts.layout import cell_width, clip, spread, wrap
from receipts.sale_receipt import StoreHeader
from receipts.text import receipt_lines
from receipts.words import format_rate

STORE = StoreHeader("演示便利店 Demo Mart", "上海市静安区南京西路 1 号", "91310000MA1DEMO00X")


def sale(lines: tuple[SoldLine, ...]) -> SaleRecord:
    total = sum(line.net for line in lines)
    return SaleRecord(
        sale_id="s1", receipt_seq=7, receipt_no="T01-000007", cashier="101", shift_id=None,
        lines=lines, item_count=len(lines), subtotal=total, discount_total=0, total=total,
        taxes=(TaxLine(1300, total, 115),),
        payments=(TenderLine("p1", "cash", total, 5000, 5000 - total),),
        change=5000 - total, ts="2026-11-23T09:15:00.000Z", device_id="T01",
    )  # fmt: skip


def line(no: int, zh: str, en: str, price: int) -> SoldLine:
    return SoldLine(no, str(no), None, zh, en, "c", 1, None, price, price, 0, price, 1300)


def test_cell_width_counts_wide_characters_twice() -> None:
    assert cell_width("abc") == 3
    assert cell_width("农夫山泉") == 8
    assert cell_width("ａ") == 2  # full-width Latin
    assert cell_width("e\u0301") == 1  # combining accent takes no cell


def test_clip_and_wrap_never_split_a_wide_character_across_the_edge() -> None:
    assert clip("农夫山泉", 5) == "农夫"
    assert wrap("农夫山泉饮用天然水", 5) == ["农夫", "山泉", "饮用", "天然", "水"]


def test_spread_right_aligns_whatever_the_script() -> None:
    assert cell_width(spread("农夫山泉", "2.00", 20)) == 20
    assert spread("Water", "2.00", 12) == "Water   2.00"


def test_every_receipt_line_fits_the_paper_and_amounts_share_a_column() -> None:
    record = sale((line(1, "农夫山泉饮用天然水 550ml", "Water", 200), line(2, "", "Oreo", 950)))
    for width_mm, columns in ((58, 32), (80, 48)):
        for lang in ("zh-CN", "en"):
            lines = receipt_lines(record, STORE, width_mm=width_mm, lang=lang)
            assert all(cell_width(text) <= columns for text in lines)
            amount_rows = [text for text in lines if text.endswith(("2.00", "9.50", "11.50"))]
            assert amount_rows
            assert all(cell_width(text) == columns for text in amount_rows)


def test_copy_is_marked_and_change_is_shown() -> None:
    lines = receipt_lines(sale((line(1, "水", "Water", 200),)), STORE, copy=True, lang="en")
    assert any("COPY" in text for text in lines)
    assert any(text.startswith("Change") and text.endswith("48.00") for text in lines)


def test_format_rate_uses_no_floats() -> None:
    assert [format_rate(bp) for bp in (1300, 650, 0, 1)] == ["13%", "6.5%", "0%", "0.01%"]
