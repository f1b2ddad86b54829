"""Column layout by terminal/printer cell width, so Chinese and English line up.

A CJK character takes two cells on a thermal printer and in a terminal; counting
characters would push every Chinese line's prices out of their column.
"""

from __future__ import annotations

import unicodedata

COLUMNS = {58: 32, 80: 48}
"""Characters per line of the standard font (12x24) for each paper width in mm."""


class _Widths(dict[str, int]):
    """Cells per character, worked out once per character: receipts reuse few of them."""

    def __missing__(self, char: str) -> int:
        if unicodedata.combining(char):
            width = 0
        else:
            width = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        self[char] = width
        return width


_WIDTHS = _Widths()


class _Printable(dict[int, str]):
    """A `str.translate` table of the rules in `printable`, filled in as characters come."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        category = unicodedata.category(char)
        if char in "\t\n\r\v\f" or category in ("Zl", "Zp"):
            shown = " "
        elif category in ("Cc", "Cs"):
            shown = "?"
        elif category == "Cf":
            shown = ""
        else:
            shown = char
        self[code] = shown
        return shown


_PRINTABLE = _Printable()


def printable(text: str) -> str:
    """`text` with nothing a printer or a terminal would take as a command.

    - tab, line and page breaks (and the Unicode line/paragraph separators) become a
      space: a line of the document is one printed line;
    - every other control character, C0 (ESC, GS, FS, DLE, ...), DEL and C1, becomes
      "?": a product name holding ESC @ must not reset the printer mid-receipt; so
      does a lone surrogate, which no encoding can carry;
    - format characters (zero-width space, bidi overrides, soft hyphen) are dropped:
      they take no cell but would be counted as one.
    """
    if text.isprintable():
        return text
    return text.translate(_PRINTABLE)


def cell_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


def clip(text: str, width: int) -> str:
    """The longest prefix of `text` that fits in `width` cells."""
    if text.isascii():
        return text[: max(width, 0)]
    if cell_width(text) <= width:
        return text
    used = 0
    for index, char in enumerate(text):
        used += _WIDTHS[char]
        if used > width:
            return text[:index]
    return text


def pad(text: str, width: int) -> str:
    text = clip(text, width)
    return text + " " * (width - cell_width(text))


def spread(left: str, right: str, width: int) -> str:
    """`left` and `right` on one line, right-aligned; left is clipped to make room."""
    room = width - cell_width(right) - 1
    return pad(left, max(room, 0)) + " " + right if room > 0 else clip(right, width)


def center(text: str, width: int) -> str:
    text = clip(text, width)
    gap = width - cell_width(text)
    return " " * (gap // 2) + text


def wrap(text: str, width: int) -> list[str]:
    """Break text into lines of at most `width` cells.

    A line breaks at its last space when it has one, so English words stay whole, and
    otherwise at any character (Chinese has no spaces); the spaces at a break go.
    """
    if cell_width(text) <= width:
        return [text]
    lines: list[str] = []
    while text:
        head = clip(text, width) or text[0]
        if len(head) < len(text):
            space = head.rfind(" ")
            if text[len(head)] != " " and space > 0:
                head = head[:space]
            head = head.rstrip(" ") or head
        lines.append(head)
        text = text[len(head) :].lstrip(" ")
    return lines
