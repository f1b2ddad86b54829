"""The customer display: a screen facing the customer that shows what to pay and the
store's payment QR while a store-QR payment waits.

Kinds (pos.toml [customer_display] kind):

- `none`: no display; every call does nothing.
- `tty`: a second screen attached as a terminal device (/dev/tty2, a serial console,
  a pseudo-terminal). Each update opens the device, writes a whole screen (clear,
  the amount large, the QR in half blocks black on white) and closes it again, so an
  unplugged or re-attached display is found again by the next update with no
  reconnect logic, as the printer's transports do. The open is non-blocking and every
  write waits with poll() for at most the timeout, so a display that is gone or stuck
  costs the payment's worker that long at most and never hangs it.
- `file`: `customer-display.png` (the QR and the amount, a picture a phone reads) and
  `customer-display.txt` written into a folder, for a kiosk browser or an image viewer
  that reloads them; each file is replaced atomically, so a viewer never reads half a
  picture.

Failures raise DeviceError worded for the technician; callers show it as a notice and
go on: a display never affects a payment.
"""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path
from typing import Protocol

from devices.errors import DeviceError
from pos.domain.money import format_amount
from receipts.qr_text import qr_text

PNG_NAME = "customer-display.png"
TEXT_NAME = "customer-display.txt"

# ANSI: clear the screen and home the cursor; reset attributes.
_CLEAR = "\x1b[0m\x1b[2J\x1b[H"
_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
# Black on white for the QR. 47 is the white every terminal knows (light grey on the
# Linux console, still plenty of contrast); 107, bright white, follows it for the
# terminals that have it and is ignored by those that do not.
_QR_COLOURS = "\x1b[30;47;107m"
# A serial console may have no output post-processing (no LF -> CR LF): say both.
_NEWLINE = "\r\n"


class CustomerDisplay(Protocol):
    """A screen facing the customer.

    `show_payment(amount_fen, code_url, lines)` shows the amount to pay, the QR code of
    `code_url` and a few lines of text (the store's name, what to do); `clear()`
    blanks it when the payment is over. Both may block for about the display's
    timeout and raise DeviceError when the display cannot be reached or written:
    call them off the UI's event loop. `close()` releases whatever is held; it may be
    called more than once.
    """

    def show_payment(self, amount_fen: int, code_url: str, lines: list[str]) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


class NoCustomerDisplay:
    """No display: the default."""

    def show_payment(self, amount_fen: int, code_url: str, lines: list[str]) -> None:
        """Nothing to show on."""

    def clear(self) -> None:
        """Nothing to clear."""

    def close(self) -> None:
        """Nothing held."""


def amount_text(amount_fen: int) -> str:
    """The amount as the customer reads it: ¥12.50."""
    return f"¥{format_amount(amount_fen)}"


# Big digits for the amount, 3 columns by 3 lines in half blocks: readable from a
# step away on an 80 x 24 console, and plain text (no font, no graphics).
_BIG = {
    "0": ("█▀█", "█ █", "▀▀▀"),
    "1": (" █ ", " █ ", " ▀ "),
    "2": ("▀▀█", "█▀▀", "▀▀▀"),
    "3": ("▀▀█", " ▀█", "▀▀▀"),
    "4": ("█ █", "▀▀█", "  ▀"),
    "5": ("█▀▀", "▀▀█", "▀▀▀"),
    "6": ("█▀▀", "█▀█", "▀▀▀"),
    "7": ("▀▀█", "  █", "  ▀"),
    "8": ("█▀█", "█▀█", "▀▀▀"),
    "9": ("█▀█", "▀▀█", "▀▀▀"),
    ".": ("   ", "   ", " ▀ "),
    "¥": ("█ █", "▀█▀", "▀█▀"),
    "-": ("   ", "▀▀▀", "   "),
}


def big_text(text: str) -> list[str]:
    """`text` (digits, '.', '¥', '-') in big half-block characters, three lines."""
    glyphs = [_BIG[char] for char in text]
    return [" ".join(glyph[row] for glyph in glyphs) for row in range(3)]


def payment_screen(amount_fen: int, code_url: str, lines: list[str]) -> str:
    """The whole terminal screen for a waiting payment: ANSI text, lines ending CR LF."""
    amount = amount_text(amount_fen)
    out = [_CLEAR]
    out += [f"{_BOLD}  {row}{_RESET}{_NEWLINE}" for row in big_text(amount)]
    out.append(f"{_BOLD}  {amount}{_RESET}{_NEWLINE}")  # also plain, for any font
    out += [f"  {line}{_NEWLINE}" for line in lines]
    out += [f"  {_QR_COLOURS}{row}{_RESET}{_NEWLINE}" for row in qr_text(code_url)]
    return "".join(out)


