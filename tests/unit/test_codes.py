"""Signed member and coupon codes: the wire format, strict parsing, claims and windows.

Real Ed25519 throughout (fixed seeds, so failures reproduce): a code is only ever
accepted by parse, verify and claims together, so the refusals are tested the same way.
"""

from __future__ import annotations

import base64
import json
import pickle
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.codes import (
    MAX_CODE_LENGTH,
    CodeError,
    CouponClaims,
    MemberClaims,
    SignedCode,
    check_window,
    code_kind,
    coupon_claims,
    coupon_payload,
    decode_b64url,
    encode_b64url,
    encode_code,
    member_claims,
    member_payload,
    parse_code,
)
from pos.signing import KeyRing, SigningKey

KEY = SigningKey.from_seed(bytes(range(32)), "T01-1a2b3c4d")
RING = KeyRing({KEY.kid: KEY.public_key})
NOW = 1_760_000_000
DAY = 86_400

CARD = MemberClaims("M000123456", expires=None)
DYNAMIC = MemberClaims("M000123456", expires=NOW + 60)
COUPON = CouponClaims(
    coupon_id="CP00012345",
    campaign_id="SPRING24",
    member_no="M000123456",
    store_id="S001",
    valid_from=NOW,
    valid_until=NOW + 30 * DAY,
)
GIFT = CouponClaims("CP00012346", "SPRING24", None, "", NOW, NOW + 30 * DAY)


def member_text(claims: MemberClaims = CARD, key: SigningKey = KEY) -> str:
    return encode_code("member", key.kid, member_payload(claims), key.sign)


def coupon_text(claims: CouponClaims = COUPON, key: SigningKey = KEY) -> str:
    return encode_code("coupon", key.kid, coupon_payload(claims), key.sign)


def accept(text: str) -> MemberClaims | CouponClaims:
    """What a till does with a scanned code: parse, verify, read the claims."""
    code = parse_code(text)
    RING.verify(code)
    return member_claims(code) if code.kind == "member" else coupon_claims(code)


def refused(text: str) -> CodeError:
    with pytest.raises(CodeError) as caught:
        accept(text)
    return caught.value


def signed_text(prefix: str, payload: bytes, kid: str = KEY.kid) -> str:
    """A correctly signed code around any payload bytes, canonical or not."""
    body = f"{prefix}{kid}.{encode_b64url(payload)}"
    return f"{body}.{encode_b64url(KEY.sign(body.encode('ascii')))}"


def code_with(kind: str, payload: dict[str, object]) -> SignedCode:
    """A verified code carrying exactly `payload`, for the claims readers."""
    code = parse_code(encode_code(kind, KEY.kid, payload, KEY.sign))  # type: ignore[arg-type]
    RING.verify(code)
    return code


# Round trips and the wire format


@pytest.mark.parametrize("claims", [CARD, DYNAMIC, COUPON, GIFT])
def test_codes_round_trip_through_parse_verify_and_claims(
    claims: MemberClaims | CouponClaims,
) -> None:
    text = member_text(claims) if isinstance(claims, MemberClaims) else coupon_text(claims)
    assert accept(text) == claims


def test_the_wire_format_is_prefix_kid_payload_and_signature() -> None:
    text = coupon_text()
    match = re.fullmatch(r"C1:([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{86})", text)
    assert match is not None
    kid, payload_b64, sig_b64 = match.groups()
    assert kid == KEY.kid
    payload = base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4))
    assert payload == (
        b'{"c":"CP00012345","f":1760000000,"g":"SPRING24","m":"M000123456",'
        b'"s":"S001","u":1762592000}'
    )
    code = parse_code(text)
    assert code == SignedCode(
        kind="coupon",
        kid=KEY.kid,
        payload=json.loads(payload),
        signed=f"C1:{kid}.{payload_b64}".encode("ascii"),
        signature=base64.urlsafe_b64decode(sig_b64 + "=="),
        text=text,
    )
    assert len(code.signature) == 64


def test_a_static_card_and_a_gift_coupon_leave_their_defaults_out() -> None:
    assert member_payload(CARD) == {"m": "M000123456"}
    assert member_payload(DYNAMIC) == {"m": "M000123456", "e": NOW + 60}
    assert coupon_payload(GIFT).keys() == {"c", "g", "f", "u"}


