"""Column layout by terminal/printer cell width, so Chinese and English line up.

A CJK character takes two cells on a thermal printer and in a terminal; counting
characters would push every Chinese line's prices out of their column.
"""

from __future__ import annotations

import unicodedata

COLUMNS = {58: 32, 80: 48}
"""Characters per line of the standard font (12x24) for each paper width in mm."""


def cell_width(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def clip(text: str, width: int) -> str:
    """The longest prefix of `text` that fits in `width` cells."""
    used = 0
    for index, char in enumerate(text):
        used += cell_width(char)
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
    """Break text into lines of at most `width` cells (at any character: CJK has no spaces)."""
    lines: list[str] = []
    while text:
        head = clip(text, width) or text[0]
        lines.append(head)
        text = text[len(head) :]
    return lines or [""]
