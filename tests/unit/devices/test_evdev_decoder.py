"""The evdev scanner at its reader interface: synthetic key events, as a keyboard-mode
scanner's evdev device delivers them, decoded with a US keymap and framed into scans.

There is no /dev/input here, so the device loop itself is not run; the last test checks
what it reports when the optional evdev package is missing.
"""

from __future__ import annotations

import importlib.util
import queue
from collections.abc import Iterable, Iterator

import pytest

from devices.evdev_scanner import EvdevScanner, KeyboardLines, KeyEventDecoder
from devices.scan_framing import Rejected
from devices.scans import DeviceState, DeviceStatus, Scan

# From linux/input-event-codes.h, written out here so the decoder's table is checked
# against the kernel's numbers rather than against itself.
KEY = {
    "KEY_1": 2, "KEY_2": 3, "KEY_3": 4, "KEY_4": 5, "KEY_6": 7, "KEY_9": 10, "KEY_0": 11,
    "KEY_MINUS": 12, "KEY_TAB": 15, "KEY_Q": 16, "KEY_RIGHTBRACE": 27, "KEY_ENTER": 28,
    "KEY_LEFTCTRL": 29, "KEY_A": 30, "KEY_SEMICOLON": 39, "KEY_LEFTSHIFT": 42,
    "KEY_BACKSLASH": 43, "KEY_Z": 44, "KEY_B": 48, "KEY_SLASH": 53, "KEY_RIGHTSHIFT": 54,
    "KEY_LEFTALT": 56, "KEY_SPACE": 57, "KEY_F1": 59, "KEY_KP7": 71, "KEY_KP0": 82,
    "KEY_KPENTER": 96,
}  # fmt: skip
UP, DOWN, REPEAT = 0, 1, 2


def tap(key: str) -> list[tuple[int, int]]:
    return [(KEY[key], DOWN), (KEY[key], UP)]


def with_held(modifier: str, keys: Iterable[str]) -> list[tuple[int, int]]:
    taps = [event for key in keys for event in tap(key)]
    return [(KEY[modifier], DOWN), *taps, (KEY[modifier], UP)]


def typed(events: Iterable[tuple[int, int]]) -> str:
    decoder = KeyEventDecoder()
    return "".join(char for code, value in events if (char := decoder.feed(code, value)))


def test_plain_keys_type_lower_case_digits_and_symbols() -> None:
    keys = ["KEY_Q", "KEY_A", "KEY_Z", "KEY_1", "KEY_0", "KEY_MINUS", "KEY_SEMICOLON"]
    keys += ["KEY_SLASH", "KEY_BACKSLASH", "KEY_SPACE", "KEY_TAB", "KEY_ENTER"]

    assert typed(event for key in keys for event in tap(key)) == "qaz10-;/\\ \t\r"


@pytest.mark.parametrize("shift", ["KEY_LEFTSHIFT", "KEY_RIGHTSHIFT"])
def test_shift_types_capitals_and_shifted_symbols_while_held(shift: str) -> None:
    keys = ["KEY_Q", "KEY_A", "KEY_1", "KEY_2", "KEY_9", "KEY_MINUS", "KEY_SEMICOLON"]

    events = [*with_held(shift, [*keys, "KEY_SLASH", "KEY_BACKSLASH"]), *tap("KEY_A")]

    assert typed(events) == "QA!@(_:?|a"


def test_keypad_digits_and_enter_type_like_the_main_keys() -> None:
    assert typed([*tap("KEY_KP7"), *tap("KEY_KP0"), *tap("KEY_KPENTER")]) == "70\r"


def test_releases_repeats_and_silent_modifiers_type_nothing() -> None:
    events = [(KEY["KEY_A"], DOWN), (KEY["KEY_A"], REPEAT), (KEY["KEY_A"], UP)]

    assert typed([*events, *with_held("KEY_LEFTALT", ["KEY_1"])]) == "a1"