class TtyDisplay:
    """A customer display attached as a terminal device (see the module's docstring)."""

    def __init__(self, path: Path | str, timeout_s: float = 1.0) -> None:
        if timeout_s <= 0:
            raise ValueError(f"display timeout must be positive, got {timeout_s}")
        self._path = Path(path)
        self._timeout_s = timeout_s
        # One screen at a time: a clear must not interleave with a payment's screen.
        self._lock = threading.Lock()

    def show_payment(self, amount_fen: int, code_url: str, lines: list[str]) -> None:
        self._write(payment_screen(amount_fen, code_url, lines))

    def clear(self) -> None:
        self._write(_CLEAR)

    def close(self) -> None:
        """The device is opened for each update; nothing is held between them."""

    def _write(self, screen: str) -> None:
        data = memoryview(screen.encode("utf-8"))
        with self._lock:
            try:
                # O_NONBLOCK: opening a serial line waits for carrier and a FIFO for a
                # reader; neither may hold the payment. O_NOCTTY: never become the
                # till's controlling terminal.
                fd = os.open(self._path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
            except OSError as error:
                raise DeviceError(
                    "Customer display not reachable",
                    f"Could not open the customer display at {self._path}: "
                    f"{error.strerror or error}. Check that it is connected and that "
                    "[customer_display] path is right.",
                ) from error
            try:
                self._send(fd, data)
            except OSError as error:
                reason = (
                    f"it took nothing for {self._timeout_s:g} s"
                    if isinstance(error, TimeoutError)
                    else error.strerror or str(error)
                )
                raise DeviceError(
                    "Customer display not answering",
                    f"The customer display at {self._path} stopped taking the screen: {reason}.",
                ) from error
            finally:
                os.close(fd)

    def _send(self, fd: int, data: memoryview) -> None:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        timeout_ms = int(self._timeout_s * 1000)
        while data:
            # The timeout measures progress: a slow serial line is fine while it takes bytes.
            events = poller.poll(timeout_ms)
            if not events:
                raise TimeoutError
            if any(
                flags & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _, flags in events
            ):
                raise OSError(5, "the display hung up")  # EIO, what a write would say
            try:
                data = data[os.write(fd, data) :]
            except BlockingIOError:
                continue


class FileDisplay:
    """A customer display as files in a folder (see the module's docstring)."""

    def __init__(self, out_dir: Path | str) -> None:
        self._dir = Path(out_dir)
        self._lock = threading.Lock()

    @property
    def png_path(self) -> Path:
        return self._dir / PNG_NAME

    @property
    def text_path(self) -> Path:
        return self._dir / TEXT_NAME

    def show_payment(self, amount_fen: int, code_url: str, lines: list[str]) -> None:
        amount = amount_text(amount_fen)
        text = "\n".join([amount, *lines, code_url]) + "\n"
        self._write(payment_picture(amount, code_url), text)

    def clear(self) -> None:
        # A blank picture rather than no file: an image viewer shows white, not an error.
        self._write(payment_picture(None, None), "")

    def close(self) -> None:
        """Each update opens and closes its files."""

    def _write(self, png: bytes, text: str) -> None:
        with self._lock:
            try:
                self._dir.mkdir(parents=True, exist_ok=True)
                _replace(self.png_path, png)
                _replace(self.text_path, text.encode("utf-8"))
            except OSError as error:
                raise DeviceError(
                    "Customer display folder not writable",
                    f"Could not write the customer display's files in {self._dir}: "
                    f"{error.strerror or error}.",
                ) from error


_SIDE_DOTS = 480
"""The picture's width; the QR is 10 pixels a module, fewer for a long code_url."""
_MODULE_DOTS = 10


def payment_picture(amount: str | None, code_url: str | None) -> bytes:
    """The file display's PNG: the QR with the amount under it; blank white without."""
    import io

    from PIL import Image, ImageDraw, ImageFont  # Pillow: only for a file display

    from receipts.render_png import qr_image

    canvas = Image.new("L", (_SIDE_DOTS, _SIDE_DOTS + 80), 255)
    if code_url is not None:
        qr = qr_image(code_url, _MODULE_DOTS, _SIDE_DOTS)
        canvas.paste(qr, ((_SIDE_DOTS - qr.width) // 2, (_SIDE_DOTS - qr.height) // 2))
    if amount is not None:
        font = ImageFont.load_default(48)
        ImageDraw.Draw(canvas).text(
            (_SIDE_DOTS // 2, _SIDE_DOTS + 40), amount, fill=0, font=font, anchor="mm"
        )
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


def _replace(path: Path, data: bytes) -> None:
    """Writes `path` whole or not at all: a temporary file beside it, then a rename."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
