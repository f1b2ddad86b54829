"""Read back the ESC/POS bytes the till sends: every byte a known command, or an error.

The tests use `parse` to prove the renderer emits nothing but the commands of
receipts.escpos.COMMANDS, and the printer simulator uses `Parser` (bytes arrive in
pieces over a socket) to answer status requests as they come and `replay` to turn a
finished job back into a Document it can show as text and PNG.

The parser is deliberately strict: a parameter outside what the Epson reference
documents for the command is an error too, because a wrong parameter is as much a
renderer bug as an unknown command. Text outside Chinese mode must be printable ASCII;
inside `FS &` ... `FS .` it is GB18030.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from pos.domain.errors import PosError
from receipts.document import (
    Barcode,
    Block,
    Cut,
    Document,
    Feed,
    Image,
    Line,
    QrCode,
    Style,
)
from receipts.escpos import BARCODE_TYPES, COMMANDS, Align, Status

LF = 0x0A
_SHOWN_BYTES = 16
"""How much of an offending command an error message spells out."""


class EscPosError(PosError):
    """Bytes that are not a command the till sends; says where and which."""

    def __init__(self, problem: str, offset: int, data: bytes) -> None:
        shown = data[:_SHOWN_BYTES].hex(" ").upper()
        more = " ..." if len(data) > _SHOWN_BYTES else ""
        super().__init__("Unreadable printer data", f"{problem} {shown}{more} at byte {offset}")
        self.offset = offset
        self.data = data


@dataclass(frozen=True, slots=True)
class Init:
    pass


@dataclass(frozen=True, slots=True)
class SetAlign:
    where: Align


@dataclass(frozen=True, slots=True)
class SetBold:
    on: bool


@dataclass(frozen=True, slots=True)
class SetUnderline:
    on: bool


@dataclass(frozen=True, slots=True)
class SetSize:
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class FeedLines:
    lines: int


@dataclass(frozen=True, slots=True)
class CutPaper:
    feed_dots: int
    partial: bool = True


@dataclass(frozen=True, slots=True)
class CodeTable:
    page: int


@dataclass(frozen=True, slots=True)
class ChineseMode:
    on: bool


@dataclass(frozen=True, slots=True)
class ChineseSize:
    double_width: bool
    double_height: bool


@dataclass(frozen=True, slots=True)
class ChineseUnderline:
    on: bool


@dataclass(frozen=True, slots=True)
class QrModel:
    model: int


@dataclass(frozen=True, slots=True)
class QrModuleSize:
    dots: int


@dataclass(frozen=True, slots=True)
class QrErrorCorrection:
    level: str
    """L, M, Q or H."""


@dataclass(frozen=True, slots=True)
class QrStore:
    data: bytes


@dataclass(frozen=True, slots=True)
class QrPrint:
    pass


@dataclass(frozen=True, slots=True)
class BarcodeHri:
    position: int
    """0 none, 1 above, 2 below, 3 both."""


@dataclass(frozen=True, slots=True)
class BarcodeHeight:
    dots: int


@dataclass(frozen=True, slots=True)
class BarcodeWidth:
    module: int


@dataclass(frozen=True, slots=True)
class BarcodeData:
    symbology: str
    """A name from receipts.escpos.BARCODE_TYPES."""
    data: bytes


@dataclass(frozen=True, slots=True)
class Raster:
    width_dots: int
    """Always a whole number of bytes: the command counts bytes, not dots."""
    rows: tuple[bytes, ...]
    scale: int = 0
    """0 normal, 1 double width, 2 double height, 3 both."""


@dataclass(frozen=True, slots=True)
class DrawerPulse:
    pin: int
    """2 or 5: the drawer connector pin."""
    on_units: int
    off_units: int
    """Both in 2 ms units."""


@dataclass(frozen=True, slots=True)
class StatusRequest:
    which: Status


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class LineFeed:
    pass


Command = (
    Init
    | SetAlign
    | SetBold
    | SetUnderline
    | SetSize
    | FeedLines
    | CutPaper
    | CodeTable
    | ChineseMode
    | ChineseSize
    | ChineseUnderline
    | QrModel
    | QrModuleSize
    | QrErrorCorrection
    | QrStore
    | QrPrint
    | BarcodeHri
    | BarcodeHeight
    | BarcodeWidth
    | BarcodeData
    | Raster
    | DrawerPulse
    | StatusRequest
    | Text
    | LineFeed
)


class _Incomplete(Exception):
    """The bytes so far end inside a command; more may come."""


class _Reader:
    """The parameters of one command, read from the buffer after its fixed prefix."""

    def __init__(self, buffer: bytearray, start: int, base: int, prefix: bytes) -> None:
        self._buffer = buffer
        self._start = start
        self._base = base
        self.position = start + len(prefix)

    def byte(self) -> int:
        return self.take(1)[0]

    def word(self) -> int:
        low, high = self.take(2)
        return low | high << 8

    def take(self, count: int) -> bytes:
        end = self.position + count
        if end > len(self._buffer):
            raise _Incomplete
        chunk = bytes(self._buffer[self.position : end])
        self.position = end
        return chunk

    def choice(self, allowed: Collection[int], what: str) -> int:
        value = self.byte()
        if value not in allowed:
            raise self.bad(what)
        return value

    def bad(self, what: str) -> EscPosError:
        data = bytes(self._buffer[self._start : self.position])
        return EscPosError(f"bad {what} in", self._base + self._start, data)

    def truncated(self) -> EscPosError:
        return EscPosError(
            "truncated command", self._base + self._start, bytes(self._buffer[self._start :])
        )


_EITHER_FORM = (0, 1, 2, 48, 49, 50)
"""Epson accepts n and ASCII '0' + n for these modes."""
_SIZES = frozenset(width << 4 | height for width in range(8) for height in range(8))
_SYMBOLOGIES = {number: name for name, number in BARCODE_TYPES.items()}


def _size(reader: _Reader) -> Command:
    n = reader.choice(_SIZES, "character size")
    return SetSize((n >> 4) + 1, (n & 0x0F) + 1)


def _cut(reader: _Reader) -> Command:
    mode = reader.choice((0, 1, 48, 49, 65, 66), "cut mode")
    if mode >= 65:  # function B: feed n dots first
        return CutPaper(reader.byte(), partial=mode == 66)
    return CutPaper(0, partial=mode % 48 == 1)


def _chinese_size(reader: _Reader) -> Command:
    n = reader.choice((0x00, 0x04, 0x08, 0x0C), "Chinese character size")
    return ChineseSize(double_width=bool(n & 0x04), double_height=bool(n & 0x08))


def _qr(reader: _Reader) -> Command:
    length = reader.word()
    if length < 3:
        raise reader.bad("QR function length")
    body = reader.take(length)
    symbol, function, args = body[0], body[1], body[2:]
    if symbol != 0x31:
        raise reader.bad("2D symbol (only QR, cn 0x31)")
    if function == 0x41 and len(args) == 2 and args[0] in (49, 50) and args[1] == 0:
        return QrModel(args[0] - 48)
    if function == 0x43 and len(args) == 1 and 1 <= args[0] <= 16:
        return QrModuleSize(args[0])
    if function == 0x45 and len(args) == 1 and 48 <= args[0] <= 51:
        return QrErrorCorrection("LMQH"[args[0] - 48])
    if function == 0x50 and len(args) > 1 and args[0] == 48:
        return QrStore(args[1:])
    if function == 0x51 and args == b"0":
        return QrPrint()
    raise reader.bad("QR function")


def _barcode(reader: _Reader) -> Command:
    symbology = _SYMBOLOGIES[reader.choice(_SYMBOLOGIES, "barcode type (format B)")]
    length = reader.byte()
    if length == 0:
        raise reader.bad("barcode length")
    return BarcodeData(symbology, reader.take(length))


def _raster(reader: _Reader) -> Command:
    scale = reader.choice((0, 1, 2, 3, 48, 49, 50, 51), "raster scale") % 48
    row_bytes, height = reader.word(), reader.word()
    if row_bytes == 0 or height == 0:
        raise reader.bad("raster size")
    data = reader.take(row_bytes * height)
    rows = tuple(data[row * row_bytes : (row + 1) * row_bytes] for row in range(height))
    return Raster(row_bytes * 8, rows, scale)


def _drawer(reader: _Reader) -> Command:
    pin = 2 if reader.choice((0, 1, 48, 49), "drawer pin") % 48 == 0 else 5
    return DrawerPulse(pin, reader.byte(), reader.byte())


_DECODERS: dict[str, Callable[[_Reader], Command]] = {
    "init": lambda reader: Init(),
    "align": lambda reader: SetAlign(Align(reader.choice(_EITHER_FORM, "alignment") % 48)),
    "bold": lambda reader: SetBold(reader.choice((0, 1), "bold switch") == 1),
    "underline": lambda reader: SetUnderline(reader.choice(_EITHER_FORM, "underline") % 48 > 0),
    "size": _size,
    "feed": lambda reader: FeedLines(reader.byte()),
    "cut": _cut,
    "code_table": lambda reader: CodeTable(reader.byte()),
    "chinese_on": lambda reader: ChineseMode(True),
    "chinese_off": lambda reader: ChineseMode(False),
    "chinese_size": _chinese_size,
    "chinese_underline": lambda reader: ChineseUnderline(
        reader.choice(_EITHER_FORM, "Chinese underline") % 48 > 0
    ),
    "qr": _qr,
    "barcode_hri": lambda reader: BarcodeHri(reader.choice(range(4), "HRI position")),
    "barcode_height": lambda reader: BarcodeHeight(reader.choice(range(1, 256), "bar height")),
    "barcode_width": lambda reader: BarcodeWidth(reader.choice(range(2, 7), "module width")),
    "barcode": _barcode,
    "raster": _raster,
    "drawer": _drawer,
    "status": lambda reader: StatusRequest(Status(reader.choice(range(1, 5), "status request"))),
}
"""COMMANDS name -> how to read its parameters (the prefix already matched)."""

_PREFIXES = sorted(COMMANDS.items(), key=lambda item: -len(item[1]))


class Parser:
    """Parses a byte stream that arrives in pieces, keeping what it cannot finish yet.

    `feed` returns the commands completed so far; a text run is held back until a
    control byte ends it, so splitting the stream anywhere yields the same commands
    as parsing it whole. `close` ends the stream. Both raise EscPosError, with the
    offset in the whole stream, at the first byte that is not a known command.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._base = 0
        """Stream offset of the buffer's first byte."""
        self._chinese = False

    def feed(self, data: bytes) -> list[Command]:
        self._buffer += data
        return self._drain(final=False)

    def close(self) -> list[Command]:
        """The commands left at the end of the stream; raises if it ends inside one."""
        return self._drain(final=True)

    def _drain(self, *, final: bool) -> list[Command]:
        commands: list[Command] = []
        position = 0
        try:
            while position < len(self._buffer):
                step = self._step(position, final=final)
                if step is None:
                    break
                command, position = step
                commands.append(command)
        finally:
            del self._buffer[:position]
            self._base += position
        return commands

    def _step(self, position: int, *, final: bool) -> tuple[Command, int] | None:
        first = self._buffer[position]
        if first == LF:
            return LineFeed(), position + 1
        if first >= 0x20:
            return self._text(position, final=final)
        name = self._match(position, final=final)
        if name is None:
            return None
        reader = _Reader(self._buffer, position, self._base, COMMANDS[name])
        try:
            command = _DECODERS[name](reader)
        except _Incomplete:
            if final:
                raise reader.truncated() from None
            return None
        if isinstance(command, ChineseMode):
            self._chinese = command.on
        elif isinstance(command, Init):
            # Printers differ on whether ESC @ leaves Chinese mode; the till always
            # sends FS & again, so assume the stricter (off) and catch it if not.
            self._chinese = False
        return command, reader.position

    def _match(self, position: int, *, final: bool) -> str | None:
        """The COMMANDS name at position; None when the buffer ends inside its prefix."""
        for name, prefix in _PREFIXES:
            if self._buffer.startswith(prefix, position):
                return name
        longest = max(_shared(prefix, self._buffer, position) for _, prefix in _PREFIXES)
        seen = bytes(self._buffer[position : position + longest + 1])
        if position + longest < len(self._buffer):
            raise EscPosError("unknown command", self._base + position, seen)
        if final:
            raise EscPosError("truncated command", self._base + position, seen)
        return None

    def _text(self, position: int, *, final: bool) -> tuple[Command, int] | None:
        end = position
        while end < len(self._buffer) and self._buffer[end] >= 0x20:
            end += 1
        if end == len(self._buffer) and not final:
            return None
        run = bytes(self._buffer[position:end])
        offset = self._base + position
        if self._chinese:
            try:
                return Text(run.decode("gb18030")), end
            except UnicodeDecodeError as error:
                raise EscPosError(
                    "invalid GB18030 text", offset + error.start, run[error.start : error.end]
                ) from None
        outside = next((index for index, byte in enumerate(run) if byte > 0x7E), None)
        if outside is not None:
            raise EscPosError(
                "text outside Chinese mode (FS &) is not printable ASCII:",
                offset + outside,
                run[outside : outside + 1],
            )
        return Text(run.decode("ascii")), end


