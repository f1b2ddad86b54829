"""The customer display against real parts: TtyDisplay on a pseudo-terminal whose
master end the test reads as the display's screen, on a FIFO and on paths that are
gone; FileDisplay in a real folder. QR codes are read back with zxing-cpp, from the
very characters written to the terminal and from the PNG."""

from __future__ import annotations

import os
import re
import select
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from support import picture

from devices.customer_display import (
    PNG_NAME,
    TEXT_NAME,
    FileDisplay,
    NoCustomerDisplay,
    TtyDisplay,
)
from devices.errors import DeviceError
from pos.config import load_config
from pos.hardware import build_customer_display

WAIT_S = 10.0
"""How long a test waits for bytes that should come (never a measured duration)."""
CODE_URL = "weixin://wxpay/bizpayurl?pr=Ab3dE5f"
LINES = ["Demo Mart", "Scan with WeChat to pay"]
# What the display wraps its QR rows in: black on white, then a reset.
QR_ROW = re.compile("\x1b\\[30;47;107m(.*?)\x1b\\[0m")
ANSI = re.compile("\x1b\\[[0-9;]*[A-Za-z]")


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """(master fd, slave path): the test reads the master as the display would show it.
    The slave is held open (raw, so bytes arrive as written, as on a serial console
    without output processing) so the pair stays up between the display's opens."""
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(slave)
        os.close(master)


def read_screen(master: int, ending: str) -> str:
    """What reached the terminal, read until it ends with `ending`."""
    received = b""
    while not received.decode("utf-8", "replace").endswith(ending):
        ready, _, _ = select.select([master], [], [], WAIT_S)
        assert ready, f"the display wrote no more; got {received!r}"
        received += os.read(master, 65536)
    return received.decode("utf-8")


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_the_tty_shows_the_amount_and_a_qr_a_phone_reads(pty_pair: tuple[int, str]) -> None:
    master, path = pty_pair
    display = TtyDisplay(path)

    display.show_payment(1250, CODE_URL, LINES)
    screen = read_screen(master, "\x1b[0m\r\n")

    assert screen.startswith("\x1b[0m\x1b[2J\x1b[H")  # a clean screen, cursor home
    plain = ANSI.sub("", screen)
    assert "¥12.50" in plain
    assert all(line in plain for line in LINES)
    rows = QR_ROW.findall(screen)
    assert decode(picture(rows)) == [CODE_URL]

    display.clear()
    assert read_screen(master, "\x1b[H") == "\x1b[0m\x1b[2J\x1b[H"
    display.close()


def test_a_missing_tty_is_a_clear_error() -> None:
    display = TtyDisplay("/dev/no-such-display")

    with pytest.raises(DeviceError) as raised:
        display.show_payment(1250, CODE_URL, LINES)

    assert raised.value.title == "Customer display not reachable"
    assert "/dev/no-such-display" in raised.value.message


def test_a_pty_whose_display_end_has_gone_is_a_clear_error() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    os.close(master)  # the display is unplugged: the terminal is gone

    with pytest.raises(DeviceError) as raised:
        TtyDisplay(path).clear()

    assert path in raised.value.message


def test_a_fifo_nobody_reads_fails_at_once_instead_of_blocking(tmp_path: Path) -> None:
    # A blocking open of a FIFO with no reader waits forever: the open must not block.
    fifo = tmp_path / "display"
    os.mkfifo(fifo)

    with pytest.raises(DeviceError) as raised:
        TtyDisplay(fifo).show_payment(1250, CODE_URL, LINES)

    assert str(fifo) in raised.value.message


def test_a_display_that_takes_nothing_fails_after_its_timeout(tmp_path: Path) -> None:
    fifo = tmp_path / "display"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # there, but never reads
    writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        try:
            while os.write(writer, b"x" * 65536):
                pass
        except BlockingIOError:
            pass  # full: the display is stuck
        with pytest.raises(DeviceError) as raised:
            TtyDisplay(fifo, timeout_s=0.2).show_payment(1250, CODE_URL, LINES)
    finally:
        os.close(writer)
        os.close(reader)

    assert raised.value.title == "Customer display not answering"
    assert "took nothing for 0.2 s" in raised.value.message


def test_the_file_display_writes_a_qr_picture_and_clears_it(tmp_path: Path) -> None:
    out_dir = tmp_path / "display"  # made by the first update
    display = FileDisplay(out_dir)

    display.show_payment(1250, CODE_URL, LINES)

    with Image.open(out_dir / PNG_NAME) as image:
        assert decode(image) == [CODE_URL]
    text = (out_dir / TEXT_NAME).read_text(encoding="utf-8").splitlines()
    assert text == ["¥12.50", *LINES, CODE_URL]

    display.clear()

    with Image.open(out_dir / PNG_NAME) as image:
        assert decode(image) == []
        assert image.getextrema() == (255, 255)  # blank white, for an image viewer
    assert (out_dir / TEXT_NAME).read_text(encoding="utf-8") == ""
    assert sorted(path.name for path in out_dir.iterdir()) == [PNG_NAME, TEXT_NAME]


def test_a_file_display_that_cannot_write_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")

    with pytest.raises(DeviceError) as raised:
        FileDisplay(blocker / "display").show_payment(1250, CODE_URL, LINES)

    assert "not-a-folder" in raised.value.message


def test_no_display_does_nothing() -> None:
    display = NoCustomerDisplay()
    display.show_payment(1250, CODE_URL, LINES)
    display.clear()
    display.close()


def test_the_configured_display_is_built(tmp_path: Path) -> None:
    config_file = tmp_path / "pos.toml"
    config_file.write_text('[customer_display]\nkind = "file"\n', encoding="utf-8")
    config = load_config(config_file, tmp_path / "data", environ={})

    display, name = build_customer_display(config)

    assert isinstance(display, FileDisplay)
    assert display.png_path == tmp_path / "data" / "customer-display" / PNG_NAME
    assert name == f"file {tmp_path / 'data' / 'customer-display'}"

    config_file.write_text('[customer_display]\nkind = "tty"\npath = "tty9"\n', encoding="utf-8")
    config = load_config(config_file, tmp_path / "data", environ={})
    display, name = build_customer_display(config)
    assert isinstance(display, TtyDisplay)
    assert name == f"tty {tmp_path / 'tty9'}"  # relative to the file, like every path
