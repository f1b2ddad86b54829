"""A store's logo file as a 1-bit Image block for the receipt header.

Thermal printers print black dots on white: the picture is flattened onto white,
scaled down (never up) to fit the paper, and dithered to 1 bit, so a colour logo
prints as recognisable shading rather than a black block.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image as Pil
from PIL import UnidentifiedImageError

from pos.domain.errors import PosError
from receipts.document import Image
from receipts.render_png import paper_dots

MAX_HEIGHT_DOTS = 240
"""A logo taller than 30 mm wastes paper on every receipt."""


def load_logo(path: Path, columns: int) -> Image:
    """The logo at `path` fitted to a paper of `columns` characters; PosError if unreadable."""
    try:
        with Pil.open(path) as picture:
            picture.load()
            rgba = picture.convert("RGBA")
    except (OSError, UnidentifiedImageError) as error:
        raise PosError("Logo unreadable", f"{path}: {error}") from error
    white = Pil.new("RGBA", rgba.size, "white")
    flat = Pil.alpha_composite(white, rgba).convert("L")
    scale = min(1.0, paper_dots(columns) / flat.width, MAX_HEIGHT_DOTS / flat.height)
    if scale < 1.0:
        size = (max(1, int(flat.width * scale)), max(1, int(flat.height * scale)))
        flat = flat.resize(size, Pil.Resampling.LANCZOS)
    # ESC/POS rasters are whole bytes wide; pad the right edge with white.
    width = (flat.width + 7) // 8 * 8
    padded = Pil.new("L", (width, flat.height), 255)
    padded.paste(flat, (0, 0))
    # Mode "1" stores 1 for white; the printer's 1 is a black dot.
    bits = padded.convert("1").point(lambda value: 255 - value)
    data = bits.tobytes()
    row_bytes = width // 8
    rows = tuple(data[row * row_bytes : (row + 1) * row_bytes] for row in range(flat.height))
    return Image(width, rows)