def _shared(prefix: bytes, buffer: bytearray, position: int) -> int:
    """How many leading bytes of prefix the buffer has at position."""
    count = 0
    for expected, actual in zip(prefix, buffer[position : position + len(prefix)], strict=False):
        if expected != actual:
            break
        count += 1
    return count


def parse(data: bytes) -> list[Command]:
    """Every byte of data as a command; raises EscPosError at the first unknown byte."""
    parser = Parser()
    return parser.feed(data) + parser.close()


@dataclass(slots=True)
class _Pen:
    """The printer's modes that shape what it prints next (ESC @ resets them all)."""

    bold: bool = False
    underline: bool = False
    align: Align = Align.LEFT
    double: bool = False
    chinese: bool = False
    chinese_double: bool = False
    chinese_underline: bool = False
    qr_module: int = 3
    """Epson's default module size."""
    qr_data: bytes = b""

    def style(self) -> Style:
        # Chinese characters have their own size and underline (FS ! and FS -).
        double = self.double or (self.chinese and self.chinese_double)
        underline = self.underline or (self.chinese and self.chinese_underline)
        return Style(self.bold, double, underline, self.align)


@dataclass(slots=True)
class _Paper:
    """What has come out of the printer so far, and the line still in its buffer."""

    blocks: list[Block] = field(default_factory=list)
    pen: _Pen = field(default_factory=_Pen)
    line: list[str] = field(default_factory=list)
    line_style: Style | None = None
    """The modes when the line's first character arrived: a Line has one style."""

    def add(self, command: Command) -> None:
        pen = self.pen
        match command:
            case Text(text):
                self.line_style = self.line_style or pen.style()
                self.line.append(text)
            case LineFeed():
                self.blocks.append(Line("".join(self.line), self.line_style or pen.style()))
                self.line, self.line_style = [], None
            case FeedLines(lines):
                self.print(Feed(lines))
            case CutPaper():
                self.print(Cut())
            case QrStore(data):
                pen.qr_data = data
            case QrModuleSize(dots):
                pen.qr_module = dots
            case QrPrint() if pen.qr_data:
                self.print(QrCode(pen.qr_data.decode("utf-8", "replace"), pen.qr_module))
            case BarcodeData(symbology, data):
                text = data.decode("ascii", "replace")
                self.print(Barcode(symbology, text.removeprefix("{B")))
            case Raster(width_dots, rows):
                self.raster(Image(width_dots, rows))
            case Init():
                # ESC @ clears the print buffer: text not yet printed never reaches paper.
                self.pen, self.line, self.line_style = _Pen(), [], None
            case SetAlign(where):
                pen.align = where
            case SetBold(on):
                pen.bold = on
            case SetUnderline(on):
                pen.underline = on
            case SetSize(width, height):
                pen.double = width > 1 and height > 1
            case ChineseMode(on):
                pen.chinese = on
            case ChineseSize(double_width, double_height):
                pen.chinese_double = double_width and double_height
            case ChineseUnderline(on):
                pen.chinese_underline = on
            case _:
                pass  # no mark on the paper: status, drawer, code table, symbol settings

    def raster(self, image: Image) -> None:
        """Rasters sent in bands one after another are one picture on the paper."""
        last = self.blocks[-1] if self.blocks and not self.line else None
        if isinstance(last, Image) and last.width_dots == image.width_dots:
            self.blocks[-1] = Image(image.width_dots, last.rows + image.rows)
        else:
            self.print(image)

    def print(self, block: Block) -> None:
        """A block prints what is in the line buffer first, as the printer does."""
        if self.line:
            self.add(LineFeed())
        self.blocks.append(block)


def replay(commands: Iterable[Command], width_mm: int) -> Document:
    """The Document a printer would have put on paper from these commands.

    Paper has no Columns, Rules or captions, so those come back as the Lines they
    were printed as. One style per line (the modes when its first character came),
    as the Document model has it; a style change in mid-line is not shown.
    """
    paper = _Paper()
    for command in commands:
        paper.add(command)
    if paper.line:
        paper.add(LineFeed())
    return Document(width_mm, tuple(paper.blocks))
