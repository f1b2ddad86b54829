"""Camera frames made here, so decode tests and bench/decode.py need no binary fixtures.

Each frame is a 640x480 grayscale picture of one code on a lit, slightly uneven
background, optionally distorted the way a camera at a till distorts it (tilted,
out of focus, noisy sensor, far away, poor light). The EAN-13 bars are drawn from
the standard's encoding tables rather than by a library, so the symbol is exactly
what a product label carries. Parameters come from a seeded generator: the same
seed gives the same frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

import cv2
import numpy as np
import qrcode
from numpy.typing import NDArray

Image = NDArray[np.uint8]
Distortion = Literal[
    "clean",
    "rotated15",
    "rotated45",
    "rotated90",
    "blurred",
    "perspective",
    "noisy",
    "small",
    "low_contrast",
]
DISTORTIONS: tuple[Distortion, ...] = get_args(Distortion)

WECHAT_CODE = "134567890123456789"
ALIPAY_CODE = "286543210987654321"
MEMBER_CODE = "M1:7d2c4e9a0b1f"
EAN13_CODE = "6901234567892"

WIDTH, HEIGHT = 640, 480
BLACK, WHITE = 0, 255

# EAN-13 digit patterns, one character a module ("1" is a bar): set A (L), and the
# parity of the six left-hand digits chosen by the first digit, which is not drawn.
_L_CODES = (
    "0001101",
    "0011001",
    "0010011",
    "0111101",
    "0100011",
    "0110001",
    "0101111",
    "0111011",
    "0110111",
    "0001011",
)
_PARITY = (
    "LLLLLL",
    "LLGLGG",
    "LLGGLG",
    "LLGGGL",
    "LGLLGG",
    "LGGLLG",
    "LGGGLL",
    "LGLGLG",
    "LGLGGL",
    "LGGLGL",
)
_EAN_QUIET_MODULES = 11
_EAN_BAR_MODULES = 60


def _r_code(digit: int) -> str:
    """Set C (right half): set A with bars and spaces swapped."""
    return _L_CODES[digit].translate(str.maketrans("01", "10"))


def _g_code(digit: int) -> str:
    """Set B (even parity on the left): set C read backwards."""
    return _r_code(digit)[::-1]


def ean13_modules(code: str) -> str:
    """The 95 modules of an EAN-13 symbol, guards included."""
    if len(code) != 13 or not code.isdigit():
        raise ValueError(f"an EAN-13 code is 13 digits, got {code!r}")
    digits = [int(char) for char in code]
    left = "".join(
        _L_CODES[digit] if parity == "L" else _g_code(digit)
        for digit, parity in zip(digits[1:7], _PARITY[digits[0]], strict=True)
    )
    right = "".join(_r_code(digit) for digit in digits[7:])
    return "101" + left + "01010" + right + "101"


def ean13_symbol(code: str) -> Image:
    """The symbol at one pixel a module, with its quiet zones, bars 60 modules tall."""
    row = np.array([BLACK if bit == "1" else WHITE for bit in ean13_modules(code)], np.uint8)
    row = np.pad(row, _EAN_QUIET_MODULES, constant_values=WHITE)
    return np.tile(row, (_EAN_BAR_MODULES, 1))


def qr_symbol(data: str | bytes) -> Image:
    """The QR symbol at one pixel a module, with its four-module quiet zone."""
    code = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    matrix = np.array(code.get_matrix(), dtype=bool)
    return np.where(matrix, BLACK, WHITE).astype(np.uint8)


def _background(rng: np.random.Generator) -> Image:
    """Paper under a lamp: a light, smooth gradient with a little texture."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xs / WIDTH + np.sin(angle) * ys / HEIGHT) * rng.uniform(20, 45)
    texture = rng.normal(0, 3, (HEIGHT, WIDTH))
    return np.clip(200 + ramp + texture, 0, 255).astype(np.uint8)


def _scaled(symbol: Image, area_fraction: float) -> Image:
    """The symbol, quiet zone included, resized to cover `area_fraction` of a frame."""
    height, width = symbol.shape
    scale = float(np.sqrt(area_fraction * WIDTH * HEIGHT / (width * height)))
    size = (round(width * scale), round(height * scale))
    return cv2.resize(symbol, size, interpolation=cv2.INTER_AREA)


