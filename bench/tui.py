"""Cashier TUI speed, each figure beside a minimal Textual app measured in the same run.

Two figures: (a) cold start to the first frame, (b) scan to cart redraw with a long cart.

(a) Cold start. Each start is a fresh `python -c` process running the real `App.run(
headless=True)`. The parent puts its `time.perf_counter()` (CLOCK_MONOTONIC on Linux,
so the same clock in every process) in BENCH_T0 just before spawning; the child reports
how long after that its imports were done and its first frame was ready, then exits.
A frame is "ready" once Textual's compositor has produced the first update for the
screen and it has been encoded to the escape sequence a terminal would be sent (the
headless driver skips that step, so the child does it); interpreter start-up, imports,
configuration, building and mounting the first screen all count (the till opens its
ledger after its first frame, so that does not),
while shutting down does not (a person sees the till before it ever exits). The till
is built by `pos.cli.till_app(config)`, exactly as `pos` builds it (the ledger opens
in a worker behind the first screen), on the demo configuration with a data folder
created and seeded before the first start; its first screen is sign-in. The baseline
is an App with one Static. Starts alternate between the two; the first start of each
is a warm-up and is left out, so both run with the same warm file cache. That cache
includes compiled bytecode: the children write it to a folder of their own
(PYTHONPYCACHEPREFIX) even where PYTHONDONTWRITEBYTECODE is set, as an installed till
and the installed Textual have it; otherwise the till alone, whose source is the
checkout, would compile its modules on every start. Figure: the ratio of the medians
(target: at most 1.5).

(b) Scan to cart redraw, in this process with `App.run_test(size=(120, 36))`. The till
is signed in as the demo cashier (shift opened if it asks), then its cart is filled
with --lines lines by scanning codes (alternating demo barcodes, so each is a new
line), then --scans more scans are timed. A scan is what a keyboard-wedge scanner sends:
the code's keys, 10 ms apart by their timestamps (well inside the till's 40 ms scan
gap), then Enter, posted to the app the way the terminal driver does; the keys before
the Enter are handled first and not timed (a scanner sends them before the scan is
complete), and the time runs from posting the Enter to the first frame that shows the
cart (the widget with id "cart", read through what the till's CartTable and a
DataTable both tell: row_count, scroll_y and cursor_row) in its final state for that
scan: the new row present, scrolled into view and selected. Frames are timed where the
app hands them to the terminal, after encoding as in (a); each scan is followed by
waiting for the app and its workers to go idle, which is not timed. The baseline is an
App with a DataTable "cart" and a focused Input "entry" whose Enter adds one row and
moves the cursor to it, sent the same keys and timed the same way. Only the ids and
those three attributes are relied upon, so the bench follows the sale screen's layout
as it changes. Figures: p50 and p99 and their ratios (target: till p50 under 16 ms).
Textual repaints on a 60 fps timer, so up to a frame interval of either figure can be
waiting for that timer.

A code typed at the entry line and submitted with Enter is typing, not a scan, and
costs one frame more: setting the entry's text paints a frame of its own, and after an
idle spell Textual 8's timer, skipping the ticks it missed, lands one tick late, so the
cart's frame comes 16.7 to 33.3 ms after it (in either app). The till's wedge detector
holds a scanner's keys back, so a scan paints nothing before its Enter.

    python bench/tui.py [--starts N] [--lines N] [--scans N]
"""

# ruff: noqa: E402  (the path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/sync.py
# would hide the `sync` package the till starts once its ledger is open.
_BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _BENCH]

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual._compositor import CompositorUpdate, LayoutUpdate
from textual._time import get_time
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input

from pos.bootstrap import DEMO_STAFF, open_ledger
from pos.catalog_admin import current_catalog
from pos.config import Config, load_config
from pos.domain.staff import Role
from pos.hardware import build_devices
from pos.tui.app import PosApp
from pos.tui.widgets import CartTable

CartWidget = CartTable | DataTable[Any]
"""The till's cart or the baseline's: both tell their rows, scroll and selected row."""

SIZE = (120, 36)
SETTLE_TIMEOUT_S = 30.0
SCAN_GAP_S = 0.010
"""Between a scanner's keys, by their timestamps."""

# The child's first frame: time it, encode it as a terminal would be sent it, exit.
_FIRST_FRAME = """
display = app._display
def first_frame(screen, update):
    display(screen, update)
    if update is not None and not shown:
        update.render_segments(app.console)
        shown.append(time.perf_counter() - t0)
        print(imported, shown[0], flush=True)
        app.exit()
shown = []
app._display = first_frame
app.run(headless=True)
"""

