"""The sale receipt document: what it says, in which style, for both papers and languages."""

from __future__ import annotations

import pytest
from receipt_helpers import MIXED_SALE, SHANGHAI, STORE, sale_of, sold

from receipts.document import Columns, Cut, Image, Line, QrCode, Rule, Style
from receipts.escpos import Align
from receipts.layout import cell_width
from receipts.render_text import render_text
from receipts.sale_receipt import RECEIPT_CODE_PREFIX, StoreHeader, sale_receipt
from receipts.words import words

PAPERS = pytest.mark.parametrize(("width_mm", "columns"), [(58, 32), (80, 48)])
LANGS = pytest.mark.parametrize("lang", ["zh-CN", "en"])


@PAPERS
@LANGS
def test_every_line_fits_and_every_amount_ends_in_the_last_column(
    width_mm: int, columns: int, lang: str
) -> None:
    document = sale_receipt(MIXED_SALE, STORE, width_mm=width_mm, lang=lang, zone=SHANGHAI)
    lines = render_text(document)
    assert all(cell_width(line) <= columns for line in lines)
    amounts = ("6.00", "4.50", "14.81", "6.50", "-1.00", "31.81", "30.81", "100.00", "69.19")
    rows = [line for line in lines if line.endswith(amounts)]
    assert len(rows) == len(amounts) + 1  # the discount shows on its line and in the totals
    assert {cell_width(row) for row in rows} == {columns}


@PAPERS
def test_chinese_and_english_labels_put_their_amounts_in_the_same_cells(
    width_mm: int, columns: int
) -> None:
    chinese = render_text(sale_receipt(MIXED_SALE, STORE, width_mm=width_mm, lang="zh-CN"))
    english = render_text(sale_receipt(MIXED_SALE, STORE, width_mm=width_mm, lang="en"))
    for label_zh, label_en, amount in (("小计", "Subtotal", "31.81"), ("找零", "Change", "69.19")):
        row_zh = next(line for line in chinese if line.startswith(label_zh))
        row_en = next(line for line in english if line.startswith(label_en))
        start_zh = cell_width(row_zh[: row_zh.index(amount)])
        assert start_zh == cell_width(row_en[: row_en.index(amount)]) == columns - len(amount)


@LANGS
def test_the_receipt_says_who_when_where_and_how_much(lang: str) -> None:
    said = words(lang)
    text = "\n".join(render_text(sale_receipt(MIXED_SALE, STORE, lang=lang, zone=SHANGHAI)))
    for expected in (
        STORE.name,
        STORE.address,
        STORE.tax_id,
        f"{said['receipt']} T01-000123",
        "T01",
        f"{said['cashier']} 101",
        "2026-11-23 09:15",  # 01:15 UTC in Shanghai
        "  3 x 2.00",
        "  1.234kg x 12.00/kg",
        f"{said['tax']} 9%",
        f"{said['tax']} 13%",
        said["cash"],
        said["change"],
        said["thanks"],
    ):
        assert expected in text, expected
    assert ("Nongfu Spring" in text) == (lang == "en")
    assert "Master Kong" in text  # no Chinese name: the English one stands in


def test_a_long_name_wraps_at_a_word_in_english_and_anywhere_in_chinese() -> None:
    english = render_text(sale_receipt(MIXED_SALE, STORE, width_mm=58, lang="en"))
    assert "Master Kong Shrimp & Fish Cake" in english
    assert "Noodles, Cup" in english
    name = "超长的商品名称" * 4
    long_sale = sale_of(sold(1, name, "Long", 100))
    chinese = render_text(sale_receipt(long_sale, STORE, width_mm=58))
    start = chinese.index(name[:16])
    assert chinese[start : start + 3] == [name[:16], name[16:], "  1 x 1.00                  1.00"]


def test_the_name_and_total_stand_out_and_the_header_is_centred() -> None:
    blocks = sale_receipt(MIXED_SALE, STORE).blocks
    assert blocks[0] == Line(STORE.name, Style(bold=True, double=True, align=Align.CENTER))
    assert blocks[1].style.align is Align.CENTER  # type: ignore[union-attr]
    total = next(block for block in blocks if isinstance(block, Columns) and block.left == "合计")
    assert total.right == "30.81"
    assert total.style == Style(bold=True, double=True)


def test_the_qr_code_opens_the_sale_for_a_return() -> None:
    blocks = sale_receipt(MIXED_SALE, STORE, lang="en").blocks
    codes = [block for block in blocks if isinstance(block, QrCode)]
    assert codes == [QrCode(RECEIPT_CODE_PREFIX + "T01-000123", caption=words("en")["returns"])]
    assert RECEIPT_CODE_PREFIX == "R1:"  # what pos.domain.scan recognises as a receipt
    assert "[QR R1:T01-000123]" in "\n".join(render_text(sale_receipt(MIXED_SALE, STORE)))


@LANGS
def test_only_a_reprint_says_copy(lang: str) -> None:
    marker = f"*** {words(lang)['copy']} ***"
    original = render_text(sale_receipt(MIXED_SALE, STORE, lang=lang))
    reprint = render_text(sale_receipt(MIXED_SALE, STORE, lang=lang, copy=True))
    assert not any(marker in line for line in original)
    assert [line.strip() for line in reprint if "COPY" in line] == [marker]
    assert len(reprint) == len(original) + 1


def test_extra_blocks_go_after_the_payment_and_before_the_thanks() -> None:
    member = (Rule(), Columns("会员 Member 8888", "+31 pts"))
    blocks = sale_receipt(MIXED_SALE, STORE, extra=member).blocks
    start = blocks.index(member[1]) - 1
    assert blocks[start : start + 2] == member
    assert isinstance(blocks[start - 1], QrCode)
    assert blocks[-2] == Line(words("zh-CN")["thanks"], Style(align=Align.CENTER))
    assert blocks[-1] == Cut()


def test_a_store_logo_is_printed_first() -> None:
    logo = Image(16, (b"\xff\xff",) * 8)
    store = StoreHeader(STORE.name, STORE.address, STORE.tax_id, logo)
    document = sale_receipt(MIXED_SALE, store)
    assert document.blocks[0] is logo
    assert render_text(document)[0].strip() == "[logo]"
    assert not any(isinstance(block, Image) for block in sale_receipt(MIXED_SALE, STORE).blocks)


def test_a_language_without_words_gets_english() -> None:
    assert words("fr") == words("en")
    assert words("zh-CN")["total"] == "合计"


def test_a_sale_without_discount_or_change_prints_neither() -> None:
    exact = sale_of(sold(1, "水", "Water", 200), cash=200)
    text = render_text(sale_receipt(exact, STORE, lang="en"))
    assert not any(line.startswith(("Discount", "Change")) for line in text)
