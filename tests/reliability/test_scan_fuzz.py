"""Scan fuzzing: hostile payloads through every scanner path into the running till.

One till runs (App.run_test, on a real ledger file) in a thread of its own for the
whole test, signed in on the sale screen, with a serial scanner on a real pty pair
wired as `pos run` wires it. Each payload goes in

- typed: into the entry line, then Enter;
- scanned: through `SaleScreen.scan`, what every scanner calls;
- as a keyboard-wedge burst of keys (printable payloads up to 300 characters);
- over the serial line: its bytes and CR written to the pty's master side;
- through the camera (the corpus's QR-encodable payloads): frames of generated QR
  codes read by the real capture and decode path;
- as key events through the evdev reader's framing (Hypothesis), short of a kernel
  input device, which this machine cannot make.

Pass, for every payload and path: the till still runs, nothing is in the cart or the
ledger, the message line shows a refusal as plain text (no markup applied, no escape
sequence, no style of its own), and every refusal has a reason: on the message line,
or (a line the serial framer drops before it is a scan) in the scanner's status.

Payloads: a corpus (markup, ANSI/OSC/DCS escapes, C0/C1 controls, invalid UTF-8 and
GB18030 bytes, 1 MB strings, the demo store's codes off by one digit, valid signed
member and coupon codes with one signature bit flipped) and Hypothesis (any text, any
bytes, markup and near-codes built from the catalog). CI runs a sample of the corpus
and 60 Hypothesis cases; POS_FUZZ_EXAMPLES=2000 is the full run (the whole corpus).
$POS_FUZZ_SEED replays one.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import cv2
import numpy as np
import pytest
import qrcode
from chain_coupons import chain_coupon
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from reliability.figures import report
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static
from tui.tui_helpers import (
    TillUnderTest,
    cart_rows,
    make_till,
    scanner_burst,
    seed_template,
    settle,
    start_selling,
    text_of,
    until,
)

from cloud.member_codes import DEMO_CHAIN_KEY, dynamic_member_code
from devices.camera_scanner import CameraScanner
from devices.evdev_scanner import KeyboardLines
from devices.scan_framing import LineFramer
from devices.scan_framing import Rejected as Dropped
from devices.scans import DeviceState, DeviceStatus, Scan
from devices.serial_scanner import SerialScanner
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.domain.codes import decode_b64url, encode_b64url
from pos.hardware import Devices
from pos.loyalty_setup import open_loyalty
from pos.scan_outcomes import Refused
from pos.tui.app import PosApp
from pos.tui.messages import ScannerChanged, ScannerRead
from pos.tui.screens.sale import SaleScreen
from pos.tui.widgets import MessageLine

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("POS_FUZZ_EXAMPLES", "60"))
FULL = EXAMPLES >= 1000
"""The full run also sends the whole corpus (CI samples its largest families)."""
SEED = int(os.environ.get("POS_FUZZ_SEED", random.SystemRandom().randrange(1 << 30)))
MEGABYTE = 1 << 20
WEDGE_MAX = 300
T = TypeVar("T")


# -- the corpus ---------------------------------------------------------------------


def off_by_one_digit(code: str) -> list[str]:
    """Each digit of `code` changed by one up and one down: near-valid codes."""
    variants = []
    for position, char in enumerate(code):
        if char.isdigit():
            for step in (1, 9):
                digit = str((int(char) + step) % 10)
                variants.append(code[:position] + digit + code[position + 1 :])
    return variants


def flipped_signatures(code: str, bits: list[int]) -> list[str]:
    """`code` with one bit of its Ed25519 signature flipped, for each of `bits`."""
    body, _, signature = code.rpartition(".")
    raw = decode_b64url(signature)
    forged = []
    for bit in bits:
        changed = bytearray(raw)
        changed[bit // 8] ^= 1 << (bit % 8)
        forged.append(f"{body}.{encode_b64url(bytes(changed))}")
    return forged


TEXT_CORPUS = {
    "markup-bold": "[bold]x[/bold]",
    "markup-link": "[link=https://evil.example]y[/link]",
    "markup-close": "[/]",
    "markup-style": "[red on white blink]PAID[/]",
    "markup-action": "[@click=app.quit]x[/]",
    "markup-around-code": "[b]6921168509256[/b]",
    "ansi-sgr": "\x1b[31mred\x1b[0m",
    "ansi-clear": "\x1b[2J\x1b[H",
    "ansi-c1-csi": "\x9b31mred",
    "osc-title": "\x1b]0;pwned\x07",
    "osc-clipboard": "\x1b]52;c;ZXZpbA==\x07",
    "osc-hyperlink": "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "dcs": "\x1bPq#0;2;0;0;0\x1b\\",
    "bidi": "\u202e6921168509256",
    "zero-width": "6921\u200b168509256",
    "fullwidth-digits": "６９２１１６８５０９２５６",
    "lone-surrogate": "\udcff",
    "surrogate-in-code": "692116\udc80509256",
    "replacement": "\ufffd6921168509256",
    "megabyte-digits": "6" * MEGABYTE,
    "megabyte-markup": "[bold]" * (MEGABYTE // 6),
    "megabyte-escapes": "\x1b[31m" * (MEGABYTE // 5),
    **{f"control-{code:02x}": f"692116{chr(code)}509256" for code in [*range(32), 127]},
    **{f"c1-{code:02x}": f"692116{chr(code)}509256" for code in (0x80, 0x85, 0x9B, 0x9D)},
}
BYTES_CORPUS = {
    "utf8-invalid-ff": b"\xff\xfe6921168509256",
    "utf8-bad-continuation": b"\xc3\x28",
    "utf8-overlong-slash": b"\xc0\xaf",
    "utf8-encoded-surrogate": b"\xed\xa0\x80",
    "utf8-truncated": b"6921168509256\xe4\xb8",
    "gb18030-text": "农夫山泉".encode("gb18030"),
    "gb18030-truncated-4byte": b"\x81\x30\x81",
    "gb18030-bad-trail": b"\x81\x7f",
    "nul-bytes": b"\x00" * 64,
    "megabyte-bytes": b"6" * MEGABYTE,
}


# -- the running till --------------------------------------------------------------


@dataclass
class Figures:
    cases: Counter[str] = field(default_factory=Counter)
    """Payloads sent, by path."""
    refusals: Counter[str] = field(default_factory=Counter)
    """Where each refusal's reason was found: the message line or the scanner status."""
    forged_refused: int = 0
    evdev_into_the_till: int = 0
    """Evdev lines the framer passed, so the till itself refused them."""
    skipped_valid: int = 0
    """Hypothesis payloads that are real codes of the demo store (rung up as they
    should be), so not a rejection to check."""