TILL_CHILD = (
    """
import os, sys, time
t0 = float(os.environ["BENCH_T0"])
from pathlib import Path
from pos.cli import till_app
from pos.config import load_config
imported = time.perf_counter() - t0
config = load_config(None, Path(sys.argv[1]), environ={})
app = till_app(config)
"""
    + _FIRST_FRAME
    + "if app.opened_ledger is not None:\n    app.opened_ledger.close()\n"
)

MINIMAL_CHILD = (
    """
import os, sys, time
t0 = float(os.environ["BENCH_T0"])
from textual.app import App
from textual.widgets import Static
imported = time.perf_counter() - t0
class Minimal(App):
    def compose(self):
        yield Static("Hello")
app = Minimal()
"""
    + _FIRST_FRAME
)


def cold_starts(data: Path, starts: int) -> dict[str, list[tuple[float, float]]]:
    """(imports done, first frame) in seconds since spawning, per start, per child."""
    children = {"till": TILL_CHILD, "minimal": MINIMAL_CHILD}
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in children}
    # The warm-up starts write the bytecode the timed ones read (see the docstring).
    environ = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environ["PYTHONPYCACHEPREFIX"] = str(data.parent / "pycache")
    for start in range(starts + 1):
        order = list(children) if start % 2 == 0 else list(reversed(children))
        for name in order:
            env = dict(environ, BENCH_T0=repr(time.perf_counter()))
            done = subprocess.run(
                [sys.executable, "-c", children[name], str(data)],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            if done.returncode != 0 or not done.stdout.split():
                raise SystemExit(f"{name} start failed ({done.returncode}):\n{done.stderr}")
            imported, frame = (float(value) for value in done.stdout.split()[-2:])
            if start:  # the first start of each is the warm-up
                figures[name].append((imported, frame))
    return figures


class FrameClock:
    """Times the frames an app hands to the terminal, with the cart's state in each.

    Installed on the app instance (`App._display` is where Textual writes a frame to
    the driver); it encodes each update as a real terminal would be sent it and
    records when it was done and what the cart looked like at that moment.
    """

    def __init__(self, app: App[Any]) -> None:
        self.frames: list[tuple[float, tuple[int, float, int]]] = []
        display = app._display

        def timed(screen: Screen[Any], update: Any) -> None:
            display(screen, update)
            if not isinstance(update, CompositorUpdate):
                return
            update.render_segments(app.console)
            cart = find_cart(screen)
            painted = cart is not None and (
                isinstance(update, LayoutUpdate)
                or cart in screen._dirty_widgets
                or screen in screen._dirty_widgets
            )
            if cart is not None and painted:
                self.frames.append((time.perf_counter(), cart_state(cart)))

        app._display = timed  # type: ignore[method-assign,assignment]


def find_cart(screen: Screen[Any]) -> CartWidget | None:
    carts = screen.query("#cart")
    cart = carts.first() if carts else None
    return cart if isinstance(cart, CartTable | DataTable) else None


def cart_state(cart: CartWidget) -> tuple[int, float, int]:
    """What a frame of the cart shows: its rows, where it is scrolled, the selected row."""
    return cart.row_count, cart.scroll_y, cart.cursor_row


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let the app, its workers and their follow-up messages finish."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def until(
    app: App[Any], pilot: Pilot[Any], check: Callable[[], bool], waiting_for: str
) -> None:
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"Gave up waiting for {waiting_for} on {app.screen!r}.")
        await pilot.pause(0.02)


def has(app: App[Any], selector: str) -> bool:
    return bool(app.screen.query(selector))


async def scan(app: App[Any], pilot: Pilot[Any], clock: FrameClock, code: str) -> float:
    """Scan ``code`` as a keyboard-wedge scanner does; seconds from its Enter to the frame
    showing its row."""
    entry = app.screen.query_one("#entry", Input)
    cart = find_cart(app.screen)
    if cart is None:
        raise SystemExit(f"No cart (#cart) on {app.screen!r}.")
    entry.focus()
    rows = cart.row_count
    # Stamped a second ahead of Textual's clock, so that no flush timer of the till's
    # wedge detector falls inside the burst however long the loop takes over it.
    first = get_time() + 1.0
    for index, character in enumerate(code):
        key = events.Key(character, character)
        key.time = first + index * SCAN_GAP_S
        app.post_message(key)
    await settle(app, pilot)
    enter = events.Key("enter", "\r")
    enter.time = first + len(code) * SCAN_GAP_S
    start = time.perf_counter()
    app.post_message(enter)
    await settle(app, pilot)
    if cart.row_count != rows + 1:
        raise SystemExit(
            f"Scanning {code} took the cart from {rows} to {cart.row_count} lines, not one more."
        )
    final = cart_state(cart)
    shown = [at for at, state in clock.frames if at > start and state == final]
    if not shown:
        raise SystemExit(f"No frame showed the cart after scanning {code}.")
    return shown[0] - start