def test_payload_json_is_utf_8_not_ascii_escaped() -> None:
    text = encode_code("member", KEY.kid, {"名": "会员"}, KEY.sign)
    code = parse_code(text)
    assert code.payload == {"名": "会员"}
    assert code.signed.split(b".")[1] == encode_b64url('{"名":"会员"}'.encode()).encode()


def test_the_payload_of_a_parsed_code_is_read_only() -> None:
    code = parse_code(member_text())
    with pytest.raises(TypeError):
        code.payload["m"] = "M999"  # type: ignore[index]
    assert hash(code) == hash(parse_code(member_text()))


def test_codes_stay_well_under_the_scanners_256_characters() -> None:
    # Member- and store-bound, with ids of 8 to 10 characters and a till's key id.
    assert len(coupon_text()) == 225
    assert len(coupon_text(GIFT)) == 187
    assert len(member_text(DYNAMIC)) == 147
    assert MAX_CODE_LENGTH == 240


def test_a_coupon_too_long_for_scanners_is_never_issued() -> None:
    long_ids = CouponClaims("C" * 32, "G" * 32, "M" * 32, "S" * 32, NOW, NOW + DAY)
    with pytest.raises(ValueError, match=r"over 240: use shorter ids"):
        coupon_text(long_ids)


@pytest.mark.parametrize(
    ("kind", "kid", "problem"),
    [
        ("member", "", "key id"),
        ("member", "a" * 41, "key id"),
        ("member", "till.a", "key id"),
        ("receipt", "till-a", "kind"),
    ],
)
def test_encode_refuses_what_cannot_make_a_code(kind: str, kid: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        encode_code(kind, kid, {"m": "M1"}, KEY.sign)  # type: ignore[arg-type]


def test_encode_refuses_a_signer_that_is_not_ed25519() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        encode_code("member", "till-a", {"m": "M1"}, lambda message: message[:32])


def test_encode_refuses_a_payload_json_cannot_carry() -> None:
    with pytest.raises(ValueError, match="JSON"):
        encode_code("member", "till-a", {"m": float("nan")}, KEY.sign)


def test_code_kind_reads_the_prefix_only() -> None:
    assert code_kind("M1:") == "member"
    assert code_kind("C1:x") == "coupon"
    assert code_kind("m1:x") is None
    assert code_kind("R1:x") is None


# Truncation and damage


@pytest.mark.parametrize("text", [member_text(CARD), member_text(DYNAMIC), coupon_text()])
def test_a_code_cut_at_any_length_is_truncated(text: str) -> None:
    for length in range(3, len(text)):
        with pytest.raises(CodeError) as caught:
            parse_code(text[:length])
        assert caught.value.reason == "truncated", length
        assert "incomplete" in caught.value.message
    for length in range(3):
        with pytest.raises(CodeError) as caught:
            parse_code(text[:length])
        assert caught.value.reason == "malformed"


VALID = coupon_text()
KID_PART, PAYLOAD_PART, SIG_PART = VALID[3:].split(".")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("X1:" + VALID[3:], id="unknown prefix"),
        pytest.param("c1:" + VALID[3:], id="lower-case prefix"),
        pytest.param(" " + VALID, id="leading space"),
        pytest.param(VALID + "\n", id="trailing newline"),
        pytest.param(VALID + ".AAAA", id="four parts"),
        pytest.param(f"C1:.{PAYLOAD_PART}.{SIG_PART}", id="empty key id"),
        pytest.param(f"C1:{'k' * 41}.{PAYLOAD_PART}.{SIG_PART}", id="key id too long"),
        pytest.param(f"C1:till+a.{PAYLOAD_PART}.{SIG_PART}", id="key id character"),
        pytest.param(f"C1:{KID_PART}..{SIG_PART}", id="empty payload"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}=.{SIG_PART}", id="payload padding"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}A.{SIG_PART}", id="payload length"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}.{SIG_PART}A", id="signature too long"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}.{SIG_PART}==", id="signature padding"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}.{SIG_PART[:-1]}B", id="signature bits"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}.{SIG_PART[:-2]}+/", id="base64 not url"),
        pytest.param(f"C1:{KID_PART}.{PAYLOAD_PART}.{SIG_PART[:-1]}\u0410", id="cyrillic"),
        pytest.param("C1:[bold]x[/bold]", id="markup"),
        pytest.param("C1:\x1b[31m.x.y", id="escape sequence"),
        pytest.param(f"C1:{KID_PART}.{'A' * 1100}.{SIG_PART}", id="too long"),
    ],
)
def test_each_malformed_shape_is_refused_without_echo(text: str) -> None:
    error = refused(text)
    assert error.reason == "malformed"
    assert error.title == "Damaged code"
    assert error.message.isascii()
    assert "[" not in error.message
    assert KID_PART not in error.message


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"hello", id="not JSON"),
        pytest.param(b"[1,2]", id="not an object"),
        pytest.param(b'"m"', id="a string"),
        pytest.param(b'{"m": "M1"}', id="whitespace"),
        pytest.param(b'{"u":2,"c":"C1"}', id="unsorted keys"),
        pytest.param(b'{"m":"M1","m":"M2"}', id="duplicate key"),
        pytest.param(b'{"m":"\\u00e9"}', id="ascii escaped"),
        pytest.param(b'{"m":"\\ud800"}', id="lone surrogate"),
        pytest.param(b'{"e":NaN,"m":"M1"}', id="NaN"),
        pytest.param(b'{"e":1e9,"m":"M1"}', id="exponent"),
        pytest.param(b'{"m":"\xff"}', id="not UTF-8"),
        pytest.param(b"\xef\xbb\xbf{}", id="byte order mark"),
        pytest.param(b"{}\n", id="trailing newline"),
    ],
)
def test_a_signed_payload_that_is_not_canonical_json_is_malformed(payload: bytes) -> None:
    error = refused(signed_text("M1:", payload))
    assert error.reason == "malformed"
    assert error.message == "This member code is damaged: its contents cannot be read."


