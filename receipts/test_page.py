"""The page a technician prints to check a printer: every style, the codes, and whether
Chinese and English columns line up on this printer's paper."""

from __future__ import annotations

from receipts.document import (
    Barcode,
    Block,
    Columns,
    Cut,
    Document,
    Line,
    QrCode,
    Rule,
    Style,
)
from receipts.escpos import Align
from receipts.layout import COLUMNS

TEST_EAN13 = "6901234567892"
"""A valid EAN-13 (Chinese prefix 690, check digit 2)."""

_ALIGNMENT_ROWS = (
    ("苹果 Apple", "12.00"),
    ("Apple 苹果", "12.00"),
    ("农夫山泉饮用天然水 550ml", "2.00"),
    ("Oreo 奥利奥夹心饼干", "9.50"),
    ("ＡＢＣ 全角 full-width", "100.00"),
    ("Plain ASCII line", "0.01"),
)
"""Mixed-width labels: on a good printer every amount ends in the last column."""


def test_page(width_mm: int, profile_name: str, *, printed_at: str) -> Document:
    """A test page for `profile_name` on `width_mm` paper, printed at `printed_at` (local
    time, as the technician will compare it with the clock)."""
    columns = COLUMNS[width_mm]
    centred = Style(align=Align.CENTER)
    blocks: list[Block] = [
        Line("打印测试 TEST", Style(bold=True, double=True, align=Align.CENTER)),
        Line(profile_name, centred),
        Line(f"{width_mm} mm / {columns} columns", centred),
        Line(printed_at, centred),
        Rule(),
        Line("".join(str(column % 10) for column in range(1, columns + 1))),
        Line("普通 Normal"),
        Line("粗体 Bold", Style(bold=True)),
        Line("下划线 Underline", Style(underline=True)),
        Line("倍大 Double", Style(double=True)),
        Line("粗体倍大 Bold", Style(bold=True, double=True)),
        Line("左对齐 Left"),
        Line("居中 Centre", centred),
        Line("右对齐 Right", Style(align=Align.RIGHT)),
        Rule("="),
        *(Columns(label, amount) for label, amount in _ALIGNMENT_ROWS),
        Columns("合计", "123.51", Style(bold=True, double=True)),
        Rule(),
        QrCode(f"TEST:{profile_name}:{width_mm}mm", caption="二维码 QR code"),
        Barcode("EAN-13", TEST_EAN13),
        Rule(),
        Line("中文 GB18030：汉字、标点，。！", centred),
        Line("The quick brown fox jumps over the lazy dog 0123456789"),
        Cut(),
    ]
    return Document(width_mm, tuple(blocks))


test_page.__test__ = False  # type: ignore[attr-defined]  # a page builder, not a pytest test
