"""A store's logo file becomes a 1-bit image that fits the paper, or a clear error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image as Pil
from PIL import ImageDraw

from pos.config import load_config
from pos.domain.errors import PosError
from pos.hardware import store_header
from receipts.document import Document
from receipts.logo import MAX_HEIGHT_DOTS, load_logo
from receipts.render_escpos import render_escpos
from receipts.render_png import render_png


def picture(path: Path, size: tuple[int, int]) -> Path:
    image = Pil.new("RGBA", size, (0, 0, 0, 0))  # transparent: prints as paper
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1] - 1), fill=(0, 0, 0, 255))
    image.save(path)
    return path


def black_dots(rows: tuple[bytes, ...]) -> int:
    return sum(bin(byte).count("1") for row in rows for byte in row)


def test_a_logo_keeps_its_size_when_it_fits_and_black_is_black(tmp_path: Path) -> None:
    logo = load_logo(picture(tmp_path / "logo.png", (100, 40)), columns=48)
    assert logo.width_dots == 104  # whole bytes, padded with paper
    assert len(logo.rows) == 40
    assert black_dots(logo.rows) == 51 * 40  # the left half, and nothing transparent


def test_a_large_logo_is_scaled_down_to_the_paper(tmp_path: Path) -> None:
    logo = load_logo(picture(tmp_path / "logo.png", (2000, 400)), columns=32)
    assert logo.width_dots <= 384
    assert len(logo.rows) <= MAX_HEIGHT_DOTS
    # It renders both ways: as raster bytes and on the PNG preview.
    assert b"\x1dv0" in render_escpos(Document(58, (logo,)))
    assert render_png(Document(58, (logo,))).width == 384


def test_a_file_that_is_not_a_picture_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "logo.png"
    bad.write_bytes(b"not a picture")
    with pytest.raises(PosError, match=r"logo\.png"):
        load_logo(bad, columns=48)


def test_an_unreadable_logo_leaves_the_header_without_one(tmp_path: Path) -> None:
    config = load_config(None, tmp_path, environ={})
    printer = config.settings.printer.model_copy(update={"logo": tmp_path / "missing.png"})
    settings = config.settings.model_copy(update={"printer": printer})
    header = store_header(dataclasses.replace(config, settings=settings))
    assert header.logo is None
    assert header.name == config.settings.store.name
