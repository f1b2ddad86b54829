"""Barcode decoding engines behind one small interface, for the camera and the CLI.

zxing-cpp reads first: measured on photos and distorted payment codes it reads more QR
codes, several times faster, than pyzbar. pyzbar (where libzbar is installed) is
asked only when zxing-cpp found nothing, because on EAN-13 photos the two together
read more than either alone (DESIGN.md section 9). Both engines are limited to the
symbologies the till understands (QR, EAN-13 and the UPC-A inside it, EAN-8, Code
128), which is faster and keeps other symbologies' false reads out. Text is kept
exactly as decoded, control characters included: the till classifies and rejects it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp
from cv2.typing import MatLike
from numpy.typing import NDArray

from devices.errors import DeviceError

GrayImage = NDArray[np.uint8]

ZXING = "zxing-cpp"
ZBAR = "pyzbar"
ENGINES = (ZXING, ZBAR)
"""Every engine, in the order they are tried."""

# UPC-A is read as the EAN-13 it is a subset of: the AIM identifier ]E0 carries 13
# digits, leading zero included, which zxing-cpp reports and zbar (with its UPC-A
# symbology left off) does too, so both engines give the till the same text.
_ZXING_FORMATS = zxingcpp.barcode_formats_from_str("QRCode,EAN13,EAN8,Code128")
# zbar names its symbologies; zbar has no ECI, so its QR codes are all ]Q1.
_ZBAR_AIM = {"QRCODE": "]Q1", "EAN13": "]E0", "EAN8": "]E4", "CODE128": "]C0"}


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    """The payload as decoded; it may hold control characters."""
    symbology: str
    """The AIM symbology identifier (`]Q1` QR, `]E0` EAN-13 and UPC-A, ...)."""


class Decoder(Protocol):
    """Reads the codes in one image.

    `decode()` takes a 2-D uint8 (grayscale) image and returns each distinct code it
    found, in the engine's order, or an empty list. It raises nothing for an image
    without codes or with unreadable ones; it may be called from any thread.
    """

    name: str

    def decode(self, gray: GrayImage) -> list[Decoded]: ...


def prepare(image: MatLike, width: int = 640, height: int = 480) -> GrayImage:
    """An image as the engines take it: grey, shrunk (never enlarged) to fit
    width x height with its aspect kept.

    A code held up to a camera needs no more pixels than that; fewer keep decoding
    to a few milliseconds, and averaging pixels down also smooths sensor noise.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    rows, columns = gray.shape
    scale = min(width / columns, height / rows)
    if scale < 1:
        size = (max(1, round(columns * scale)), max(1, round(rows * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return np.asarray(gray, dtype=np.uint8)


def _distinct(codes: Iterable[Decoded]) -> list[Decoded]:
    """The same code printed twice in one picture is one code."""
    return list(dict.fromkeys(codes))


class ZxingDecoder:
    """zxing-cpp, trying rotated (90 degrees) and inverted (light on dark) readings."""

    name = ZXING

    def decode(self, gray: GrayImage) -> list[Decoded]:
        # No downscaled passes: images come at camera size (see `prepare`), where
        # they cost a fifth more time for a few more reads (none once pyzbar is
        # behind: 358 of bench/decode.py's 360 frames either way), and where they read
        # phantom EAN-13 codes with valid check digits off bars 3 pixels wide (3 in
        # 270 frames of tests/frames.py's 6901234567892).
        # Plain text, not the default HRI, which would turn control characters into
        # "<ESC>" and so change the payload.
        results = zxingcpp.read_barcodes(
            gray,
            formats=_ZXING_FORMATS,
            try_downscale=False,
            text_mode=zxingcpp.TextMode.Plain,
        )
        return _distinct(Decoded(result.text, result.symbology_identifier) for result in results)


class ZbarDecoder:
    """pyzbar on the system's libzbar, after a noise filter; raises DeviceError when
    libzbar cannot be loaded."""

    name = ZBAR

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar
        except (ImportError, OSError) as error:
            raise DeviceError(
                "Decode engine pyzbar not available",
                f"libzbar could not be loaded ({error}); install libzbar0 or leave "
                f"{ZBAR} out of the camera's engines.",
            ) from error
        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol[name] for name in _ZBAR_AIM]

    def decode(self, gray: GrayImage) -> list[Decoded]:
        # zbar follows every edge it meets, and a camera's sensor noise on a plain
        # background is edges everywhere. A 3x3 median removes that noise and keeps
        # bars and modules two pixels wide or more: on bench/decode.py's frames zbar
        # then read 40 of the 40 noisy ones instead of 10, and ran faster.
        results = self._pyzbar.decode(cv2.medianBlur(gray, 3), symbols=self._symbols)
        # zbar hands back bytes, UTF-8 for the text it recognised; anything else
        # becomes U+FFFD, which the till rejects like any other unprintable payload.
        return _distinct(
            Decoded(result.data.decode("utf-8", "replace"), _ZBAR_AIM.get(result.type, ""))
            for result in results
        )


class ChainDecoder:
    """Each engine in turn, until one finds something."""

    def __init__(self, engines: Sequence[Decoder]) -> None:
        if not engines:
            raise ValueError("a decoder chain needs at least one engine")
        self.engines = tuple(engines)
        self.name = "+".join(engine.name for engine in self.engines)

    def decode(self, gray: GrayImage, *, first_only: bool = False) -> list[Decoded]:
        """What the first engine that finds anything finds; `first_only` tries only the
        first (the camera's cheap frames, see CameraScanner)."""
        for engine in self.engines[:1] if first_only else self.engines:
            found = engine.decode(gray)
            if found:
                return found
        return []


@functools.cache
def available_engines() -> tuple[str, ...]:
    """The engines that can run here, in the order they are tried."""
    try:
        ZbarDecoder()
    except DeviceError:
        return (ZXING,)
    return ENGINES


def make_decoder(engines: Sequence[str] | None = None) -> ChainDecoder:
    """A chain of the named engines in the given order; by default every available one.

    Raises DeviceError for an unknown engine, or one that cannot run here.
    """
    names = available_engines() if engines is None else engines
    return ChainDecoder([_engine(name) for name in names])


def _engine(name: str) -> Decoder:
    if name == ZXING:
        return ZxingDecoder()
    if name == ZBAR:
        return ZbarDecoder()
    raise DeviceError(
        "Unknown decode engine",
        f"{name!r} is not a decode engine; use {' or '.join(ENGINES)}.",
    )