def test_base64url_is_strict_and_canonical() -> None:
    assert decode_b64url(encode_b64url(b"\x00\xff\xfe")) == b"\x00\xff\xfe"
    assert encode_b64url(b"\xfb\xff") == "-_8"
    for bad in ["A", "AB=", "AB+/", "AB C", "AB\n", "AF"]:
        with pytest.raises(ValueError, match=r"base64url|canonical"):
            decode_b64url(bad)


# Authenticity


def test_a_member_code_relabelled_as_a_coupon_is_forged() -> None:
    relabelled = parse_code("C1:" + member_text()[3:])
    assert relabelled.kind == "coupon"
    with pytest.raises(CodeError) as caught:
        RING.verify(relabelled)
    assert caught.value.reason == "forged"


@given(
    st.sampled_from([member_text(CARD), member_text(DYNAMIC), coupon_text(), coupon_text(GIFT)]),
    st.sampled_from(["payload", "signature"]),
    st.data(),
)
def test_flipping_any_bit_of_the_payload_or_signature_is_never_accepted(
    text: str, part: str, data: st.DataObject
) -> None:
    head, payload_b64, sig_b64 = text.rsplit(".", 2)
    raw = bytearray(decode_b64url(payload_b64 if part == "payload" else sig_b64))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    if part == "payload":
        payload_b64 = encode_b64url(bytes(raw))
    else:
        sig_b64 = encode_b64url(bytes(raw))
    assert refused(f"{head}.{payload_b64}.{sig_b64}").reason in ("forged", "malformed")


@given(
    st.sampled_from([member_text(DYNAMIC), coupon_text()]),
    st.data(),
)
def test_flipping_any_bit_of_any_character_is_never_accepted(
    text: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(text) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = text[:position] + chr(ord(text[position]) ^ (1 << bit)) + text[position + 1 :]
    error = refused(flipped)
    assert error.reason in ("forged", "malformed", "truncated", "unknown_key")
    assert error.message.isascii()


# Claims


def test_claims_of_the_wrong_kind_are_refused() -> None:
    with pytest.raises(CodeError) as caught:
        member_claims(parse_code(coupon_text()))
    assert caught.value.reason == "wrong_kind"
    assert caught.value.message == "A member code was expected, but this is a coupon."
    with pytest.raises(CodeError) as caught:
        coupon_claims(parse_code(member_text()))
    assert caught.value.reason == "wrong_kind"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"e": NOW},
        {"m": "M1", "x": 1},
        {"m": 123},
        {"m": None},
        {"m": ""},
        {"m": "M 1"},
        {"m": "-M1"},
        {"m": "M" * 33},
        {"m": "会员"},
        {"m": "M1", "e": None},
        {"m": "M1", "e": True},
        {"m": "M1", "e": 1.5},
        {"m": "M1", "e": "1760000000"},
        {"m": "M1", "e": -1},
        {"m": "M1", "e": 253_402_300_800},
    ],
)
def test_member_claims_that_are_missing_or_mistyped_are_malformed(
    payload: dict[str, object],
) -> None:
    with pytest.raises(CodeError) as caught:
        member_claims(code_with("member", payload))
    assert caught.value.reason == "malformed"
    assert caught.value.message == (
        "This member code is signed, but its contents are not in a form this till reads."
    )