def test_ctrl_right_bracket_types_the_gs1_separator_and_ctrl_a_a_control_char() -> None:
    assert typed(with_held("KEY_LEFTCTRL", ["KEY_RIGHTBRACE", "KEY_A"])) == "\x1d\x01"


def test_ctrl_shift_6_types_record_separator() -> None:
    events = [(KEY["KEY_LEFTCTRL"], DOWN), *with_held("KEY_LEFTSHIFT", ["KEY_6"])]

    assert typed(events) == "\x1e"


@pytest.mark.parametrize(
    "events",
    [tap("KEY_F1"), with_held("KEY_LEFTCTRL", ["KEY_1"])],
    ids=["unmapped key", "ctrl with a digit"],
)
def test_a_key_with_no_character_types_substitute(events: list[tuple[int, int]]) -> None:
    assert typed(events) == "\x1a"


def scan_events(text: str) -> Iterator[tuple[int, int]]:
    """The events a scanner sends to type ``text`` (letters, digits, ']') and Enter."""
    names = {"]": "KEY_RIGHTBRACE", "!": "KEY_1"}
    for char in text:
        name = names.get(char) or f"KEY_{char.upper()}"
        if char.isupper() or char == "!":
            yield from with_held("KEY_LEFTSHIFT", [name])
        else:
            yield from tap(name)
    yield from tap("KEY_ENTER")


def read(lines: KeyboardLines, events: Iterable[tuple[int, int]]) -> list[Scan | Rejected]:
    return [result for code, value in events for result in lines.feed(code, value, 0.0)]


def test_a_scan_is_framed_at_enter_with_its_aim_identifier() -> None:
    lines = KeyboardLines()

    assert read(lines, [*scan_events("]Q1AZ09"), *scan_events("6901")]) == [
        Scan("AZ09", "]Q1", "evdev"),
        Scan("6901", "", "evdev"),
    ]


def test_a_gs1_code_keeps_its_ctrl_bracket_separators() -> None:
    events = [*with_held("KEY_LEFTCTRL", ["KEY_RIGHTBRACE"]), *scan_events("10AB")]

    assert read(KeyboardLines(), events) == [Scan("\x1d10AB", "", "evdev")]


def test_a_line_with_an_unmapped_key_is_rejected_not_shortened() -> None:
    events = [*tap("KEY_6"), *tap("KEY_F1"), *scan_events("9")]

    (result,) = read(KeyboardLines(), events)

    assert isinstance(result, Rejected)
    assert result.reason.startswith("a line with control character U+001A at position 2;")


def test_prefix_and_max_length_apply_to_keyboard_lines() -> None:
    lines = KeyboardLines(prefix="Z!", max_length=3)

    assert read(lines, [*scan_events("Z!123"), *scan_events("Z!1234"), *scan_events("12")]) == [
        Scan("123", "", "evdev"),
        Rejected("a line of 4 characters, longer than the maximum of 3"),
        Rejected("a line that does not start with the configured prefix"),
    ]


def test_reset_releases_a_held_shift_and_forgets_a_partial_line() -> None:
    lines = KeyboardLines()
    read(lines, [(KEY["KEY_LEFTSHIFT"], DOWN), *tap("KEY_A")])

    lines.reset()

    assert read(lines, scan_events("a1")) == [Scan("a1", "", "evdev")]


@pytest.mark.skipif(
    importlib.util.find_spec("evdev") is not None, reason="the evdev package is installed"
)
def test_without_the_evdev_package_the_scanner_reports_error_and_ends() -> None:
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    scanner = EvdevScanner("/dev/input/by-id/usb-scanner-event-kbd")

    scanner.start(lambda scan: None, statuses.put)
    status = statuses.get(timeout=5)
    scanner.stop()

    assert status.state is DeviceState.ERROR
    assert status.detail.startswith(
        "/dev/input/by-id/usb-scanner-event-kbd: python evdev is not installed;"
    )