def _rotated(symbol: Image, degrees: float) -> Image:
    """The symbol turned about its centre, on a canvas grown to hold all of it."""
    height, width = symbol.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    size = (round(width * cos + height * sin), round(width * sin + height * cos))
    matrix[:, 2] += (size[0] - width) / 2, (size[1] - height) / 2
    return cv2.warpAffine(symbol, matrix, size, borderValue=WHITE)


def _tilted(symbol: Image, rng: np.random.Generator) -> Image:
    """The symbol seen obliquely: one edge farther away, so shorter, than the opposite one."""
    height, width = symbol.shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    centre = np.array([width / 2, height / 2], np.float32)
    moved = corners.copy()
    side = int(rng.integers(0, 4))
    pull = rng.uniform(0.15, 0.3)
    for corner in (side, (side + 1) % 4):
        moved[corner] += (centre - corners[corner]) * pull
    matrix = cv2.getPerspectiveTransform(corners, moved)
    return cv2.warpPerspective(symbol, matrix, (width, height), borderValue=WHITE)


def _placed(symbol: Image, rng: np.random.Generator) -> Image:
    """A frame with the symbol near its centre, shrunk first if it would not fit."""
    height, width = symbol.shape
    fit = min(1.0, 0.95 * WIDTH / width, 0.95 * HEIGHT / height)
    if fit < 1.0:
        size = (int(width * fit), int(height * fit))
        symbol = cv2.resize(symbol, size, interpolation=cv2.INTER_AREA)
        height, width = symbol.shape
    frame = _background(rng)
    top = (HEIGHT - height) // 2 + int(rng.integers(-8, 9) * fit)
    left = (WIDTH - width) // 2 + int(rng.integers(-8, 9) * fit)
    top, left = max(0, min(top, HEIGHT - height)), max(0, min(left, WIDTH - width))
    # Ink darkens the paper under the lamp: the white of the label keeps the light.
    region = frame[top : top + height, left : left + width]
    region[:] = np.minimum(region, symbol)
    return frame


def _noisy(frame: Image, rng: np.random.Generator) -> Image:
    noise = rng.normal(0, rng.uniform(15, 25), frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def _low_contrast(frame: Image, rng: np.random.Generator) -> Image:
    """A dim, washed-out picture: the whole range squeezed into 35-50 grey levels."""
    span = rng.uniform(35, 50)
    floor = rng.uniform(90, 130)
    return (floor + frame.astype(np.float32) * span / 255).astype(np.uint8)


def camera_frame(symbol: Image, distortion: Distortion = "clean", seed: int = 0) -> Image:
    """A 640x480 grayscale frame showing `symbol` with one distortion applied.

    The symbol with its quiet zone covers 30-40% of the frame, or 15% when "small";
    it is turned or tilted before it is placed, blurred or spoilt after.
    """
    rng = np.random.default_rng(seed)
    area = 0.15 if distortion == "small" else rng.uniform(0.3, 0.4)
    shaped = _scaled(symbol, area)
    if distortion.startswith("rotated"):
        shaped = _rotated(shaped, float(distortion.removeprefix("rotated")))
    elif distortion == "perspective":
        shaped = _tilted(shaped, rng)
    picture = _placed(shaped, rng)
    if distortion == "blurred":
        return cv2.GaussianBlur(picture, (0, 0), rng.uniform(1.5, 2.2))
    if distortion == "noisy":
        return _noisy(picture, rng)
    if distortion == "low_contrast":
        return _low_contrast(picture, rng)
    return picture


def empty_frame(seed: int = 0) -> Image:
    """The counter with nothing held up to the camera."""
    return _background(np.random.default_rng(seed))


def write_sequence(folder: Path, frames: Sequence[Image]) -> str:
    """Write frames as 0000.png, 0001.png, ...; returns the pattern OpenCV opens."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, picture in enumerate(frames):
        if not cv2.imwrite(str(folder / f"{index:04d}.png"), picture):
            raise OSError(f"could not write frame {index} to {folder}")
    return str(folder / "%04d.png")


def write_video(path: Path, frames: Sequence[Image], fps: float = 10.0) -> Path:
    """Write frames as an MJPG .avi, the recording format OpenCV's wheels can read back."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    if not writer.isOpened():
        raise OSError(f"could not open a video writer for {path}")
    try:
        for picture in frames:
            writer.write(cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return path
