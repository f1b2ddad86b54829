"""WeChat Pay v2 signatures and the XML envelope, against the provider's published
example and against hostile messages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.payments.wechat_v2 import (
    MAX_MESSAGE_BYTES,
    ProtocolError,
    SignType,
    check_signature,
    from_xml,
    signature,
    signed,
    to_xml,
)

# The example of the provider's signature documentation (shared/reference/payments.md).
EXAMPLE = {
    "appid": "wxd930ea5d5a258f4f",
    "mch_id": "10000100",
    "device_info": "1000",
    "body": "test",
    "nonce_str": "ibuaiVcKdpRxkhJA",
}
KEY = "192006250b4c09247ec02edce69f6a2d"


def test_the_published_md5_example() -> None:
    assert signature(EXAMPLE, KEY, SignType.MD5) == "9A0A8659F005D6984697E2CA0A9CF3B7"


def test_the_published_hmac_sha256_example() -> None:
    assert (
        signature(EXAMPLE, KEY, SignType.HMAC_SHA256)
        == "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    )


def test_empty_values_and_the_sign_itself_are_left_out() -> None:
    with_extras = {**EXAMPLE, "attach": "", "sign": "WHATEVER"}
    assert signature(with_extras, KEY, SignType.MD5) == signature(EXAMPLE, KEY, SignType.MD5)


def test_a_signed_message_carries_its_sign_type_and_a_fresh_nonce() -> None:
    first = signed({"appid": "wx1", "total_fee": "100"}, KEY, SignType.HMAC_SHA256)
    second = signed({"appid": "wx1", "total_fee": "100"}, KEY, SignType.HMAC_SHA256)
    assert first["sign_type"] == "HMAC-SHA256"
    assert len(first["nonce_str"]) == 32
    assert first["nonce_str"] != second["nonce_str"]
    check_signature(first, KEY, SignType.HMAC_SHA256)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda message: message | {"total_fee": "1"},
        lambda message: message | {"sign": "0" * 32},
        lambda message: {key: value for key, value in message.items() if key != "sign"},
    ],
    ids=["changed amount", "forged sign", "no sign"],
)
def test_a_tampered_or_unsigned_message_is_refused(tamper: object) -> None:
    message = signed({"appid": "wx1", "total_fee": "100"}, KEY, SignType.MD5)
    with pytest.raises(ProtocolError):
        check_signature(tamper(message), KEY, SignType.MD5)  # type: ignore[operator]


def test_a_message_signed_with_another_key_is_refused() -> None:
    message = signed({"appid": "wx1"}, "another-key", SignType.MD5)
    with pytest.raises(ProtocolError, match="signature"):
        check_signature(message, KEY, SignType.MD5)


values = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,15}", fullmatch=True), values, max_size=8))
def test_xml_round_trips_any_flat_message(message: dict[str, str]) -> None:
    assert from_xml(to_xml(message)) == message


def test_markup_in_a_value_is_escaped_not_parsed() -> None:
    message = {"body": "<b>&amp;</b>]]>", "attach": "a<xml>"}
    assert from_xml(to_xml(message)) == message


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<xml><a>1</a>", "not well-formed"),
        (b"<html><a>1</a></html>", "root element"),
        (b"<xml><a><b>1</b></a></xml>", "nested"),
        (b"<xml><a>1</a><a>2</a></xml>", "twice"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><a>&a;</a></xml>',
            "DOCTYPE",
        ),
        (b"<xml>" + b"<a>1</a>" * (MAX_MESSAGE_BYTES // 8) + b"</xml>", "at most"),
        (b"", "not well-formed"),
    ],
    ids=["truncated", "wrong root", "nested", "duplicate", "entities", "huge", "empty"],
)
def test_malformed_messages_are_refused_with_the_reason(body: bytes, why: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        from_xml(body)
    assert why in raised.value.message
