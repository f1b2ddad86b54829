"""WeChat Pay API v2 on the wire: the signature and the XML envelope.

Shared by the till's wallet client and the wallet sandbox in cloud/, so both sides
sign and parse exactly alike. The algorithm (shared/reference/payments.md §1.3):
drop `sign` and every empty value, sort the keys by ASCII, join raw `k=v` pairs with
`&`, append `&key=API_KEY`, then MD5 or HMAC-SHA256 (keyed with the API key), in
upper-case hex.

The XML is a flat `<xml><k>v</k>...</xml>`. Whatever comes from the network is
parsed defensively: a size limit, no DOCTYPE (so no entity expansion), no nested
elements, no duplicate keys; anything else is a ProtocolError saying what was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Mapping
from enum import StrEnum
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from pos.domain.errors import PosError

MAX_MESSAGE_BYTES = 64 * 1024
"""Far above any v2 answer; a larger body is refused before parsing."""

_NONCE_ALPHABET = string.ascii_letters + string.digits


class SignType(StrEnum):
    MD5 = "MD5"
    HMAC_SHA256 = "HMAC-SHA256"


class ProtocolError(PosError):
    """A message that is not a well-formed, correctly signed v2 message."""


def signature(params: Mapping[str, str], api_key: str, sign_type: SignType) -> str:
    """The `sign` value of `params` (its own `sign`, if any, is left out)."""
    pairs = "&".join(
        f"{key}={params[key]}" for key in sorted(params) if key != "sign" and params[key]
    )
    text = f"{pairs}&key={api_key}".encode()
    if sign_type is SignType.MD5:
        # MD5 is the protocol's default, not our choice; HMAC-SHA256 is offered too.
        return hashlib.md5(text).hexdigest().upper()
    return hmac.new(api_key.encode(), text, hashlib.sha256).hexdigest().upper()


def signed(params: Mapping[str, str], api_key: str, sign_type: SignType) -> dict[str, str]:
    """`params` with a fresh nonce (unless given), the sign type and its signature."""
    message = {"nonce_str": nonce(), **params}
    if sign_type is not SignType.MD5:
        message["sign_type"] = sign_type.value  # MD5 is the default and may be omitted
    message["sign"] = signature(message, api_key, sign_type)
    return message


def check_signature(params: Mapping[str, str], api_key: str, sign_type: SignType) -> None:
    """Raise ProtocolError unless `params` carries the signature of its other fields."""
    given = params.get("sign", "")
    if not given:
        raise ProtocolError("Unsigned message", "The message has no sign field.")
    expected = signature(params, api_key, sign_type)
    if not hmac.compare_digest(given.upper(), expected):
        raise ProtocolError("Bad signature", "The message's signature does not match its contents.")


def nonce() -> str:
    """32 random letters and digits: the protocol's nonce_str."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(32))


def to_xml(params: Mapping[str, str]) -> bytes:
    """The flat `<xml>` envelope, values escaped (no CDATA needed, none to break)."""
    fields = "".join(f"<{key}>{escape(value)}</{key}>" for key, value in params.items())
    return f"<xml>{fields}</xml>".encode()


def from_xml(body: bytes) -> dict[str, str]:
    """The fields of a flat `<xml>` envelope; ProtocolError for anything else."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise ProtocolError("Message too large", f"{len(body)} bytes; at most {MAX_MESSAGE_BYTES}.")
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ProtocolError("Malformed XML", "A DOCTYPE or entity declaration is not allowed.")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise ProtocolError(
            "Malformed XML", f"The message is not well-formed XML ({error})."
        ) from error
    if root.tag != "xml":
        raise ProtocolError("Malformed XML", f"The root element is <{root.tag}>, not <xml>.")
    fields: dict[str, str] = {}
    for element in root:
        if len(element):
            raise ProtocolError("Malformed XML", f"<{element.tag}> has nested elements.")
        if element.tag in fields:
            raise ProtocolError("Malformed XML", f"<{element.tag}> appears twice.")
        fields[element.tag] = element.text or ""
    return fields
