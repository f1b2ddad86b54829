"""The ESC/POS parser: every command the builder makes reads back with its parameters,
anything else is an error that says where, and a job replays to the document it printed."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from receipts import escpos
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
from receipts.escpos import Align, Status
from receipts.escpos_parse import (
    BarcodeData,
    BarcodeHeight,
    BarcodeHri,
    BarcodeWidth,
    ChineseMode,
    ChineseSize,
    ChineseUnderline,
    CodeTable,
    Command,
    CutPaper,
    DrawerPulse,
    EscPosError,
    FeedLines,
    Init,
    LineFeed,
    Parser,
    QrErrorCorrection,
    QrModel,
    QrModuleSize,
    QrPrint,
    QrStore,
    Raster,
    SetAlign,
    SetBold,
    SetSize,
    SetUnderline,
    StatusRequest,
    Text,
    parse,
    replay,
)
from receipts.render_escpos import PrinterProfile, render_escpos
from receipts.render_text import render_text
from receipts.test_page import test_page as printer_test_page

LOGO_ROWS = [bytes([0xF0, 0x0F]), bytes([0x0F, 0xF0]), bytes([0xFF, 0x00])]

BUILT: dict[str, list[tuple[bytes, list[Command]]]] = {
    "init": [(escpos.init(), [Init()])],
    "align": [(escpos.align(where), [SetAlign(where)]) for where in Align],
    "bold": [(escpos.bold(on), [SetBold(on)]) for on in (True, False)],
    "underline": [(escpos.underline(on), [SetUnderline(on)]) for on in (True, False)],
    "size": [
        (escpos.size(width, height), [SetSize(width, height)])
        for width, height in ((1, 1), (2, 2), (1, 2), (2, 1), (8, 8))
    ],
    "feed": [(escpos.feed(lines), [FeedLines(lines)]) for lines in (0, 1, 3, 255)],
    "cut": [(escpos.cut(dots), [CutPaper(dots)]) for dots in (0, 1, 255)],
    "code_table": [(escpos.code_table(page), [CodeTable(page)]) for page in (0, 16)],
    "chinese_on": [(escpos.chinese(True), [ChineseMode(True)])],
    "chinese_off": [(escpos.chinese(False), [ChineseMode(False)])],
    "chinese_size": [
        (escpos.chinese_size(True), [ChineseSize(double_width=True, double_height=True)]),
        (escpos.chinese_size(False), [ChineseSize(double_width=False, double_height=False)]),
    ],
    "chinese_underline": [
        (escpos.chinese_underline(on), [ChineseUnderline(on)]) for on in (True, False)
    ],
    "qr": [
        (
            escpos.qr(data, module, level),
            [QrModel(2), QrModuleSize(module), QrErrorCorrection(level), QrStore(data), QrPrint()],
        )
        for data, module, level in (
            (b"x", 1, "L"),
            ("会员 R1:T01-000042".encode(), 6, "M"),
            (b"Q" * 300, 8, "Q"),  # a length over 255: pH is used
            (b"H" * 7089, 16, "H"),
        )
    ],
    "barcode_hri": [(escpos.barcode("EAN-13", "6901234567892")[:3], [BarcodeHri(2)])],
    "barcode_height": [(escpos.barcode("EAN-8", "12345670", height=1)[3:6], [BarcodeHeight(1)])],
    "barcode_width": [(escpos.barcode("UPC-A", "012345678905", module=6)[6:9], [BarcodeWidth(6)])],
    "barcode": [
        (
            escpos.barcode(symbology, data, height=60, module=3),
            [BarcodeHri(2), BarcodeHeight(60), BarcodeWidth(3), BarcodeData(symbology, sent)],
        )
        for symbology, data, sent in (
            ("EAN-13", "6901234567892", b"6901234567892"),
            ("EAN-8", "12345670", b"12345670"),
            ("UPC-A", "012345678905", b"012345678905"),
            ("CODE128", "R1:T01-42", b"{BR1:T01-42"),
        )
    ],
    "raster": [
        (escpos.raster(16, LOGO_ROWS), [Raster(16, tuple(LOGO_ROWS))]),
        (escpos.raster(576, [bytes(72)] * 300), [Raster(576, (bytes(72),) * 300)]),
    ],
    "drawer": [
        (escpos.drawer_pulse(2, 100), [DrawerPulse(2, 50, 50)]),
        (escpos.drawer_pulse(5, 250), [DrawerPulse(5, 125, 125)]),
    ],
    "status": [(escpos.status_request(which), [StatusRequest(which)]) for which in Status],
}
"""COMMANDS name -> what its builder makes, and the commands that must read back."""


def test_every_command_in_the_table_is_covered() -> None:
    assert set(BUILT) == set(escpos.COMMANDS)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(data, expected, id=name)
        for name, cases in BUILT.items()
        for data, expected in cases
    ],
)
def test_each_built_command_parses_back_with_its_parameters(
    data: bytes, expected: list[Command]
) -> None:
    assert parse(data) == expected


def test_a_whole_job_parses_to_its_commands_in_order() -> None:
    data = b"".join(data for cases in BUILT.values() for data, _ in cases)
    expected = [
        command for cases in BUILT.values() for _, commands in cases for command in commands
    ]
    assert parse(data) == expected


def test_ascii_text_and_line_feeds() -> None:
    assert parse(b"Total  12.50\n\nThanks") == [
        Text("Total  12.50"),
        LineFeed(),
        LineFeed(),
        Text("Thanks"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "合计 TOTAL 123.51",
        "谢谢惠顾，欢迎再次光临",
        "ＡＢＣ 全角",
        "鿿 𠀀 😀",  # four-byte GB18030 codes decode too
    ],
)
def test_chinese_text_round_trips_as_gb18030_inside_fs_ampersand(text: str) -> None:
    data = escpos.chinese(True) + text.encode("gb18030") + escpos.chinese(False) + b"\n"
    assert parse(data) == [ChineseMode(True), Text(text), ChineseMode(False), LineFeed()]


def test_text_after_chinese_mode_ends_is_ascii_again() -> None:
    data = (
        escpos.chinese(True)
        + "中".encode("gb18030")
        + escpos.chinese(False)
        + "中".encode("gb18030")
    )
    with pytest.raises(EscPosError) as caught:
        parse(data)
    assert (
        str(caught.value) == "text outside Chinese mode (FS &) is not printable ASCII: D6 at byte 6"
    )


def test_unknown_command_is_an_error_with_its_offset_and_bytes() -> None:
    data = escpos.init() + b"x" * 120 + b"\n" + b"\x1b\x99" + b"more"
    with pytest.raises(EscPosError) as caught:
        parse(data)
    assert str(caught.value) == "unknown command 1B 99 at byte 123"
    assert caught.value.offset == 123
    assert caught.value.data == b"\x1b\x99"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"ok\x07", "unknown command 07 at byte 2"),
        (b"\r\n", "unknown command 0D at byte 0"),
        (b"\x1d(L\x02\x00", "unknown command 1D 28 4C at byte 0"),
        (b"\x10\x14\x01\x00\x01", "unknown command 10 14 at byte 0"),
        (b"a\x1ba\x05", "bad alignment in 1B 61 05 at byte 1"),
        (b"\x1bE\x02", "bad bold switch in 1B 45 02 at byte 0"),
        (b"\x1d!\x88", "bad character size in 1D 21 88 at byte 0"),
        (b"\x1dV\x07", "bad cut mode in 1D 56 07 at byte 0"),
        (b"\x1c!\x80", "bad Chinese character size in 1C 21 80 at byte 0"),
        (b"\x1d(k\x03\x001C\x00", "bad QR function in 1D 28 6B 03 00 31 43 00 at byte 0"),
        (
            b"\x1d(k\x03\x002C\x03",
            "bad 2D symbol (only QR, cn 0x31) in 1D 28 6B 03 00 32 43 03 at byte 0",
        ),
        (b"\x1dk\x02\x05", "bad barcode type (format B) in 1D 6B 02 at byte 0"),
        (b"\x1dw\x09", "bad module width in 1D 77 09 at byte 0"),
        (b"\x1dv0\x00\x00\x00\x01\x00", "bad raster size in 1D 76 30 00 00 00 01 00 at byte 0"),
        (b"\x1bp\x02\x32\x32", "bad drawer pin in 1B 70 02 at byte 0"),
        (b"\x10\x04\x05", "bad status request in 10 04 05 at byte 0"),
        (b"\x1d(k\x10\x001P0abc", "truncated command 1D 28 6B 10 00 31 50 30 61 62 63 at byte 0"),
        (b"x\x1d", "truncated command 1D at byte 1"),
        (b"\x1c&\xd6", "invalid GB18030 text D6 at byte 2"),
        (b"\x1c&\xd6\n", "invalid GB18030 text D6 at byte 2"),
    ],
)
def test_bytes_the_till_never_sends_are_errors_that_say_where(data: bytes, message: str) -> None:
    with pytest.raises(EscPosError) as caught:
        parse(data)
    assert str(caught.value) == message


def test_a_long_offending_command_is_shown_shortened() -> None:
    data = escpos.qr(b"x" * 100)[:60]  # model, module size and EC (25 bytes), then a cut store
    with pytest.raises(EscPosError) as caught:
        parse(data)
    assert str(caught.value) == (
        "truncated command 1D 28 6B 67 00 31 50 30 78 78 78 78 78 78 78 78 ... at byte 25"
    )
    assert caught.value.data == data[25:]


def _job() -> bytes:
    return b"".join(
        (
            escpos.init(),
            escpos.align(Align.CENTER),
            escpos.chinese(True),
            "小票 RECEIPT".encode("gb18030"),
            escpos.chinese(False),
            b"\n",
            escpos.status_request(Status.PAPER),
            escpos.qr(b"R1:T01-000042"),
            escpos.raster(16, LOGO_ROWS),
            b"Thanks\n",
            escpos.cut(),
        )
    )


@given(st.lists(st.integers(min_value=0, max_value=len(_job())), max_size=8))
def test_splitting_the_stream_anywhere_gives_the_same_commands(cuts: list[int]) -> None:
    data = _job()
    bounds = [0, *sorted(cuts), len(data)]
    parser = Parser()
    commands: list[Command] = []
    for start, end in itertools.pairwise(bounds):
        commands += parser.feed(data[start:end])
    assert commands + parser.close() == parse(data)


def test_a_status_request_is_complete_as_soon_as_its_bytes_arrive() -> None:
    parser = Parser()
    assert parser.feed(b"half a line") == []
    assert parser.feed(escpos.status_request(Status.PRINTER)) == [
        Text("half a line"),
        StatusRequest(Status.PRINTER),
    ]
    assert parser.close() == []


def test_an_error_in_a_later_piece_counts_bytes_from_the_start_of_the_stream() -> None:
    parser = Parser()
    parser.feed(b"0123456789\n")
    with pytest.raises(EscPosError) as caught:
        parser.feed(b"ab\x1b\x99")
    assert caught.value.offset == 13


def test_replay_rebuilds_lines_with_their_style_and_the_graphics() -> None:
    data = b"".join(
        (
            escpos.init(),
            escpos.align(Align.CENTER),
            escpos.bold(True),
            escpos.size(2, 2),
            b"STORE\n",
            escpos.bold(False),
            escpos.size(),
            escpos.align(Align.LEFT),
            escpos.underline(True),
            b"under\n",
            escpos.underline(False),
            b"\n",
            escpos.qr(b"R1:T01-000042", module=4),
            escpos.barcode("CODE128", "T01-42"),
            escpos.raster(16, LOGO_ROWS[:2]),
            escpos.raster(16, LOGO_ROWS[2:]),
            b"no line feed before the feed",
            escpos.feed(2),
            escpos.cut(),
            escpos.drawer_pulse(),
        )
    )
    assert replay(parse(data), 58) == Document(
        58,
        (
            Line("STORE", Style(bold=True, double=True, align=Align.CENTER)),
            Line("under", Style(underline=True)),
            Line(""),
            QrCode("R1:T01-000042", module=4),
            Barcode("CODE128", "T01-42"),
            Image(16, tuple(LOGO_ROWS)),  # bands sent one after another are one picture
            Line("no line feed before the feed"),
            Feed(2),
            Cut(),
        ),
    )


def test_replay_takes_chinese_size_and_underline_inside_chinese_mode() -> None:
    data = b"".join(
        (
            escpos.chinese_size(True),
            escpos.chinese_underline(True),
            b"ascii is not doubled\n",
            escpos.chinese(True),
            "倍大".encode("gb18030"),
            escpos.chinese(False),
            b"\n",
        )
    )
    assert replay(parse(data), 80).blocks == (
        Line("ascii is not doubled"),
        Line("倍大", Style(double=True, underline=True)),
    )


def test_replay_drops_text_that_init_cleared_from_the_buffer() -> None:
    data = b"lost" + escpos.init() + b"kept\n"
    assert replay(parse(data), 80).blocks == (Line("kept"),)


@pytest.mark.parametrize("width_mm", [58, 80])
@pytest.mark.parametrize(
    "profile",
    [PrinterProfile(), PrinterProfile(native_qr=False), PrinterProfile(chinese_mode=False)],
    ids=["native", "raster-qr", "no-chinese"],
)
def test_the_renderer_sends_nothing_but_known_commands(
    width_mm: int, profile: PrinterProfile
) -> None:
    commands = parse(render_escpos(printer_test_page(width_mm, "TM-T20", printed_at=""), profile))
    assert commands[0] == Init()


def test_a_rendered_job_replays_to_the_same_text() -> None:
    doc = Document(
        80,
        (
            Line("示例商店 DEMO STORE", Style(bold=True, double=True, align=Align.CENTER)),
            Line("上海市 某路 1 号", Style(align=Align.CENTER)),
            Rule(),
            Columns("农夫山泉 550ml", "2.00"),
            Columns("Oreo 奥利奥", "9.50", Style(bold=True)),
            Rule("="),
            QrCode("R1:T01-000042", caption="会员卡 member card"),
            Barcode("EAN-13", "6901234567892"),
            Line("谢谢惠顾", Style(underline=True, align=Align.RIGHT)),
            Feed(3),
            Cut(),
        ),
    )
    assert render_text(replay(parse(render_escpos(doc)), 80)) == render_text(doc)


@pytest.mark.parametrize("width_mm", [58, 80])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("copy", [False, True])
def test_every_byte_of_a_sale_receipt_is_a_known_command_or_its_text(
    width_mm: int, lang: str, copy: bool
) -> None:
    from receipt_helpers import MIXED_SALE, SHANGHAI, STORE

    from receipts.render_text import render_text
    from receipts.sale_receipt import sale_receipt

    document = sale_receipt(
        MIXED_SALE, STORE, width_mm=width_mm, lang=lang, zone=SHANGHAI, copy=copy
    )
    commands = parse(render_escpos(document))  # raises on any byte it cannot account for
    assert commands[0] == Init()
    # The same words on the same lines (a double-size amount row comes back as the
    # line it was printed as, spaced for half the columns).
    words = [line.split() for line in render_text(replay(commands, width_mm))]
    assert words == [line.split() for line in render_text(document)]
