"""LineFramer on plain bytes: suffixes, prefix, AIM identifiers, encodings, and every
kind of line it must drop with a reason instead of handing on."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.scan_framing import LineFramer, Rejected
from devices.scans import Scan

EAN = "6921168509256"


def framer(**settings: Any) -> LineFramer:
    return LineFramer(source="test", **settings)


def feed_bytewise(lines: LineFramer, data: bytes, now: float = 0.0) -> list[Scan | Rejected]:
    return [result for byte in data for result in lines.feed(bytes([byte]), now)]


def reasons(results: list[Scan | Rejected]) -> list[str]:
    return [result.reason for result in results if isinstance(result, Rejected)]


@pytest.mark.parametrize(
    ("suffix", "end"), [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n"), ("TAB", b"\t")]
)
def test_each_suffix_ends_a_line(suffix: str, end: bytes) -> None:
    lines = framer(suffix=suffix)

    assert lines.feed(EAN.encode() + end + b"A-1" + end, 0.0) == [
        Scan(EAN, "", "test"),
        Scan("A-1", "", "test"),
    ]


def test_an_unterminated_line_waits_for_its_suffix() -> None:
    lines = framer()

    assert lines.feed(EAN.encode(), 0.0) == []
    assert lines.feed(b"\r", 0.0) == [Scan(EAN, "", "test")]


def test_a_crlf_suffix_split_between_two_reads_still_ends_the_line() -> None:
    lines = framer(suffix="CRLF")

    assert lines.feed(EAN.encode() + b"\r", 0.0) == []
    assert lines.feed(b"\n", 0.0) == [Scan(EAN, "", "test")]


def test_a_lone_cr_inside_a_crlf_line_is_a_control_character() -> None:
    results = framer(suffix="CRLF").feed(b"123\r456\r\n", 0.0)

    assert reasons(results) == [
        "a line with control character U+000D at position 4; check the scanner's suffix "
        "(CRLF expected) and interface settings"
    ]


def test_the_prefix_is_removed() -> None:
    assert framer(prefix="\x02S:").feed(b"\x02S:" + EAN.encode() + b"\r", 0.0) == [
        Scan(EAN, "", "test")
    ]


def test_a_line_without_the_prefix_is_rejected() -> None:
    assert reasons(framer(prefix="S:").feed(EAN.encode() + b"\r", 0.0)) == [
        "a line that does not start with the configured prefix"
    ]


@pytest.mark.parametrize("aim", ["]E0", "]E4", "]Q1", "]C1", "]d2"])
def test_the_aim_identifier_is_split_off_and_kept(aim: str) -> None:
    assert framer(prefix="S:").feed(f"S:{aim}{EAN}\r".encode(), 0.0) == [Scan(EAN, aim, "test")]


def test_text_that_only_starts_with_a_bracket_is_all_payload() -> None:
    assert framer().feed(b"]!23\r", 0.0) == [Scan("]!23", "", "test")]


@pytest.mark.parametrize("line", [b"\r", b"]Q1\r"])
def test_an_empty_payload_is_rejected(line: bytes) -> None:
    assert reasons(framer().feed(line, 0.0)) == ["an empty line"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chinese_text_is_decoded_from_utf8_or_gb18030(encoding: str) -> None:
    text = "会员卡:张三"

    assert framer().feed(f"]Q1{text}\r".encode(encoding), 0.0) == [Scan(text, "]Q1", "test")]


def test_a_line_that_is_neither_utf8_nor_gb18030_is_rejected() -> None:
    assert reasons(framer().feed(b"12\xff\xfe34\r", 0.0)) == [
        "a line of 6 bytes that is neither UTF-8 nor GB18030"
    ]


def test_a_line_of_max_length_is_kept_and_a_longer_one_dropped_whole() -> None:
    lines = framer(max_length=5)

    results = lines.feed(b"]E012345\r123456\r67890\r", 0.0)

    assert results == [
        Scan("12345", "]E0", "test"),
        Rejected("a line of 6 characters, longer than the maximum of 5"),
        Scan("67890", "", "test"),
    ]


def test_a_line_growing_past_the_limit_is_dropped_up_to_the_next_suffix() -> None:
    lines = framer(max_length=5)

    results = feed_bytewise(lines, b"9" * 100 + b"\r" + b"12345\r")

    assert results == [
        Rejected("more than 32 bytes without a CR suffix, up to the next CR"),
        Scan("12345", "", "test"),
    ]


def test_a_crlf_split_while_dropping_a_long_line_still_ends_it() -> None:
    lines = framer(suffix="CRLF", max_length=5)

    assert reasons(lines.feed(b"9" * 100 + b"\r", 0.0)) == [
        "more than 32 bytes without a CRLF suffix, up to the next CRLF"
    ]
    assert lines.feed(b"\n12345\r\n", 0.0) == [Scan("12345", "", "test")]


@pytest.mark.parametrize(
    ("payload", "code", "position"),
    [
        ("12\x0734", "0007", 3),
        ("\x1b[31m", "001B", 1),
        ("1234\x7f", "007F", 5),
        ("a\x85", "0085", 2),
    ],
)
def test_control_characters_are_rejected_without_echoing_the_line(
    payload: str, code: str, position: int
) -> None:
    (reason,) = reasons(framer().feed(payload.encode() + b"\r", 0.0))

    assert reason.startswith(f"a line with control character U+{code} at position {position};")
    assert payload not in reason


def test_gs_separators_in_a_gs1_code_are_kept() -> None:
    gs1 = "0106901234567892\x1d10ABC123\x1d17260101"

    assert framer().feed(f"]C1{gs1}\r".encode(), 0.0) == [Scan(gs1, "]C1", "test")]


def test_a_flood_is_dropped_and_reported_once_until_the_rate_falls() -> None:
    lines = framer(max_lines_per_second=3)

    flood = lines.feed(b"".join(f"{n}\r".encode() for n in range(10)), 5.0)
    after_a_quiet_second = lines.feed(b"ok\r", 6.5)

    assert flood == [
        Scan("0", "", "test"),
        Scan("1", "", "test"),
        Scan("2", "", "test"),
        Rejected("lines arriving at more than 3 a second, until they slow down"),
    ]
    assert after_a_quiet_second == [Scan("ok", "", "test")]


def test_lines_at_the_allowed_rate_are_never_a_flood() -> None:
    lines = framer(max_lines_per_second=4)

    results = [result for n in range(20) for result in lines.feed(b"%d\r" % n, n * 0.25)]

    assert results == [Scan(str(n), "", "test") for n in range(20)]


def test_reset_forgets_a_partial_line() -> None:
    lines = framer()
    lines.feed(b"half a co", 0.0)

    lines.reset()

    assert lines.feed(EAN.encode() + b"\r", 0.0) == [Scan(EAN, "", "test")]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"suffix": "ETX"}, "suffix must be one of CR, LF, CRLF, TAB, got 'ETX'"),
        ({"max_length": 0}, "max_length must be at least 1, got 0"),
        ({"max_lines_per_second": 0}, "max_lines_per_second must be at least 1, got 0"),
        ({"prefix": "a\tb", "suffix": "TAB"}, "the prefix cannot contain the suffix (TAB)"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        framer(**settings)


# At most max_length + 3 characters of at most 4 bytes: every line stays within the
# byte limit, so whether it is too long is judged the same way however it is split.
_PAYLOADS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=23
)


@given(
    payloads=st.lists(_PAYLOADS, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=20),
)
def test_how_the_bytes_are_split_never_changes_the_result(
    payloads: list[str], cuts: list[int]
) -> None:
    stream = b"".join(f"{payload}\r\n".encode() for payload in payloads)
    bounds = [0, *sorted(cut % (len(stream) + 1) for cut in cuts), len(stream)]
    pieces = [stream[start:end] for start, end in pairwise(bounds)]

    whole = framer(suffix="CRLF", max_length=20).feed(stream, 0.0)
    split = framer(suffix="CRLF", max_length=20)

    assert [result for piece in pieces for result in split.feed(piece, 0.0)] == whole
