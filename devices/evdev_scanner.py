"""A USB scanner in keyboard mode, read straight from its Linux evdev device.

Read as a keyboard through the terminal, a scanner has to be told from a person typing
by the timing of its keys (pos.tui.wedge). Read from its own evdev device
(`/dev/input/by-id/*-event-kbd`) with an exclusive grab, device identity decides: every
key is the scanner's, and none of them reaches the console as typing.

The part worth testing is pure: `KeyEventDecoder` turns key events into characters with
a US keymap, and `KeyboardLines` frames them with `LineFramer` (Enter is the suffix).
`EvdevScanner` only opens, grabs, reads and reconnects around them. It needs the
optional `evdev` package, which is imported when the reader starts, so the till runs
without it; when it is missing the scanner reports ERROR and says so.
"""

from __future__ import annotations

import contextlib
import importlib
import select
import time
from types import ModuleType

from devices.errors import DeviceError
from devices.scan_framing import LineFramer, Rejected
from devices.scan_reader import ReconnectingScanner
from devices.scans import Scan

# Key codes and values from linux/input-event-codes.h; they are kernel ABI.
_KEY_UP, _KEY_DOWN = 0, 1
_SHIFT_KEYS = frozenset({42, 54})  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
_CTRL_KEYS = frozenset({29, 97})  # KEY_LEFTCTRL, KEY_RIGHTCTRL
# Alt, Meta and the lock keys: a scanner may press them, but they type nothing.
_SILENT_KEYS = frozenset({56, 100, 125, 126, 58, 69, 70})
_SUBSTITUTE = "\x1a"
"""ASCII SUB, typed for a key with no character here: the framer rejects the line,
where leaving the key out would hand on a shorter code that may still look valid."""


def _row(first_code: int, plain: str, shifted: str) -> dict[int, tuple[str, str]]:
    return {first_code + i: pair for i, pair in enumerate(zip(plain, shifted, strict=True))}


_US_KEYMAP: dict[int, tuple[str, str]] = {
    **_row(2, "1234567890-=", "!@#$%^&*()_+"),
    15: ("\t", "\t"),
    **_row(16, "qwertyuiop[]", "QWERTYUIOP{}"),
    28: ("\r", "\r"),  # KEY_ENTER
    **_row(30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    43: ("\\", "|"),
    **_row(44, "zxcvbnm,./", "ZXCVBNM<>?"),
    55: ("*", "*"),
    57: (" ", " "),
    # The keypad, which some scanners use for digits; Num Lock is assumed on.
    **_row(71, "789-456+1230.", "789-456+1230."),
    96: ("\r", "\r"),  # KEY_KPENTER
    98: ("/", "/"),
}


class KeyEventDecoder:
    """Turns a keyboard's key events into the characters a US layout would type.

    `feed` takes one EV_KEY event, ``(code, value)`` with value 1 for a press, 0 for a
    release and 2 for auto-repeat, and returns the character a press types, or None.
    Shift and Ctrl count while held; Ctrl with ``@``, a letter, ``[``, ``\\``, ``]``,
    ``^`` or ``_`` types the matching control character, as scanners send GS (0x1D)
    in GS1 codes as Ctrl+]. Auto-repeat types nothing: a scanner never holds a key, so
    a repeat is a fault that must not double a digit.
    """

    def __init__(self) -> None:
        self._shift: set[int] = set()
        self._ctrl: set[int] = set()

    def reset(self) -> None:
        """Release every modifier, as after reconnecting."""
        self._shift.clear()
        self._ctrl.clear()

    def feed(self, code: int, value: int) -> str | None:
        for keys, held in ((_SHIFT_KEYS, self._shift), (_CTRL_KEYS, self._ctrl)):
            if code in keys:
                if value == _KEY_DOWN:
                    held.add(code)
                elif value == _KEY_UP:
                    held.discard(code)
                return None
        if value != _KEY_DOWN or code in _SILENT_KEYS:
            return None
        if code not in _US_KEYMAP:
            return _SUBSTITUTE
        char = _US_KEYMAP[code][1 if self._shift else 0]
        if not self._ctrl:
            return char
        control = char.upper()
        return chr(ord(control) - 64) if "@" <= control <= "_" else _SUBSTITUTE


class KeyboardLines:
    """Key events in, scans out: a `KeyEventDecoder` feeding a `LineFramer` whose
    suffix is Enter. This is the evdev reader's interface, short of the device."""

    def __init__(
        self,
        *,
        prefix: str = "",
        max_length: int = 256,
        max_lines_per_second: int = 20,
    ) -> None:
        self._decoder = KeyEventDecoder()
        self._framer = LineFramer(
            source="evdev",
            prefix=prefix,
            suffix="CR",
            max_length=max_length,
            max_lines_per_second=max_lines_per_second,
        )

    def reset(self) -> None:
        self._decoder.reset()
        self._framer.reset()

    def feed(self, code: int, value: int, now: float) -> list[Scan | Rejected]:
        """Take one key event received at monotonic time ``now`` (seconds)."""
        char = self._decoder.feed(code, value)
        if char is None:
            return []
        return self._framer.feed(char.encode(), now)


class EvdevScanner(ReconnectingScanner):
    """Scans from a keyboard-mode scanner's evdev device (Linux only); source "evdev".

    The device loop is not tested: it needs a kernel input device, and this machine
    has neither `/dev/input` nor `/dev/uinput` to make one. The tests drive
    `KeyboardLines` with the events the loop would hand it, and check the ERROR
    reported when the evdev package is missing.
    """

    def __init__(
        self,
        device_path: str,
        *,
        grab: bool = True,
        prefix: str = "",
        max_length: int = 256,
        max_lines_per_second: int = 20,
        reconnect_interval_s: float = 1.0,
        read_timeout_s: float = 0.2,
    ) -> None:
        super().__init__(
            device_path, reconnect_interval_s=reconnect_interval_s, read_timeout_s=read_timeout_s
        )
        self._grab = grab
        self._lines = KeyboardLines(
            prefix=prefix, max_length=max_length, max_lines_per_second=max_lines_per_second
        )

    def _session(self) -> None:
        evdev = _import_evdev()
        device = evdev.InputDevice(self._device)
        try:
            if self._grab:
                # Exclusive: the scanner's keys no longer reach the console as typing.
                device.grab()
            self._lines.reset()
            self._ready(f"{self._device}: open" + (", grabbed" if self._grab else ""))
            while not self._stopping.is_set():
                # select with a timeout rather than read_loop(), so stop() is noticed.
                readable, _, _ = select.select([device.fd], [], [], self._read_timeout_s)
                if readable:
                    for event in device.read():
                        if event.type == evdev.ecodes.EV_KEY:
                            now = time.monotonic()
                            self._deliver(self._lines.feed(event.code, event.value, now))
        finally:
            # An unplugged device cannot be ungrabbed; closing it is enough.
            if self._grab:
                with contextlib.suppress(OSError):
                    device.ungrab()
            device.close()


def _import_evdev() -> ModuleType:
    try:
        return importlib.import_module("evdev")
    except ImportError:
        raise DeviceError(
            "Scanner library missing",
            "python evdev is not installed; install the evdev package to read this "
            "scanner, or use it as a keyboard wedge or a serial scanner.",
        ) from None
