"""Decode codes in image files, for `pos devices decode IMAGE...`.

A technician checks a photo the camera struggled with, or a code a customer sent,
the way the camera reads it: shrunk to camera size, with the same engines. Every file
gets an answer: its codes, "no code found", or why it could not be read; one bad file
does not stop the others.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from devices.decoders import Decoded, Decoder, make_decoder, prepare

FileResult = tuple[Path, list[Decoded] | str]
"""A file and its codes (perhaps none), or why it could not be read."""

_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def decode_files(
    paths: Iterable[str | Path], engines: Sequence[str] | None = None
) -> Iterator[FileResult]:
    """Each file's codes, found by the named engines (every available one by default).

    Raises DeviceError before the first file for an engine that cannot run here.
    """
    decoder = make_decoder(engines)
    for path in map(Path, paths):
        yield path, _decode(path, decoder)


def _decode(path: Path, decoder: Decoder) -> list[Decoded] | str:
    # Reading the bytes ourselves, rather than cv2.imread, says why a file could not
    # be read (missing, a directory, no permission) instead of only that it could not.
    try:
        data = path.read_bytes()
    except OSError as error:
        return f"cannot read image ({error.strerror or error})"
    if not data:
        return "cannot read image (the file is empty)"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return "cannot read image (not an image format OpenCV can decode, or damaged)"
    return decoder.decode(prepare(image))


def format_results(results: Iterable[FileResult]) -> list[str]:
    """The command's output: `symbology<TAB>text` for each code, a line per failed file.

    Decoded text is data from outside: control and other unprintable characters (a
    TAB too, which would break the columns) are shown as escapes, never sent to the
    terminal, and a backslash as two so the escapes stay unambiguous.
    """
    lines: list[str] = []
    for path, result in results:
        if isinstance(result, str):
            lines.append(f"{path}: {result}")
        elif not result:
            lines.append(f"{path}: no code found")
        else:
            lines.extend(f"{code.symbology}\t{_printable(code.text)}" for code in result)
    return lines


def exit_status(results: Iterable[FileResult]) -> int:
    """0 when every file had at least one code, else 1."""
    return 0 if all(isinstance(codes, list) and codes for _, codes in results) else 1


def _printable(text: str) -> str:
    return "".join(map(_printable_char, text))


def _printable_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if unicodedata.category(char) in _UNPRINTABLE:
        return char.encode("unicode_escape").decode("ascii")
    return char
