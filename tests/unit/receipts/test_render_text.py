"""Plain-text rendering, and the line layout the three renderings share."""

from __future__ import annotations

from receipts.document import (
    Barcode,
    Columns,
    Cut,
    Document,
    Feed,
    Image,
    Line,
    QrCode,
    Rule,
    Style,
)
from receipts.escpos import Align
from receipts.layout import cell_width, printable, wrap
from receipts.render_text import Row, printed, render_text

DOUBLE = Style(double=True, align=Align.CENTER)


def text(*blocks: object, width_mm: int = 58) -> list[str]:
    return render_text(Document(width_mm, blocks))  # type: ignore[arg-type]


def test_double_text_is_laid_out_in_half_the_columns_and_shown_centred() -> None:
    assert text(Line("Double", DOUBLE)) == [" " * 13 + "Double"]
    name = "演示便利店 Demo Mart"  # 20 cells: wider than the 16 a double line has on 58 mm
    assert text(Line(name, DOUBLE)) == [" " * 8 + "演示便利店 Demo", " " * 14 + "Mart"]
    assert text(Line(name, DOUBLE), width_mm=80) == [" " * 14 + name]


def test_a_double_columns_row_keeps_its_amount_in_the_amounts_column() -> None:
    total = Columns("TOTAL 合计 to pay", "1234.50", Style(bold=True, double=True))
    # On the paper the row has 16 double cells: 7 for the amount, a space, 8 for the label.
    assert text(total) == ["TOTAL 合" + " " * 17 + "1234.50"]


def test_alignment_within_the_paper() -> None:
    assert text(Line("右 R", Style(align=Align.RIGHT))) == [" " * 28 + "右 R"]
    assert text(Line("中 C", Style(align=Align.CENTER))) == [" " * 14 + "中 C"]
    assert text(Line("  left")) == ["  left"]


def test_columns_clip_the_label_never_the_amount() -> None:
    assert text(Columns("农夫山泉饮用天然水 550ml 超长", "12.00")) == [
        "农夫山泉饮用天然水 550ml   12.00"
    ]
    assert text(Columns("", "12.00")) == [" " * 27 + "12.00"]


def test_graphics_show_as_centred_placeholders() -> None:
    assert text(
        Rule(),
        QrCode("R1:T01-000123", caption="退换货请出示此码"),
        Barcode("EAN-13", "6901234567892"),
        Image(8, (b"\xff",)),
        Feed(2),
        Rule("="),
        Cut(),
    ) == [
        "-" * 32,
        "       [QR R1:T01-000123]",
        "        退换货请出示此码",
        "     [EAN-13 6901234567892]",
        "             [logo]",
        "",
        "",
        "=" * 32,
    ]


def test_control_characters_are_replaced_everywhere() -> None:
    lines = text(
        Line("可乐\x1b@\x1dV\x00 Cola\tx\u202e"),
        Columns("a\x10\x04\x01b", "1.00\x0c"),
        QrCode("R1:\x1b@", caption="\x85c"),
    )
    assert lines[0] == "可乐?@?V? Cola x"
    assert lines[1] == "a???b" + " " * 22 + "1.00 "
    assert lines[2].strip() == "[QR R1:?@]"
    assert lines[3].strip() == "?c"
    assert all(char.isprintable() for line in lines for char in line)


def test_printable_rules() -> None:
    assert printable("plain 中文") == "plain 中文"
    assert printable("a\tb\nc\r\u2028d") == "a b c  d"
    assert printable("\x00\x1b\x7f\x9b") == "????"
    assert printable("zero\u200bwidth\u00ad") == "zerowidth"
    assert printable("\ud800") == "?"


def test_wrap_keeps_words_whole_and_breaks_chinese_anywhere() -> None:
    assert wrap("Master Kong Shrimp & Fish Cake Noodles, Cup", 32) == [
        "Master Kong Shrimp & Fish Cake",
        "Noodles, Cup",
    ]
    assert wrap("农夫山泉 饮用天然水", 9) == ["农夫山泉", "饮用天然", "水"]
    assert wrap("Supercalifragilistic", 8) == ["Supercal", "ifragili", "stic"]
    assert wrap("", 8) == [""]
    assert all(cell_width(piece) <= 9 for piece in wrap("ab 农夫山泉饮用天然水 cd", 9))


def test_printed_rows_are_what_every_renderer_draws() -> None:
    rows = printed(Document(58, (Columns("小计", "9.50"), Line("a b", DOUBLE))))
    assert rows == [Row("小计", Style(), "9.50", 8), Row("a b", DOUBLE)]
    assert rows[0].line(32) == "小计" + " " * 24 + "9.50"
