"""A QR code drawn in text, two modules a character with half blocks.

Shared by the till's store-QR modal (pos.tui) and the customer display on a terminal
(devices.customer_display), so both draw the very same symbol; it lives here, not in
the TUI, because the device layer must not import Textual or pos.tui.

A character cell is about twice as high as it is wide, so a half block per module
comes out square. Dark modules are the characters' foreground and light ones their
background: the caller colours them black on white. Half blocks are narrow in a
terminal whose "ambiguous width" is narrow (the usual default, also with a zh-CN
locale); one set to wide would draw the QR twice as wide, and unreadable.
"""

from __future__ import annotations

QUIET_ZONE = 4
"""Light modules around the code, as the QR standard asks: a phone finds the code by
the contrast at its edge, and a dialog's own colours are no quiet zone."""

# (top module dark, bottom module dark) -> the character that draws both.
_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}


def qr_matrix(data: str, quiet_zone: int = QUIET_ZONE) -> list[list[bool]]:
    """The QR code of `data` (error correction M) as rows of modules, True for dark,
    with its quiet zone."""
    import qrcode  # type: ignore[import-untyped]  # here: it loads Pillow

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=quiet_zone)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def half_blocks(matrix: list[list[bool]]) -> list[str]:
    """The modules as text, two rows a line."""
    rows = list(matrix)
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))  # a light row: more quiet zone
    return [
        "".join(_BLOCKS[pair] for pair in zip(top, bottom, strict=True))
        for top, bottom in zip(rows[::2], rows[1::2], strict=True)
    ]


def qr_text(data: str) -> list[str]:
    """The lines that draw `data`'s QR code, to be shown dark on light."""
    return half_blocks(qr_matrix(data))
