"""Cut a scanner's byte stream into scans: prefix, AIM identifier, payload, suffix.

Serial scanners and keyboard scanners read through evdev both deliver one line per
scan: ``[prefix][AIM id][payload][suffix]`` (devices.md section 3). `LineFramer` is fed
whatever arrived, in pieces of any size, and returns each finished line as a `Scan`, or
as a `Rejected` saying why it was dropped. It is pure: no threads, no clock of its own
(the caller passes a monotonic ``now``), so tests drive it with plain bytes.

What is dropped, and why it is not handed on:

- a line that is neither UTF-8 nor GB18030 (Chinese scanners send GB18030): there is no
  text to hand on;
- a line without the configured prefix, or with nothing after prefix and AIM id;
- a payload longer than ``max_length`` characters: dropped whole, never truncated,
  because a truncated code can still look valid. A line that grows past what
  ``max_length`` characters could take in bytes is dropped as soon as it does, and
  everything up to the next suffix with it, so a device that never sends the suffix
  cannot make the buffer grow without end;
- a control character in the payload, apart from GS (0x1D), which separates the
  fields of GS1 codes: anything else means a misconfigured scanner (a wrong suffix
  setting shows up exactly like this) and the line cannot be trusted;
- more than ``max_lines_per_second`` lines within a second (a scanner in continuous
  mode, a loop in the wiring): every line is dropped until the rate falls again,
  because letting some through would ring up items nobody scanned. The flood is
  reported once, when it starts.

Reasons are built from fixed wording and numbers only, never from the received bytes,
so a hostile code cannot put terminal escapes into a log or onto the screen.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from dataclasses import dataclass

from devices.scans import Scan

SUFFIXES: dict[str, bytes] = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t"}
"""The suffix names a scanner's configuration may use, and the bytes they stand for."""

_AIM_ID = re.compile(r"\][A-Za-z0-9][0-9A-Za-z]")
_GS = "\x1d"
# UTF-8 and GB18030 both take at most four bytes for a character.
_MAX_BYTES_PER_CHAR = 4
_AIM_ID_LENGTH = 3
_FLOOD_WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Rejected:
    """A line that was dropped rather than handed on as a scan."""

    reason: str
    """For the technician, worded to follow "dropped": what was wrong, in fixed wording
    with numbers only."""


class LineFramer:
    """Frames scans out of bytes; `feed` returns what each piece of input completed."""

    def __init__(
        self,
        *,
        source: str,
        prefix: str = "",
        suffix: str = "CR",
        max_length: int = 256,
        max_lines_per_second: int = 20,
    ) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}, got {suffix!r}")
        if max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {max_length}")
        if max_lines_per_second < 1:
            raise ValueError(f"max_lines_per_second must be at least 1, got {max_lines_per_second}")
        self._suffix = SUFFIXES[suffix]
        if self._suffix.decode() in prefix:
            raise ValueError(f"the prefix cannot contain the suffix ({suffix})")
        self._source = source
        self._prefix = prefix
        self._suffix_name = suffix
        self._max_length = max_length
        self._max_bytes = len(prefix.encode()) + (_AIM_ID_LENGTH + max_length) * _MAX_BYTES_PER_CHAR
        self._max_lines = max_lines_per_second
        self._buffer = bytearray()
        self._discarding = False
        # The times of the last max_lines + 1 lines: enough to tell whether one more
        # than allowed arrived within the window.
        self._line_times: deque[float] = deque(maxlen=max_lines_per_second + 1)
        self._flooding = False

    def reset(self) -> None:
        """Forget any partial line and the flood state, as after reconnecting."""
        self._buffer.clear()
        self._discarding = False
        self._line_times.clear()
        self._flooding = False

    def feed(self, data: bytes, now: float) -> list[Scan | Rejected]:
        """Take the next bytes received at monotonic time ``now`` (seconds)."""
        self._buffer += data
        results: list[Scan | Rejected] = []
        # The suffix bytes are ASCII controls, which never occur inside a multi-byte
        # UTF-8 or GB18030 character, so it is safe to look for them before decoding.
        while (end := self._buffer.find(self._suffix)) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + len(self._suffix)]
            result = self._end_line(line, now)
            if result is not None:
                results.append(result)
        if not self._discarding and len(self._buffer) > self._max_bytes:
            self._discarding = True
            results.append(
                Rejected(
                    f"more than {self._max_bytes} bytes without a {self._suffix_name} "
                    f"suffix, up to the next {self._suffix_name}"
                )
            )
        if self._discarding:
            # Keep just enough to recognise a suffix split across two pieces.
            del self._buffer[: len(self._buffer) - (len(self._suffix) - 1)]
        return results

    def _end_line(self, line: bytes, now: float) -> Scan | Rejected | None:
        flood = self._too_many_lines(now)
        if self._discarding:
            # Already reported when the line grew too long.
            self._discarding = False
            return None
        if flood:
            if self._flooding:
                return None
            self._flooding = True
            return Rejected(
                f"lines arriving at more than {self._max_lines} a second, until they slow down"
            )
        self._flooding = False
        return self._parse(line)

    def _too_many_lines(self, now: float) -> bool:
        self._line_times.append(now)
        return (
            len(self._line_times) > self._max_lines and now - self._line_times[0] < _FLOOD_WINDOW_S
        )

    def _parse(self, line: bytes) -> Scan | Rejected:
        text = _decode(line)
        if text is None:
            return Rejected(f"a line of {len(line)} bytes that is neither UTF-8 nor GB18030")
        if not text.startswith(self._prefix):
            return Rejected("a line that does not start with the configured prefix")
        text = text[len(self._prefix) :]
        symbology = ""
        if _AIM_ID.match(text):
            symbology, text = text[:_AIM_ID_LENGTH], text[_AIM_ID_LENGTH:]
        if not text:
            return Rejected("an empty line")
        if len(text) > self._max_length:
            return Rejected(
                f"a line of {len(text)} characters, longer than the maximum of {self._max_length}"
            )
        for position, char in enumerate(text, start=1):
            if char != _GS and unicodedata.category(char) == "Cc":
                return Rejected(
                    f"a line with control character U+{ord(char):04X} at position {position}; "
                    f"check the scanner's suffix ({self._suffix_name} expected) and "
                    "interface settings"
                )
        return Scan(text, symbology, self._source)


def _decode(line: bytes) -> str | None:
    for encoding in ("utf-8", "gb18030"):
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None
