"""A member's sale receipt: the promotions taken off, the member and their points, the
card on joining, and each coupon the sale issued as a QR code, on both papers and in
both languages; a sale without member prints as it always did."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from receipt_helpers import (
    CARD_CODE,
    GIFT_CODE,
    MIXED_SALE,
    SHANGHAI,
    STORE,
    WELCOME_CODE,
    decoded,
    member_sale,
    raster_picture,
    walk,
)

from pos.domain.codes import MAX_CODE_LENGTH
from receipts.document import Columns, Line, QrCode, Style
from receipts.escpos_parse import QrModuleSize, QrStore, parse
from receipts.layout import cell_width
from receipts.render_escpos import PrinterProfile, render_escpos
from receipts.render_png import paper_dots, render_png, save_png
from receipts.render_text import render_text
from receipts.sale_receipt import RECEIPT_CODE_PREFIX, sale_receipt
from receipts.words import words

PAPERS = pytest.mark.parametrize(("width_mm", "columns"), [(58, 32), (80, 48)])
LANGS = pytest.mark.parametrize("lang", ["zh-CN", "en"])
RECEIPT_CODE = RECEIPT_CODE_PREFIX + "T01-000123"
ALL_CODES = [RECEIPT_CODE, CARD_CODE, WELCOME_CODE, GIFT_CODE]
"""The receipt's own code, the new member's card, then the coupons in issued order."""


def text_of(width_mm: int = 80, lang: str = "zh-CN", *, enrolled: bool = True) -> list[str]:
    sale = member_sale(enrolled=enrolled)
    return render_text(sale_receipt(sale, STORE, width_mm=width_mm, lang=lang, zone=SHANGHAI))


def row(lines: list[str], label: str) -> str:
    """The one line that is `label`, spaces and a value (not a longer label's line)."""
    (found,) = (
        line
        for line in lines
        if line.startswith(f"{label} ") and len(line[len(label) :].split()) == 1
    )
    return found


@PAPERS
@LANGS
def test_the_text_shows_promotions_member_points_and_coupons(
    width_mm: int, columns: int, lang: str
) -> None:
    said = words(lang)
    lines = text_of(width_mm, lang)
    text = "\n".join(lines)
    assert all(cell_width(line) <= columns for line in lines)
    # The promotions: a heading, then each name and what it took off.
    assert said["savings"] in lines
    tier = "银卡会员折扣" if lang == "zh-CN" else "Silver member discount"
    coupon = "新客满20减10" if lang == "zh-CN" else "10.00 off your first 20.00"
    assert row(lines, f"  {tier}").endswith(" -2.73")
    assert f"  {coupon}" in text  # whole, on its own line where it does not fit beside
    assert any(line.endswith(" -10.00") for line in lines[lines.index(said["savings"]) :])
    # The points tender has a label of its own, like cash.
    assert row(lines, said["points"]).endswith(" 5.00")
    assert row(lines, said["cash"]).endswith(" 20.00")
    # The member.
    assert [line.strip() for line in lines].count(said["welcome"]) == 1
    assert row(lines, said["member_no"]).endswith(" T01M000042")
    assert row(lines, said["tier"]).endswith(" 银卡" if lang == "zh-CN" else " Silver")
    assert row(lines, said["phone"]).endswith(" 138****5678")
    assert row(lines, said["points_earned"]).endswith(" +9")
    assert row(lines, said["points_redeemed"]).endswith(" -50")
    assert row(lines, said["points_balance"]).endswith(" 1209")
    # The coupons: name, terms, last day, and which one is for a friend.
    for name_zh, name_en, terms in (
        ("新人专享 满50减10", "Welcome: 10 off 50", "10.00 off on 50.00+"),
        ("好友礼券 满30减8", "Friend gift: 8 off 30", "8.00 off on 30.00+"),
    ):
        assert f"{said['coupon']} {name_zh if lang == 'zh-CN' else name_en}" in lines
        assert terms in lines
    valid = [line for line in lines if line.startswith(said["valid_until"])]
    assert valid == [valid[0]] * 2
    assert valid[0].endswith(" 2026-12-31")
    assert [line.strip() for line in lines].count(said["for_friend"]) == 1
    # Every amount and value row ends in the last column, whatever the script.
    for label in ("points", "member_no", "tier", "points_balance"):
        assert cell_width(row(lines, said[label])) == columns
    assert cell_width(valid[0]) == columns
    # Four QR codes: the receipt's, the card, and one a coupon, each with its caption.
    codes = [line.strip() for line in lines if line.strip().startswith("[QR ")]
    assert len(codes) == 4
    assert [code[4:7] for code in codes] == ["R1:", "M1:", "C1:", "C1:"]
    assert text.count(said["member_card"]) == 1
    assert text.count(said["use_coupon"]) == 2


def test_the_blocks_come_in_order_and_the_friend_line_is_on_the_gift_coupon() -> None:
    said = words("en")
    blocks = sale_receipt(member_sale(), STORE, lang="en").blocks
    codes = [block for block in blocks if isinstance(block, QrCode)]
    assert [code.data for code in codes] == ALL_CODES
    assert [code.caption for code in codes] == [
        said["returns"],
        said["member_card"],
        said["use_coupon"],
        said["use_coupon"],
    ]
    lines = [block.text for block in blocks if isinstance(block, Line)]
    assert lines.index(said["savings"]) < lines.index(said["welcome"])
    friend = lines.index(said["for_friend"])
    assert lines[friend - 2] == "Coupon Friend gift: 8 off 30"
    total = next(block for block in blocks if isinstance(block, Columns) and block.left == "TOTAL")
    assert blocks.index(total) < blocks.index(Line(said["savings"], Style(bold=True)))


@PAPERS
@LANGS
def test_the_printer_and_the_text_break_lines_at_the_same_places(
    width_mm: int, columns: int, lang: str
) -> None:
    document = sale_receipt(member_sale(), STORE, width_mm=width_mm, lang=lang, zone=SHANGHAI)
    shown = [line for line in render_text(document) if not line.strip().startswith("[QR ")]
    printed = walk(render_escpos(document)).lines
    assert [" ".join(line.split()) for line in printed] == [
        " ".join(line.split()) for line in shown
    ]


@pytest.mark.parametrize("width_mm", [58, 80])
def test_escpos_has_the_receipt_code_the_card_and_one_qr_a_coupon(width_mm: int) -> None:
    data = render_escpos(sale_receipt(member_sale(), STORE, width_mm=width_mm))
    commands = parse(data)  # strict: every byte a documented command
    stored = [command.data for command in commands if isinstance(command, QrStore)]
    assert stored == [code.encode("ascii") for code in ALL_CODES]
    assert not walk(data).named("raster")


@pytest.mark.parametrize("width_mm", [58, 80])
def test_a_native_symbol_and_its_quiet_zone_fit_the_paper(width_mm: int) -> None:
    # The longest code a till signs takes a version 11 symbol: 61 modules, 69 with the
    # quiet zone, 414 dots at the receipt code's 6 a module: too wide for 58 mm (384).
    longest = "C1:" + "x" * (MAX_CODE_LENGTH - 3)
    coupon = replace(member_sale().coupons_issued[0], code=longest)
    sale = replace(member_sale(), coupons_issued=(coupon,))
    commands = parse(render_escpos(sale_receipt(sale, STORE, width_mm=width_mm)))
    modules = [command.dots for command in commands if isinstance(command, QrModuleSize)]
    assert modules == [6, 6, {58: 5, 80: 6}[width_mm]]  # receipt code, card, coupon
    assert modules[-1] * 69 <= paper_dots({58: 32, 80: 48}[width_mm])


@pytest.mark.parametrize("width_mm", [58, 80])
def test_without_native_qr_every_code_is_a_raster_that_decodes(width_mm: int) -> None:
    document = sale_receipt(member_sale(), STORE, width_mm=width_mm)
    job = walk(render_escpos(document, PrinterProfile(native_qr=False)))
    assert not job.named("qr")
    assert sorted(text for _, text in decoded(raster_picture(job))) == sorted(ALL_CODES)


@pytest.mark.parametrize("width_mm", [58, 80])
def test_the_png_preview_codes_read_back(width_mm: int, tmp_path: Path) -> None:
    document = sale_receipt(member_sale(), STORE, width_mm=width_mm, lang="zh-CN")
    save_png(document, tmp_path / "member.png")
    assert sorted(text for _, text in decoded(render_png(document))) == sorted(ALL_CODES)


@LANGS
def test_a_returning_member_gets_points_but_no_card_and_no_welcome(lang: str) -> None:
    said = words(lang)
    lines = text_of(lang=lang, enrolled=False)
    assert not any(said["welcome"] in line or said["member_card"] in line for line in lines)
    assert row(lines, said["points_balance"]).endswith(" 1209")
    blocks = sale_receipt(member_sale(enrolled=False), STORE, lang=lang).blocks
    codes = [block.data for block in blocks if isinstance(block, QrCode)]
    assert codes == [RECEIPT_CODE, WELCOME_CODE, GIFT_CODE]
    commands = parse(render_escpos(sale_receipt(member_sale(enrolled=False), STORE)))
    stored = [command.data for command in commands if isinstance(command, QrStore)]
    assert stored == [code.encode("ascii") for code in codes]


def test_no_points_redeemed_prints_no_points_used_line() -> None:
    sale = member_sale(enrolled=False)
    assert sale.member is not None
    quiet = replace(sale, member=replace(sale.member, points_redeemed=0))
    lines = render_text(sale_receipt(quiet, STORE, lang="en"))
    assert not any(line.startswith(words("en")["points_redeemed"]) for line in lines)
    assert row(lines, "Points earned").endswith(" +9")


@LANGS
def test_a_sale_without_member_promotions_or_coupons_prints_none_of_them(lang: str) -> None:
    said = words(lang)
    assert MIXED_SALE.member is None
    assert not MIXED_SALE.promotions
    assert not MIXED_SALE.coupons_issued
    document = sale_receipt(MIXED_SALE, STORE, lang=lang)
    text = "\n".join(render_text(document))
    for key in ("savings", "welcome", "member_no", "points_balance", "coupon", "valid_until"):
        assert said[key] not in text, key
    assert [block for block in document.blocks if isinstance(block, QrCode)] == [
        QrCode(RECEIPT_CODE, caption=said["returns"])
    ]


def test_a_name_only_in_the_other_language_stands_in() -> None:
    sale = member_sale()
    assert sale.member is not None
    coupon = replace(sale.coupons_issued[0], name_zh="")
    english_only = replace(sale, member=replace(sale.member, tier_zh=""), coupons_issued=(coupon,))
    lines = render_text(sale_receipt(english_only, STORE, lang="zh-CN"))
    assert row(lines, "会员等级").endswith(" Silver")
    assert "优惠券 Welcome: 10 off 50" in lines