class RunningTill:
    """A PosApp under App.run_test on a loop in its own thread; the test thread sends
    it coroutines to run and waits for their results."""

    def __init__(self, till: TillUnderTest, serial: SerialScanner) -> None:
        self.till = till
        self.app: PosApp = till.app()
        self.app.devices = Devices(
            self.app.devices.printer, self.app.devices.drawer, serial, "simulator", "serial pty"
        )
        self.loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready: Future[Pilot[Any]] = Future()
        self._thread = threading.Thread(target=self.loop.run_until_complete, args=(self._run(),))
        self._thread.start()
        self.pilot = self._ready.result(timeout=60)

    async def _run(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with self.app.run_test(size=(120, 36)) as pilot:
                await start_selling(pilot)
                self._ready.set_result(pilot)
                await self._stop.wait()
        except BaseException as error:
            if not self._ready.done():
                self._ready.set_exception(error)
            raise

    def call(self, job: Callable[[Pilot[Any]], Awaitable[T]], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(job(self.pilot), self.loop).result(timeout)

    def close(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)
        self.loop.close()

    @property
    def screen(self) -> SaleScreen:
        screen = self.app.screen
        assert isinstance(screen, SaleScreen), f"the sale screen gave way to {screen}"
        return screen


@pytest.fixture(scope="module")
def figures() -> Iterator[Figures]:
    counted = Figures()
    yield counted
    report(
        "scan_fuzz",
        SEED,
        cases=sum(counted.cases.values()),
        **{f"cases_{path}": n for path, n in sorted(counted.cases.items())},
        refused_with_reason=sum(counted.refusals.values()),
        forged_codes_refused=counted.forged_refused,
        evdev_lines_into_the_till=counted.evdev_into_the_till,
        valid_codes_skipped=counted.skipped_valid,
        added_to_cart=0,  # asserted after every case
    )


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


@pytest.fixture
def running(tmp_path: Path, pty_pair: tuple[int, str]) -> Iterator[RunningTill]:
    till = make_till(seed_template(tmp_path / "template"), tmp_path / "till")
    # A flood guard of 20 lines a second would drop most of a fuzz run's lines as a
    # flood; every line must reach the framer's other checks and the app.
    serial = SerialScanner(pty_pair[1], max_lines_per_second=1_000_000, reconnect_interval_s=0.2)
    running = RunningTill(till, serial)
    try:
        running.call(lambda pilot: until(pilot, lambda: _serial_ready(running.app), "the pty"))
        yield running
    finally:
        running.close()
        till.close()
    # Nothing was sold or kept as a sale in progress, however the payloads went.
    assert till.events("sale.completed") == []
    assert till.drafts() == []


def _serial_ready(app: PosApp) -> bool:
    status = app.scanner_status
    return status is not None and status.state is DeviceState.READY


# -- one payload, one path ------------------------------------------------------------


class Probe:
    """Sends payloads into the running till and checks what it did with each."""

    def __init__(self, running: RunningTill, master: int, figures: Figures) -> None:
        self.running, self.master, self.figures = running, master, figures
        self.rebase()
        # How a plain refusal looks (a code of no shape): every refusal must look so.
        running.call(lambda pilot: self._app_path(pilot, "xyz", "scanned"))
        self.refusal_css = running.screen.query_one("#message", Static).styles.css

    def rebase(self) -> None:
        """Take the status bar as it is now as the one no payload may change (the test's
        own setup, enrolling a member, journals events and so moves the unsynced count)."""
        self.status_bar = self._status_shape()

    def _status_shape(self) -> str:
        # Numbers masked: the unsynced count moves as the cloud poll reports it.
        return re.sub(r"\d+", "#", text_of(self.running.screen.query_one("#status", Static)))

    def all_paths(self, payload: str | bytes, *, forged: bool = False) -> None:
        if isinstance(payload, bytes):
            self.serial(payload)
            # As text, the bytes are what a bad decode makes of them: lone surrogates.
            payload = payload.decode("utf-8", "surrogateescape")
        else:
            self.serial(payload.encode("utf-8", "surrogateescape"))
        for path in ("typed", "scanned"):
            self.running.call(lambda pilot, path=path: self._app_path(pilot, payload, path))
            self._check(payload, path, forged=forged)
        if payload.isprintable() and 0 < len(payload) <= WEDGE_MAX and payload.strip():
            self.running.call(lambda pilot: self._app_path(pilot, payload, "wedge"))
            self._check(payload, "wedge", forged=forged)

    async def _clear(self, pilot: Pilot[Any]) -> None:
        self.running.screen.query_one(MessageLine).say("")
        self.running.app.scanner_status = None
        await pilot.pause()

    async def _app_path(self, pilot: Pilot[Any], payload: str, path: str) -> None:
        await self._clear(pilot)
        screen = self.running.screen
        if path == "typed":
            entry = screen.query_one("#entry", Input)
            entry.value = payload
            await pilot.press("enter")
        elif path == "scanned":
            screen.scan(payload)
        else:
            await scanner_burst(pilot, payload)
        await settle(pilot)

    async def post_scan(self, pilot: Pilot[Any], scan: Scan) -> None:
        """A reader's scan, posted to the app as every reader's thread posts it."""
        await self._clear(pilot)
        self.running.app.post_message(ScannerRead(scan))
        await settle(pilot)

    def check_refused(self, payload: str, path: str) -> None:
        self._check(payload, path, count=False)

    def serial(self, data: bytes) -> None:
        """Write the line to the pty and wait for the last line's outcome."""
        self.running.call(self._clear)
        line = data + b"\r"
        results = LineFramer(source="serial", max_length=256).feed(line, 0.0)
        written = 0
        while written < len(line):  # a megabyte goes as fast as the scanner reads it
            written += os.write(self.master, line[written : written + 65536])
        last = results[-1] if results else None

        def arrived() -> bool:
            status = self.running.app.scanner_status
            if isinstance(last, Dropped):
                # Which reason depends on how the bytes were cut into reads (a long
                # line is dropped as it grows, or whole at its CR): any, but one.
                return status is not None and ": dropped " in status.detail
            return bool(self._message())

        if last is not None:
            self.running.call(lambda pilot: until(pilot, arrived, "the serial line's outcome"))
            self.running.call(settle)
        self._check_serial(data, last)

    def _check_serial(self, data: bytes, last: Scan | Dropped | None) -> None:
        self.figures.cases["serial"] += 1
        if isinstance(last, Dropped):
            self.figures.refusals["scanner_status"] += 1
            self._check_nothing_changed()
        elif last is not None and last.text.strip():
            self._check(last.text, "serial", count=False)

    def _message(self) -> str:
        return text_of(self.running.screen.query_one("#message", Static))

    def _check_nothing_changed(self) -> None:
        screen = self.running.screen  # still the sale screen: no dialog was opened
        assert screen.checkout.cart.is_empty
        assert cart_rows(screen) == []
        assert self._status_shape() == self.status_bar
        assert self.running.app.is_running

    def _check(self, payload: str, path: str, *, forged: bool = False, count: bool = True) -> None:
        if count:
            self.figures.cases[path] += 1
        self._check_nothing_changed()
        if not payload.strip():
            return  # an empty line is no scan: nothing to refuse
        line = self.running.screen.query_one("#message", Static)
        content = line.content
        assert isinstance(content, Text)
        shown = content.plain
        assert shown.strip(), f"{path}: refused without a reason: {payload[:80]!r}"
        assert line.has_class("-error"), (path, shown)
        assert content.spans == [], f"{path}: markup applied: {content.spans}"
        assert str(content.style) == ""
        assert line.styles.css == self.refusal_css  # the payload restyled nothing
        assert not any(unicodedata.category(char) in ("Cc", "Cs") for char in shown), shown
        assert len(shown) < 1000  # a reason, not the payload back
        if forged:
            assert shown.startswith("Invalid signature"), shown
            self.figures.forged_refused += 1
        self.figures.refusals["message_line"] += 1


@pytest.fixture
def probe(running: RunningTill, pty_pair: tuple[int, str], figures: Figures) -> Probe:
    return Probe(running, pty_pair[0], figures)


def forged_codes(running: RunningTill) -> list[str]:
    loyalty = open_loyalty(running.till.config, running.till.ledgers[-1])
    assert loyalty is not None
    member, _ = loyalty.enroll_by_phone("13912345678")
    now = loyalty.now()
    member_code = dynamic_member_code(DEMO_CHAIN_KEY, member.member_no, now, window_s=3600)
    coupon = chain_coupon(now, "FUZZ0001", "GIFT15")
    bits = [0, 7, 100, 255, 256, 511]
    return flipped_signatures(member_code, bits) + flipped_signatures(coupon, bits)


def test_the_corpus_through_every_scanner_path_is_refused_with_a_reason(
    probe: Probe, running: RunningTill
) -> None:
    forged = forged_codes(running)
    probe.rebase()
    catalog = current_catalog(running.till.ledgers[-1])
    codes = sorted(item.barcode for item in catalog if item.barcode)
    near = [variant for code in codes for variant in off_by_one_digit(code)]
    texts = list(TEXT_CORPUS.values())
    if not FULL:
        # CI: every kind of payload, fewer of the many alike (controls, near codes).
        rng = random.Random(SEED)
        near = rng.sample(near, 12)
        texts = [text for name, text in TEXT_CORPUS.items() if not name.startswith("control")]
        texts += rng.sample([t for n, t in TEXT_CORPUS.items() if n.startswith("control")], 6)
        forged = forged[::3]
    for payload in texts:
        probe.all_paths(payload)
    for data in BYTES_CORPUS.values():
        probe.all_paths(data)
    for payload in near:
        probe.all_paths(payload)
    for payload in forged:
        probe.all_paths(payload, forged=True)
    assert "未识别会员" in text_of(running.screen.query_one("#member", Static))


# -- Hypothesis ------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=()), max_size=400)
markup = st.builds(
    lambda tag, inner: f"[{tag}]{inner}[/{tag}]",
    st.sampled_from(["bold", "red", "link=http://x", "@click=app.quit", "reverse", ""]),
    st.text(max_size=20),
)
escapes = st.builds(
    lambda intro, body, end: intro + body + end,
    st.sampled_from(["\x1b[", "\x1b]", "\x1bP", "\x9b", "\x9d", "\x1b"]),
    st.text(st.characters(max_codepoint=0x7F), max_size=30),
    st.sampled_from(["m", "\x07", "\x1b\\", "", "H"]),
)
digits = st.text(st.sampled_from("0123456789"), min_size=1, max_size=20)


@st.composite
def near_codes(draw: st.DrawFn) -> str:
    code = draw(st.sampled_from(["6921168509256", "6920152103197", "2110001012341"]))
    variants = off_by_one_digit(code)
    near = draw(st.sampled_from(variants))
    return draw(st.sampled_from([near, near + draw(digits), near[: draw(st.integers(1, 12))]]))


payloads = st.one_of(any_text, markup, escapes, digits, near_codes(), st.binary(max_size=400))


FUZZING = settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
"""The Hypothesis runs: a set number of cases from the run's seed, none kept between runs."""


def oracle_of(running: RunningTill) -> Checkout:
    """A checkout of its own on the running till's ledger: what the checkout alone makes
    of a payload (one that is a real code of the store is rung up, as it should be)."""
    ledger = running.till.ledgers[-1]
    return Checkout(ledger, current_catalog(ledger), Till("T01", "T01-", "999"))


def test_hypothesis_payloads_through_every_scanner_path_are_refused(
    probe: Probe, running: RunningTill, figures: Figures
) -> None:
    oracle = oracle_of(running)

    @seed(SEED)
    @FUZZING
    @given(payloads)
    def one(payload: str | bytes) -> None:
        text = payload.decode("utf-8", "surrogateescape") if isinstance(payload, bytes) else payload
        # Typed entries may carry a quantity ("2*1041"), so both ways are asked.
        if not all(isinstance(o, Refused) for o in (oracle.scan(text), oracle.enter(text))):
            oracle.clear()
            figures.skipped_valid += 1
            return
        probe.all_paths(payload)

    one()
    print(f"POS_FUZZ_SEED={SEED} POS_FUZZ_EXAMPLES={EXAMPLES}")


ENTER = 28  # KEY_ENTER, the evdev scanner's suffix
# Mostly keys of the US layout's printable rows and Shift (2-53), so lines get past the
# framer and into the till; now and then any code, which types a substitute character.
key_code = st.builds(
    lambda roll, typing, anything: anything if roll == 0 else typing,
    st.integers(0, 19),
    st.integers(2, 53),
    st.integers(0, 260),
)
key_events = st.lists(
    st.tuples(key_code, st.sampled_from([0, 1, 1, 1, 2])),  # up, down, repeat
    max_size=40,
)


def test_hypothesis_key_events_through_the_evdev_path_are_refused(
    probe: Probe, running: RunningTill, figures: Figures
) -> None:
    """The evdev reader's path short of the kernel device (none on this machine): any
    key events, then Enter, through `KeyboardLines` as `EvdevScanner` feeds it, and its
    scans posted to the running till as the reader posts them."""
    oracle = oracle_of(running)

    @seed(SEED)
    @FUZZING
    @given(key_events)
    def one(events: list[tuple[int, int]]) -> None:
        lines = KeyboardLines(max_lines_per_second=1_000_000)
        results = [
            result
            for code, value in [*events, (ENTER, 1), (ENTER, 0)]
            for result in lines.feed(code, value, 0.0)
        ]
        for result in results:
            figures.cases["evdev"] += 1
            if isinstance(result, Dropped):
                figures.refusals["scanner_status"] += 1  # the reader publishes its reason
                continue
            if not isinstance(oracle.scan(result.text), Refused):
                oracle.clear()
                figures.skipped_valid += 1
                continue
            running.call(lambda pilot, scan=result: probe.post_scan(pilot, scan))
            probe.check_refused(result.text, "evdev")
            figures.evdev_into_the_till += 1

    one()


# -- the camera ------------------------------------------------------------------------


def qr_frames(folder: Path, payloads: list[str]) -> str:
    """Each payload as a QR code held up for three frames, blank frames between."""
    blank = np.full((480, 640, 3), 255, dtype=np.uint8)
    frames: list[np.ndarray[Any, Any]] = [blank]
    for payload in payloads:
        image = qrcode.make(payload, border=4).get_image().convert("L")
        side = min(440, max(image.size))
        matrix = np.array(image.resize((side, side)), dtype=np.uint8)
        frame = blank.copy()
        top, left = (480 - side) // 2, (640 - side) // 2
        frame[top : top + side, left : left + side] = matrix[:, :, None]
        frames += [frame, frame, frame, blank, blank]
    for number, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{number:04d}.png"), frame)
    return str(folder / "%04d.png")


def test_qr_codes_through_the_camera_are_refused(
    running: RunningTill, tmp_path: Path, figures: Figures
) -> None:
    chosen = [
        text
        for name, text in TEXT_CORPUS.items()
        if not name.startswith("megabyte") and text.isprintable()
    ] + off_by_one_digit("6921168509256")[:6]
    (tmp_path / "frames").mkdir()
    camera = CameraScanner(qr_frames(tmp_path / "frames", chosen), hold_off_s=0.01)
    shown: list[str] = []
    app = running.app
    ended: list[DeviceStatus] = []

    def on_scan(scan: Scan) -> None:
        app.post_message(ScannerRead(scan))

    def on_status(status: DeviceStatus) -> None:
        if status.state is DeviceState.OFFLINE:
            ended.append(status)
        app.post_message(ScannerChanged(status))

    async def watch(pilot: Pilot[Any]) -> None:
        # The camera's scans reach the screen one by one; keep each refusal seen.
        camera.start(on_scan, on_status)
        while not ended:
            message = text_of(running.screen.query_one("#message", Static))
            if message and (not shown or shown[-1] != message):
                shown.append(message)
            await pilot.pause(0.01)
        await settle(pilot)

    running.call(watch)
    camera.stop()
    stats = camera.stats()
    assert stats.codes_reported >= len(chosen) - 2, stats  # the decoders read them
    figures.cases["camera"] += stats.codes_reported
    figures.refusals["message_line"] += stats.codes_reported
    screen = running.screen
    assert screen.checkout.cart.is_empty
    assert cart_rows(screen) == []
    line = screen.query_one("#message", Static)
    assert isinstance(line.content, Text)
    assert line.content.spans == []
    assert line.has_class("-error")
    assert shown, "no refusal was shown"
