"""Keyboard-wedge detection on synthetic timestamps: scans, typing, and no key ever lost."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.tui.wedge import (
    MAX_BURST,
    Buffering,
    KeyPress,
    Release,
    Scanned,
    WedgeDetector,
    WedgeResult,
)

EAN = "6921168509256"
ENTER: KeyPress = ("\r", "enter")


def keys_of(text: str) -> list[KeyPress]:
    return [(char, char) for char in text]


def feed_all(
    detector: WedgeDetector, keys: Iterable[KeyPress], start: float, gap_s: float
) -> list[WedgeResult]:
    """Feed ``keys`` one every ``gap_s`` seconds from ``start``."""
    return [detector.feed(char, key, start + i * gap_s) for i, (char, key) in enumerate(keys)]


def delivered(results: Iterable[WedgeResult | None]) -> list[KeyPress]:
    """What the app ends up with: released keys as they are, a scan as its characters
    followed by the Enter that ended it."""
    out: list[KeyPress] = []
    for result in results:
        if isinstance(result, Release):
            out.extend(result.keys)
        elif isinstance(result, Scanned):
            out.extend(keys_of(result.text))
            out.append(ENTER)
    return out


def test_fast_13_digit_burst_with_enter_is_a_scan() -> None:
    detector = WedgeDetector()
    results = feed_all(detector, [*keys_of(EAN), ENTER], 100.0, 0.008)
    assert results[:-1] == [Buffering()] * 13
    assert results[-1] == Scanned(EAN)
    assert not detector.holding


def test_same_code_typed_at_120_ms_is_all_released_in_order() -> None:
    detector = WedgeDetector()
    keys = [*keys_of(EAN), ENTER]
    results = feed_all(detector, keys, 100.0, 0.120)
    assert results[0] == Buffering()
    # Each key releases the one before and is held itself; Enter releases the last
    # digit together with itself.
    assert all(isinstance(r, Release) and r.reason == "gap" for r in results[1:-1])
    assert results[-1] == Release((("6", "6"), ENTER), "slow-enter")
    assert delivered(results) == keys
    assert not any(isinstance(r, Scanned) for r in results)


def test_short_fast_burst_is_released_as_typing() -> None:
    detector = WedgeDetector()
    keys = [*keys_of("1234"), ENTER]
    results = feed_all(detector, keys, 5.0, 0.005)
    assert results[-1] == Release(tuple(keys), "short")


def test_burst_of_exactly_min_length_is_a_scan() -> None:
    detector = WedgeDetector(min_length=6)
    results = feed_all(detector, [*keys_of("ABC123"), ENTER], 5.0, 0.005)
    assert results[-1] == Scanned("ABC123")


def test_typing_then_scan_then_typing() -> None:
    detector = WedgeDetector()
    results: list[WedgeResult | None] = []
    results += feed_all(detector, keys_of("ab"), 10.0, 0.150)
    # The scan starts 150 ms after "b", with no timer flush in between.
    results += feed_all(detector, [*keys_of(EAN), ENTER], 10.3, 0.010)
    results += feed_all(detector, keys_of("cd"), 11.0, 0.200)
    results.append(detector.flush_due(12.0))

    assert [r for r in results if isinstance(r, Scanned)] == [Scanned(EAN)]
    typed = [key for r in results if isinstance(r, Release) for key in r.keys]
    assert typed == keys_of("abcd")
    assert delivered(results) == [*keys_of("ab"), *keys_of(EAN), ENTER, *keys_of("cd")]


def test_enter_alone_passes_through() -> None:
    assert WedgeDetector().feed("\r", "enter", 1.0) == Release((ENTER,), "short")


def test_function_keys_pass_through_at_once() -> None:
    detector = WedgeDetector()
    assert detector.feed(None, "f12", 1.0) == Release(((None, "f12"),), "key")
    detector.feed("1", "1", 2.0)
    # Held keys come first, in order, then the F-key, with no wait for the gap.
    assert detector.feed(None, "f2", 2.001) == Release((("1", "1"), (None, "f2")), "key")
    assert not detector.holding


@pytest.mark.parametrize("key", ["backspace", "escape", "left", "tab", "ctrl+c"])
def test_other_non_printable_keys_end_a_burst(key: str) -> None:
    detector = WedgeDetector()
    character = {"tab": "\t", "ctrl+c": "\x03", "escape": "\x1b"}.get(key)
    feed_all(detector, keys_of(EAN), 1.0, 0.005)
    result = detector.feed(character, key, 1.07)
    assert result == Release((*keys_of(EAN), (character, key)), "key")
    # The Enter that follows is a lone Enter, not the end of a scan.
    assert detector.feed("\r", "enter", 1.075) == Release((ENTER,), "short")


@pytest.mark.parametrize(
    ("start", "gap_ms", "expected"),
    [
        # 0.1 + 0.04 - 0.1 is 0.04000000000000001 in floats: still exactly 40 ms.
        (0.1, 40, Scanned(EAN)),
        (1000.7, 40, Scanned(EAN)),
        (0.1, 41, None),
    ],
)
def test_gap_exactly_at_the_threshold_is_still_fast(
    start: float, gap_ms: int, expected: Scanned | None
) -> None:
    detector = WedgeDetector(max_gap_ms=40)
    results = [
        detector.feed(char, key, start + i * gap_ms / 1000)
        for i, (char, key) in enumerate([*keys_of(EAN), ENTER])
    ]
    if expected is None:
        assert not any(isinstance(r, Scanned) for r in results)
    else:
        assert results[-1] == expected


def test_flush_releases_a_lone_key_only_once_the_gap_is_exceeded() -> None:
    detector = WedgeDetector(max_gap_ms=40)
    assert detector.flush_due(0.0) is None
    assert detector.feed("x", "x", 10.0) == Buffering()
    holding_before = detector.holding
    assert detector.flush_due(10.04) is None
    assert detector.flush_due(10.041) == Release((("x", "x"),), "timeout")
    assert (holding_before, detector.holding) == (True, False)
    assert detector.flush_due(11.0) is None


def test_flush_in_the_middle_of_a_burst_waits() -> None:
    detector = WedgeDetector()
    feed_all(detector, keys_of(EAN[:5]), 1.0, 0.010)
    assert detector.flush_due(1.07) is None
    feed_all(detector, keys_of(EAN[5:]), 1.05, 0.010)
    assert detector.feed("\r", "enter", 1.15) == Scanned(EAN)


def test_enter_after_a_slow_gap_does_not_make_a_scan() -> None:
    detector = WedgeDetector()
    results = feed_all(detector, keys_of(EAN), 1.0, 0.005)
    results.append(detector.feed("\r", "enter", 2.0))
    assert results[-1] == Release((*keys_of(EAN), ENTER), "slow-enter")


def test_space_and_unicode_are_part_of_a_scan() -> None:
    detector = WedgeDetector()
    text = "AB 12-é/中"
    assert feed_all(detector, [*keys_of(text), ENTER], 1.0, 0.005)[-1] == Scanned(text)


def test_overlong_burst_is_released_and_its_tail_never_becomes_a_scan() -> None:
    detector = WedgeDetector()
    keys = keys_of("7" * (MAX_BURST + 20))
    results = feed_all(detector, [*keys, ENTER], 1.0, 0.001)
    assert results[:MAX_BURST] == [Buffering()] * MAX_BURST
    first = results[MAX_BURST]
    assert isinstance(first, Release)
    assert first.reason == "overflow"
    assert len(first.keys) == MAX_BURST + 1
    assert all(isinstance(r, Release) and r.reason == "overflow" for r in results[MAX_BURST:])
    assert delivered(results) == [*keys, ENTER]
    assert not detector.holding
    # A pause ends the overlong burst; the next burst is judged afresh.
    later = feed_all(detector, [*keys_of(EAN), ENTER], 9.0, 0.005)
    assert later[-1] == Scanned(EAN)


def test_burst_of_exactly_max_length_is_still_a_scan() -> None:
    detector = WedgeDetector()
    text = "8" * MAX_BURST
    assert feed_all(detector, [*keys_of(text), ENTER], 1.0, 0.001)[-1] == Scanned(text)


@pytest.mark.parametrize(("gap", "length"), [(-1, 6), (40, 0)])
def test_bad_settings_are_refused(gap: int, length: int) -> None:
    with pytest.raises(ValueError, match="must be at least"):
        WedgeDetector(gap, length)


def test_key_arriving_after_a_flush_released_its_burst_is_typing_not_a_shorter_scan() -> None:
    # The loop was busy: the timer's flush ran before the rest of the burst, stamped
    # 8 ms apart when read, reached the detector.
    detector = WedgeDetector()
    assert detector.feed("6", "6", 1.0) == Buffering()
    assert detector.flush_due(1.05) == Release((("6", "6"),), "timeout")
    results = feed_all(detector, [*keys_of(EAN[1:]), ENTER], 1.008, 0.008)
    assert all(
        r == Release((key,), "late")
        for r, key in zip(results, [*keys_of(EAN[1:]), ENTER], strict=True)
    )
    # The next burst, after a real gap, is a scan again.
    assert feed_all(detector, [*keys_of(EAN), ENTER], 2.0, 0.008)[-1] == Scanned(EAN)


PRINTABLE = st.sampled_from([*"0123456789AZaz -/中é"])
OTHER_KEYS = st.sampled_from(
    [("\r", "enter"), (None, "f12"), (None, "backspace"), ("\t", "tab"), (None, "up")]
)
KEY = st.one_of(PRINTABLE.map(lambda c: (c, c)), OTHER_KEYS)
# Gaps straddle the 40 ms threshold, with exact-threshold and zero gaps likely.
GAP_MS = st.one_of(
    st.sampled_from([0, 1, 8, 39, 40, 41, 120]), st.integers(min_value=0, max_value=300)
)
# A flush before a key, this long after the previous key: later than the key itself
# when the timer overtook a key still on its way.
FLUSH_MS = st.one_of(st.none(), st.integers(min_value=0, max_value=150))
PRESS = st.tuples(KEY, GAP_MS, FLUSH_MS)
# A scanner burst: printable keys and Enter a few ms apart, flushes possibly among them.
BURST = st.lists(
    st.tuples(PRINTABLE.map(lambda c: (c, c)), st.integers(0, 10), FLUSH_MS),
    min_size=1,
    max_size=12,
).flatmap(lambda keys: st.just([*keys, (ENTER, 8, None)]))
PRESSES = st.lists(st.one_of(PRESS.map(lambda press: [press]), BURST), max_size=20).map(
    lambda segments: [press for segment in segments for press in segment]
)


@given(
    presses=PRESSES,
    max_gap_ms=st.integers(min_value=5, max_value=100),
    min_length=st.integers(min_value=1, max_value=8),
)
def test_no_key_is_lost_duplicated_or_reordered_and_no_scan_is_truncated(
    presses: Sequence[tuple[KeyPress, int, int | None]],
    max_gap_ms: int,
    min_length: int,
) -> None:
    detector = WedgeDetector(max_gap_ms, min_length)
    results: list[WedgeResult | None] = []
    elapsed_ms = 0
    for (char, key), gap_ms, flush_ms in presses:
        if flush_ms is not None:
            results.append(detector.flush_due(50.0 + (elapsed_ms + flush_ms) / 1000))
        elapsed_ms += gap_ms
        results.append(detector.feed(char, key, 50.0 + elapsed_ms / 1000))
    results.append(detector.flush_due(50.0 + elapsed_ms / 1000 + 1.0))

    keys = [key for key, _gap, _flush in presses]
    assert delivered(results) == keys
    assert not detector.holding

    # Every scan is a whole burst: fast throughout, long enough, and not the tail of a
    # burst whose start went out as typing.
    position = 0
    for result in results:
        if isinstance(result, Release):
            position += len(result.keys)
        elif isinstance(result, Scanned):
            first, enter = position, position + len(result.text)
            assert len(result.text) >= min_length
            assert all(presses[i][1] <= max_gap_ms for i in range(first + 1, enter + 1))
            if first > 0:
                before = keys[first - 1][0]
                starts_burst = presses[first][1] > max_gap_ms
                assert starts_burst or before is None or not before.isprintable()
            position = enter + 1
