"""The ESC/POS commands a receipt needs, as bytes: one table, one small builder.

Every command the till sends is in COMMANDS with its documented bytes (Epson
ESC/POS Application Programming Guide; the vendor table in
shared/reference/devices.md); the builder only fills in parameters. Keeping the
set explicit (rather than python-escpos) gives us control of Chinese mode, which
many printers do not enable at power-up.
"""

from __future__ import annotations

from enum import IntEnum

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"

COMMANDS: dict[str, bytes] = {
    "init": ESC + b"@",
    "align": ESC + b"a",  # + n: 0 left, 1 centre, 2 right
    "bold": ESC + b"E",  # + 1 on / 0 off
    "underline": ESC + b"-",  # + 1 on / 0 off
    "size": GS + b"!",  # + (width-1) << 4 | (height-1)
    "feed": ESC + b"d",  # + n lines
    "cut": GS + b"V",  # + 66 n: feed n dots, then a partial cut
    "code_table": ESC + b"t",  # + n
    "chinese_on": FS + b"&",
    "chinese_off": FS + b".",
    "chinese_size": FS + b"!",  # + 0x0C double width and height, 0 normal
    "chinese_underline": FS + b"-",  # + 1 on / 0 off: ESC - does not reach Chinese text
    "qr": GS + b"(k",  # + pL pH cn fn ...
    "barcode_hri": GS + b"H",  # + n: 0 none, 2 below
    "barcode_height": GS + b"h",  # + dots
    "barcode_width": GS + b"w",  # + module width 2..6
    "barcode": GS + b"k",  # + m n data (format B)
    "raster": GS + b"v0",  # + m xL xH yL yH data
    "drawer": ESC + b"p",  # + pin t1 t2 (units of 2 ms)
    "status": DLE + b"\x04",  # + n: 1 printer, 2 offline, 3 error, 4 paper
}
"""Command name -> its fixed leading bytes."""


class Align(IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


class Status(IntEnum):
    """What `DLE EOT n` asks; the printer answers one byte."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    PAPER = 4


BARCODE_TYPES = {"UPC-A": 65, "EAN-13": 67, "EAN-8": 68, "CODE128": 73}
"""`GS k` format-B symbology numbers."""

_QR_MAX = 7089


def init() -> bytes:
    return COMMANDS["init"]


def align(where: Align) -> bytes:
    return COMMANDS["align"] + bytes([where])


def bold(on: bool) -> bytes:
    return COMMANDS["bold"] + bytes([on])


def underline(on: bool) -> bytes:
    return COMMANDS["underline"] + bytes([on])


def size(width: int = 1, height: int = 1) -> bytes:
    """Character magnification, 1..8 each way; Chinese mode has its own (chinese_size)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError(f"character size {width}x{height} is outside 1..8")
    return COMMANDS["size"] + bytes([(width - 1) << 4 | (height - 1)])


def feed(lines: int) -> bytes:
    if not 0 <= lines <= 255:
        raise ValueError(f"feed of {lines} lines is outside 0..255")
    return COMMANDS["feed"] + bytes([lines])


def cut(feed_dots: int = 0) -> bytes:
    """Feed `feed_dots` to the cutter, then a partial cut (function B)."""
    return COMMANDS["cut"] + bytes([66, feed_dots])


def code_table(page: int) -> bytes:
    return COMMANDS["code_table"] + bytes([page])


def chinese(on: bool) -> bytes:
    """Chinese (GB18030 two-byte) mode on or off: text between is sent as GB18030."""
    return COMMANDS["chinese_on" if on else "chinese_off"]


def chinese_size(double: bool) -> bytes:
    return COMMANDS["chinese_size"] + bytes([0x0C if double else 0])


def chinese_underline(on: bool) -> bytes:
    return COMMANDS["chinese_underline"] + bytes([on])


def qr(data: bytes, module: int = 6, error_correction: str = "M") -> bytes:
    """Native QR (`GS ( k`): select model 2, module size, error correction, store, print."""
    if not 1 <= len(data) <= _QR_MAX:
        raise ValueError(f"QR data of {len(data)} bytes is outside 1..{_QR_MAX}")
    if not 1 <= module <= 16:
        raise ValueError(f"QR module size {module} is outside 1..16")
    level = "LMQH".index(error_correction)
    stored = len(data) + 3
    return b"".join(
        (
            _qr_function(b"1A", b"2\x00"),  # model 2
            _qr_function(b"1C", bytes([module])),
            _qr_function(b"1E", bytes([48 + level])),
            COMMANDS["qr"] + bytes([stored & 0xFF, stored >> 8]) + b"1P0" + data,
            _qr_function(b"1Q", b"0"),  # print the stored symbol
        )
    )


def _qr_function(function: bytes, parameters: bytes) -> bytes:
    length = len(function) + len(parameters)
    return COMMANDS["qr"] + bytes([length, 0]) + function + parameters


def barcode(symbology: str, data: str, height: int = 80, module: int = 2) -> bytes:
    """A 1D barcode with its digits printed below (HRI), format B (`GS k m n data`)."""
    if symbology not in BARCODE_TYPES:
        raise ValueError(f"barcode type {symbology!r} is not one of {sorted(BARCODE_TYPES)}")
    payload = data.encode("ascii")
    if symbology == "CODE128":
        payload = b"{B" + payload  # code set B: printable ASCII
    if not 1 <= len(payload) <= 255:
        raise ValueError(f"barcode data of {len(payload)} bytes is outside 1..255")
    return b"".join(
        (
            COMMANDS["barcode_hri"] + b"\x02",
            COMMANDS["barcode_height"] + bytes([height]),
            COMMANDS["barcode_width"] + bytes([module]),
            COMMANDS["barcode"] + bytes([BARCODE_TYPES[symbology], len(payload)]) + payload,
        )
    )


def raster(width_dots: int, rows: list[bytes]) -> bytes:
    """A 1-bit image, `GS v 0`: each row is width_dots/8 bytes, most significant bit left."""
    row_bytes = (width_dots + 7) // 8
    if any(len(row) != row_bytes for row in rows):
        raise ValueError(f"every raster row must be {row_bytes} bytes")
    height = len(rows)
    header = bytes([0, row_bytes & 0xFF, row_bytes >> 8, height & 0xFF, height >> 8])
    return COMMANDS["raster"] + header + b"".join(rows)


def drawer_pulse(pin: int = 2, pulse_ms: int = 100) -> bytes:
    """Kick the drawer on connector pin 2 or 5: on for pulse_ms, then off as long."""
    if pin not in (2, 5):
        raise ValueError(f"drawer pin {pin} is not 2 or 5")
    units = max(1, min(255, pulse_ms // 2))
    return COMMANDS["drawer"] + bytes([0 if pin == 2 else 1, units, units])


def status_request(which: Status) -> bytes:
    return COMMANDS["status"] + bytes([which])