def test_member_claims_at_the_edges_are_read() -> None:
    edge = {"m": "M" * 32, "e": 253_402_300_799}
    assert member_claims(code_with("member", edge)) == MemberClaims("M" * 32, 253_402_300_799)
    assert member_claims(code_with("member", {"m": "0", "e": 0})) == MemberClaims("0", 0)


GOOD_COUPON = coupon_payload(CouponClaims("CP1", "G1", "M1", "S1", NOW, NOW + DAY))


@pytest.mark.parametrize(
    "change",
    [
        {"c": None},
        {"g": None},
        {"f": None},
        {"u": None},
        {"m": None},
        {"s": ""},
        {"c": 42},
        {"g": ""},
        {"f": NOW + DAY},
        {"u": NOW - 1},
        {"f": str(NOW)},
        {"u": False},
        {"x": "extra"},
    ],
)
def test_coupon_claims_that_are_missing_or_mistyped_are_malformed(
    change: dict[str, object],
) -> None:
    payload = {**GOOD_COUPON, **change}
    for key in ("c", "g", "f", "u"):
        if change.get(key, "") is None:
            del payload[key]
    with pytest.raises(CodeError) as caught:
        coupon_claims(code_with("coupon", payload))
    assert caught.value.reason == "malformed"
    assert "coupon is signed, but its contents" in caught.value.message


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"member_no": "", "expires": None}, "member_no"),
        ({"member_no": "M1", "expires": -5}, "expires"),
    ],
)
def test_member_claims_are_checked_when_made(arguments: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        MemberClaims(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"coupon_id": "a b"}, "coupon_id"),
        ({"campaign_id": ""}, "campaign_id"),
        ({"member_no": ""}, "member_no"),
        ({"store_id": "S 1"}, "store_id"),
        ({"valid_from": True}, "valid_from"),
        ({"valid_until": NOW}, "valid_until must be after valid_from"),
    ],
)
def test_coupon_claims_are_checked_when_made(change: dict[str, object], problem: str) -> None:
    arguments = {
        "coupon_id": "CP1",
        "campaign_id": "G1",
        "member_no": None,
        "store_id": "",
        "valid_from": NOW,
        "valid_until": NOW + DAY,
        **change,
    }
    with pytest.raises(ValueError, match=problem):
        CouponClaims(**arguments)  # type: ignore[arg-type]


# Time windows


def test_a_static_member_card_never_expires() -> None:
    check_window(CARD, now=NOW + 100 * 365 * DAY)


@pytest.mark.parametrize(
    ("now", "skew_s", "accepted"),
    [
        (NOW, 30, True),
        (NOW + 60 + 29, 30, True),
        (NOW + 60 + 30, 30, False),
        (NOW + DAY, 30, False),
        (NOW + 59, 0, True),
        (NOW + 60, 0, False),
    ],
)
def test_a_dynamic_member_code_expires_after_its_window_and_the_skew(
    now: int, skew_s: int, accepted: bool
) -> None:
    if accepted:
        check_window(DYNAMIC, now, skew_s)
        return
    with pytest.raises(CodeError) as caught:
        check_window(DYNAMIC, now, skew_s)
    assert caught.value.reason == "expired"
    assert "refresh it in the app" in caught.value.message


def test_a_dynamic_member_code_replayed_later_is_refused() -> None:
    claims = accept(member_text(DYNAMIC))
    check_window(claims, NOW + 10)
    with pytest.raises(CodeError) as caught:
        check_window(claims, NOW + 600)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (NOW - 31, "not_yet_valid"),
        (NOW - 30, None),
        (NOW + 30 * DAY + 29, None),
        (NOW + 30 * DAY + 30, "expired"),
    ],
)
def test_a_coupon_is_good_only_inside_its_window(now: int, reason: str | None) -> None:
    if reason is None:
        check_window(COUPON, now)
        return
    with pytest.raises(CodeError) as caught:
        check_window(COUPON, now)
    assert caught.value.reason == reason


# The error itself


def test_code_errors_pickle_with_their_reason_and_message() -> None:
    error = refused(VALID[:-5])
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.title, copy.message) == (error.reason, error.title, error.message)
    assert str(copy) == error.message