async def scan_latencies(
    app: App[Any],
    codes: list[str],
    lines: int,
    scans: int,
    prepare: Callable[[App[Any], Pilot[Any]], Awaitable[None]],
) -> list[float]:
    """Fill the cart with ``lines`` entries, then time ``scans`` more."""
    async with app.run_test(size=SIZE) as pilot:
        await prepare(app, pilot)
        clock = FrameClock(app)
        latencies = []
        for index in range(lines + scans):
            latency = await scan(app, pilot, clock, codes[index % len(codes)])
            if index >= lines:
                latencies.append(latency)
    return latencies


async def sign_in(app: App[Any], pilot: Pilot[Any]) -> None:
    """Sign in as the demo cashier and open the shift if asked, up to the entry line."""
    staff_no, pin = next((no, pin) for no, _name, role, pin in DEMO_STAFF if role is Role.CASHIER)
    await until(app, pilot, lambda: has(app, "#staff_no") or has(app, "#entry"), "sign-in")
    if has(app, "#staff_no"):
        app.screen.query_one("#staff_no", Input).value = staff_no
        pin_input = app.screen.query_one("#pin", Input)
        pin_input.value = pin
        pin_input.focus()
        await pilot.press("enter")
    await until(app, pilot, lambda: has(app, "#float") or has(app, "#entry"), "the shift")
    if has(app, "#float"):
        app.screen.query_one("#float", Input).focus()
        await pilot.press("enter")
    await until(app, pilot, lambda: has(app, "#entry") and has(app, "#cart"), "#entry, #cart")
    await settle(app, pilot)


class MinimalCart(App[None]):
    """The baseline: a DataTable and an Input whose Enter adds one row and selects it."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="cart", cursor_type="row")
        yield Input(id="entry")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Item", "Qty", "Price", "Total")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.clear()
        cart = self.query_one(DataTable)
        cart.add_row(event.value, "1", "2.00", "2.00")
        cart.move_cursor(row=cart.row_count - 1)


async def ready(app: App[Any], pilot: Pilot[Any]) -> None:
    await settle(app, pilot)


def till_codes(config: Config) -> list[str]:
    ledger = open_ledger(config)
    try:
        catalog = current_catalog(ledger)
    finally:
        ledger.close()
    return [item.barcode for item in catalog if item.barcode and not item.weighed]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--starts", type=int, default=10, help="timed starts of each app")
    parser.add_argument("--lines", type=int, default=200, help="cart lines before timing")
    parser.add_argument("--scans", type=int, default=200, help="timed scans")
    args = parser.parse_args()
    clock = time.get_clock_info("perf_counter").implementation
    if "CLOCK_MONOTONIC" not in clock:
        raise SystemExit(f"perf_counter is {clock}, not one clock shared by processes")

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        config = load_config(None, data, environ={})
        codes = till_codes(config)  # creates and seeds the demo ledger
        starts = cold_starts(data, args.starts)
        till = PosApp(config, open_ledger(config), build_devices(config))
        try:
            ours = asyncio.run(scan_latencies(till, codes, args.lines, args.scans, sign_in))
        finally:
            till.ledger.close()
    bare = asyncio.run(scan_latencies(MinimalCart(), codes, args.lines, args.scans, ready))

    print(
        f"(a) Cold start to first frame: {args.starts} headless starts of each, alternating, "
        f"after one warm-up each; Python {sys.version.split()[0]}"
    )
    print(f"{'':34}{'imports ms':>12}{'frame ms':>10}{'min ms':>10}")
    medians = {}
    labels = {"till": "till (PosApp, demo ledger)", "minimal": "minimal app (one Static)"}
    for name, label in labels.items():
        imported = statistics.median(i for i, _f in starts[name]) * 1000
        frames = [f for _i, f in starts[name]]
        medians[name] = statistics.median(frames)
        print(f"{label:34}{imported:12.1f}{medians[name] * 1000:10.1f}{min(frames) * 1000:10.1f}")
    ratio = medians["till"] / medians["minimal"]
    print(f"{'ratio of medians':34}{'':12}{ratio:10.2f}   (target <= 1.5)")
    print()
    print(
        f"(b) Scan to cart redraw at {SIZE[0]}x{SIZE[1]}: {args.lines} lines entered first, "
        f"then {args.scans} timed scans of demo barcodes (keyboard-wedge bursts)"
    )
    print(f"{'':34}{'p50 ms':>12}{'p99 ms':>10}")
    for name, values in (("till sale screen", ours), ("minimal DataTable + Input", bare)):
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{name:34}{p50:12.2f}{p99:10.2f}")
    ratio50 = percentile(ours, 0.5) / percentile(bare, 0.5)
    ratio99 = percentile(ours, 0.99) / percentile(bare, 0.99)
    print(f"{'ratio':34}{ratio50:12.2f}{ratio99:10.2f}   (target: till p50 < 16 ms)")


if __name__ == "__main__":
    main()
