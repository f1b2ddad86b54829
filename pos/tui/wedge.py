"""Tell a keyboard-wedge scanner from a person typing, by the timing of the keys alone.

A USB scanner in keyboard mode "types" its code as a burst of key presses ending in
Enter, far faster than anyone types (scanners send a key every 7-16 ms; people are
above 80-100 ms). The till must take such a burst as a scan wherever the focus is,
without the characters landing in the focused Input, and must still let a person type
into that Input with no character lost.

The rule (DESIGN.md §9, devices.md §3): a line is a scan when

- it has at least ``min_length`` printable characters,
- every gap between consecutive keys, including the gap before Enter, is at most
  ``max_gap_ms`` (a gap exactly at the threshold still counts as fast), and
- it ends with Enter.

Since whether a key belongs to a scan is only known later, printable keys are held
back (`Buffering`) while they might still be a burst, and handed back for replay in
their original order (`Release`) as soon as they cannot be:

- the first printable key always buffers; a printable key within the gap extends the
  burst;
- a printable key after a longer gap releases what was held and starts a new possible
  burst itself, so a scan that follows typing keeps its first character;
- any other key (F-keys, arrows, Backspace, Escape, ...) releases what was held, then
  itself, at once: it cannot be part of a scan, and a function key must never wait;
- Enter delivers a `Scanned` when it ends a fast burst long enough to be a scan, and
  otherwise releases the held keys and the Enter itself;
- `flush_due`, called by a timer, releases held keys once the gap has passed with no
  next key, so a person typing sees at most one gap threshold (plus the timer's
  granularity) of delay per key.

A flush never splits a burst into typing and a shorter scan. Keys are stamped where they
are read, but a key may reach `feed` after a timer's `flush_due` has already
released the start of its burst (the event loop was busy while the key was on its
way). Such a late key, being within the gap of the released keys, continues their
burst, so it and the rest of that burst are released as typing too (reason "late").
Likewise a burst that grows past `MAX_BURST` characters (a faulty device, a held-down
key) is released as typing and the rest of it passes straight through (reason
"overflow"); this also keeps memory bounded. In both cases the burst ends at the next
gap, non-printable key or Enter, and the following burst is judged afresh.

The detector is pure: the caller passes a monotonic ``now`` (in seconds) with each key,
so tests drive it with synthetic timestamps. Gaps are compared in whole microseconds
because float subtraction would put a gap of exactly 40 ms on either side of 0.040.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

MAX_BURST = 4096
"""Longest burst held back as a possible scan; a longer one is released as typing."""

ENTER = "enter"

KeyPress: TypeAlias = tuple[str | None, str]
"""One key as ``(character, key)``: Textual's printable character (or None) and key name."""

ReleaseReason: TypeAlias = Literal[
    "gap", "key", "short", "slow-enter", "timeout", "late", "overflow"
]
"""Why keys turned out to be typing:

- "gap": a printable key came after more than the gap;
- "key": a non-printable key other than Enter (F-keys, arrows, Backspace, ...);
- "short": Enter ended a fast burst shorter than the minimum length, or came alone;
- "slow-enter": Enter came after more than the gap;
- "timeout": `flush_due` found the gap had passed with no next key;
- "late": the key belongs to a burst whose start a flush already released;
- "overflow": the burst went past `MAX_BURST` characters.
"""


@dataclass(frozen=True, slots=True)
class Buffering:
    """The key may be part of a scan: the caller swallows it for now."""


@dataclass(frozen=True, slots=True)
class Scanned:
    """Enter ended a fast burst long enough to be a scan: swallow the Enter, use ``text``."""

    text: str


@dataclass(frozen=True, slots=True)
class Release:
    """The keys were typing: the caller replays ``keys`` to the focused widget, in order.

    ``keys`` ends with the key just fed, except for reason "gap" (that key is held as
    the start of a new possible burst) and "timeout" (no key was fed).
    """

    keys: tuple[KeyPress, ...]
    reason: ReleaseReason


WedgeResult: TypeAlias = Buffering | Scanned | Release

_BUFFERING = Buffering()


class WedgeDetector:
    """Classifies a stream of key presses into scans and typing by their timing."""

    def __init__(self, max_gap_ms: int = 40, min_length: int = 6) -> None:
        if max_gap_ms < 0:
            raise ValueError(f"max_gap_ms must be at least 0, not {max_gap_ms}")
        if min_length < 1:
            raise ValueError(f"min_length must be at least 1, not {min_length}")
        self.max_gap_ms = max_gap_ms
        self.min_length = min_length
        self._held: list[KeyPress] = []
        # Time of the last key of the current burst, held or passed through; None when
        # no burst is going on.
        self._last: float | None = None
        # Set when the rest of the current burst passes straight through as typing.
        self._passing: Literal["late", "overflow"] | None = None

    @property
    def holding(self) -> bool:
        """Whether keys are held back, so the caller knows a flush timer is needed."""
        return bool(self._held)

    def feed(self, character: str | None, key: str, now: float) -> WedgeResult:
        """Classify one key press made at monotonic time ``now`` (seconds)."""
        fast = self._last is not None and self._within_gap(now)
        if key == ENTER:
            return self._enter((character, key), fast)
        if character is None or not character.isprintable():
            return self._end_burst((character, key), "key")
        if fast:
            self._last = now
            if self._passing is not None:
                return Release(((character, key),), self._passing)
            if len(self._held) < MAX_BURST:
                self._held.append((character, key))
                return _BUFFERING
            keys = (*self._held, (character, key))
            self._held.clear()
            self._passing = "overflow"
            return Release(keys, "overflow")
        # First key, or a key after a longer gap: whatever was held is typing, and this
        # key may begin a new burst.
        stale = tuple(self._held)
        self._held[:] = [(character, key)]
        self._last = now
        self._passing = None
        return Release(stale, "gap") if stale else _BUFFERING

    def flush_due(self, now: float) -> Release | None:
        """Release held keys once the gap has passed with no next key (call from a timer).

        A gap exactly at the threshold could still be followed by a burst key, so keys
        are released only once the gap is strictly exceeded. The burst's time is kept,
        so a key of it that arrives late is recognised as such by `feed`.
        """
        if not self._held or self._within_gap(now):
            return None
        held = tuple(self._held)
        self._held.clear()
        self._passing = "late"
        return Release(held, "timeout")

    def _enter(self, enter: KeyPress, fast: bool) -> WedgeResult:
        if fast and self._passing is not None:
            reason: ReleaseReason = self._passing
            self._reset()
            return Release((enter,), reason)
        if fast and len(self._held) >= self.min_length:
            text = "".join(character or "" for character, _key in self._held)
            self._reset()
            return Scanned(text)
        return self._end_burst(enter, "short" if fast or not self._held else "slow-enter")

    def _end_burst(self, current: KeyPress, reason: ReleaseReason) -> Release:
        keys = (*self._held, current)
        self._reset()
        return Release(keys, reason)

    def _within_gap(self, now: float) -> bool:
        assert self._last is not None
        return round((now - self._last) * 1_000_000) <= self.max_gap_ms * 1000

    def _reset(self) -> None:
        self._held.clear()
        self._last = None
        self._passing = None
