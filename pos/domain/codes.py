"""Signed member and coupon codes: their wire format, their claims and their time windows.

A member card or a coupon is worth money, and the till must honour one issued by any
till or by the cloud while it is offline (DESIGN.md sections 5 and 7). So each code
carries its own proof: an Ed25519 signature by a key named in the code, checked
against the public keys the cloud distributes. This module is the pure half: the text
format, structural parsing and the typed claims. The cryptography lives in
`pos.signing`, which hands `encode_code` a signing function and checks signatures of
the `SignedCode`s parsed here.

The text is ``{prefix}{kid}.{payload_b64}.{sig_b64}``: the prefix (``M1:`` member,
``C1:`` coupon) says the kind and the format version, `kid` names the signing key,
the payload is compact canonical JSON and the signature covers everything before its
dot, so a member code cannot be relabelled a coupon or claim another key. Parsing is
strict: only the exact text `encode_code` would produce is accepted, so one code has
one spelling, and a damaged scan is refused rather than guessed at.

Scanned text is data: every message here is fixed wording, never the scanned text,
so markup or terminal escapes inside a code cannot reach a screen through an error.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from pos.domain.errors import DomainError

CodeKind = Literal["member", "coupon"]
CodeReason = Literal[
    "malformed", "truncated", "unknown_key", "forged", "expired", "not_yet_valid", "wrong_kind"
]

MEMBER_PREFIX = "M1:"
COUPON_PREFIX = "C1:"
PREFIXES: Mapping[CodeKind, str] = MappingProxyType(
    {"member": MEMBER_PREFIX, "coupon": COUPON_PREFIX}
)
# How messages name each kind, here and in pos.signing, so the wording stays one.
NOUNS: Mapping[CodeKind, str] = MappingProxyType({"member": "member code", "coupon": "coupon"})
KID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
SIGNATURE_BYTES = 64
# Scanners refuse anything over 256 characters by default (ScanRules.max_length); a
# code issued right at that limit would be one scanner quirk (an AIM identifier, a
# doubled terminator) away from being refused, so issuing stops 16 short of it.
MAX_CODE_LENGTH = 240

# The base64url alphabet is also the key id alphabet, so one pattern checks every part.
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGNATURE_CHARS = 86  # 64 bytes in unpadded base64url
_KID_MAX = 40
# Far above any code encode_code issues; it bounds the work a hostile scan can cause
# (and keeps JSON nesting well inside the parser's recursion limit).
_MAX_TEXT = 1024
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
# 9999-12-31T23:59:59Z: the last second `datetime` can show, so any time a code
# claims can be printed on a receipt without overflowing.
_LATEST_EPOCH = 253_402_300_799
_TITLES: Mapping[CodeReason, str] = MappingProxyType(
    {
        "malformed": "Damaged code",
        "truncated": "Incomplete code",
        "unknown_key": "Unknown signing key",
        "forged": "Invalid signature",
        "expired": "Code expired",
        "not_yet_valid": "Not valid yet",
        "wrong_kind": "Wrong kind of code",
    }
)


class CodeError(DomainError):
    """A signed code was refused; `reason` is a stable key for code, logs and tests.

    The title follows from the reason and the message is fixed wording for the
    cashier: neither ever contains the scanned text.
    """

    def __init__(self, reason: CodeReason, message: str) -> None:
        super().__init__(_TITLES[reason], message)
        self.reason: CodeReason = reason

    def __reduce__(self) -> tuple[type[CodeError], tuple[CodeReason, str]]:
        # PosError's args are (title, message); rebuild from (reason, message) instead.
        return (CodeError, (self.reason, self.message))


@dataclass(frozen=True, slots=True)
class SignedCode:
    """A code that is well formed, not yet known to be authentic.

    `signed` is the exact byte string the signature covers; `payload` is the decoded
    JSON object, read-only. Read claims from it only after `pos.signing.KeyRing.verify`.
    """

    kind: CodeKind
    kid: str
    # Excluded from the hash because a mapping is unhashable; `signed` covers it.
    payload: Mapping[str, object] = field(hash=False)
    signed: bytes
    signature: bytes
    text: str


@dataclass(frozen=True, slots=True)
class MemberClaims:
    """Who the member is, and until when a dynamic code from their phone is good.

    `expires` (epoch seconds, exclusive) is None for the static member card printed
    on a receipt, which never expires.
    """

    member_no: str
    expires: int | None

    def __post_init__(self) -> None:
        _id(self.member_no, "member_no")
        if self.expires is not None:
            _time(self.expires, "expires")


@dataclass(frozen=True, slots=True)
class CouponClaims:
    """One coupon as issued: which campaign, who may redeem it, where and when.

    `member_no` None is a gift coupon anyone may redeem; `store_id` "" means every
    store of the chain. The window is [valid_from, valid_until) in epoch seconds.
    The campaign's rules (amounts, thresholds, stacking) are not in the code: the
    till looks them up by `campaign_id`, which keeps the code short.
    """

    coupon_id: str
    campaign_id: str
    member_no: str | None
    store_id: str
    valid_from: int
    valid_until: int
    giver: str | None = None
    """For a referral coupon: the member who passes it to a friend (and is rewarded)."""

    def __post_init__(self) -> None:
        _id(self.coupon_id, "coupon_id")
        if self.giver is not None:
            _id(self.giver, "giver")
        _id(self.campaign_id, "campaign_id")
        if self.member_no is not None:
            _id(self.member_no, "member_no")
        if self.store_id:
            _id(self.store_id, "store_id")
        _time(self.valid_from, "valid_from")
        _time(self.valid_until, "valid_until")
        if self.valid_from >= self.valid_until:
            raise ValueError("valid_until must be after valid_from")


def code_kind(text: str) -> CodeKind | None:
    """The kind a text claims by its prefix, or None when it is not a signed code at all."""
    for kind, prefix in PREFIXES.items():
        if text.startswith(prefix):
            return kind
    return None


def encode_b64url(data: bytes) -> str:
    """Unpadded base64url, the encoding of every part of a code and of public keys."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_b64url(text: str) -> bytes:
    """The bytes of unpadded base64url text; ValueError for anything else.

    Only the spelling `encode_b64url` produces is accepted (no padding, no stray
    characters, unused trailing bits zero), so a changed character is never
    silently decoded to the same bytes.
    """
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if encode_b64url(data) != text:
        raise ValueError("not the canonical spelling of its bytes")
    return data


def encode_code(
    kind: CodeKind, kid: str, payload: Mapping[str, object], sign: Callable[[bytes], bytes]
) -> str:
    """The text of a code carrying `payload`, signed by `sign` under key id `kid`.

    ValueError when the kind, key id or payload cannot make a code, or the code
    would be longer than MAX_CODE_LENGTH.
    """
    if kind not in PREFIXES:
        raise ValueError("kind must be 'member' or 'coupon'")
    if not KID_PATTERN.fullmatch(kid):
        raise ValueError("a key id is 1 to 40 letters, digits, '-' or '_'")
    body = f"{PREFIXES[kind]}{kid}.{encode_b64url(_canonical_json(payload))}"
    length = len(body) + 1 + _SIGNATURE_CHARS
    if length > MAX_CODE_LENGTH:
        raise ValueError(
            f"the code would be {length} characters, over {MAX_CODE_LENGTH}: "
            "use shorter ids so every scanner can read it"
        )
    signature = sign(body.encode("ascii"))
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError(f"an Ed25519 signature is {SIGNATURE_BYTES} bytes")
    return f"{body}.{encode_b64url(signature)}"


def parse_code(text: str) -> SignedCode:
    """Take a code apart, checking its structure only; CodeError when it is not one.

    "truncated" when `text` could be the start of a code (a scan cut short), and
    "malformed" otherwise. The signature is not checked here: that needs the keys.
    """
    kind = code_kind(text)
    if kind is None:
        raise CodeError("malformed", "This is not a signed member code or coupon.")
    noun = NOUNS[kind]
    if len(text) > _MAX_TEXT:
        raise CodeError("malformed", f"This {noun} is longer than any code the chain issues.")
    prefix = PREFIXES[kind]
    parts = text[len(prefix) :].split(".")
    # A part followed by a dot is complete; the last one may have been cut short.
    if (
        len(parts) > 3
        or not all(_B64URL.fullmatch(part) for part in parts)
        or len(parts[0]) > _KID_MAX
        or any(not part for part in parts[1:-1])
        or (len(parts) > 1 and not parts[0])
    ):
        raise CodeError(
            "malformed", f"This {noun} is damaged: its parts are not in the expected form."
        )
    if len(parts) < 3 or len(parts[2]) < _SIGNATURE_CHARS:
        raise CodeError(
            "truncated",
            f"This {noun} is incomplete: its end is missing. Scan it again, whole.",
        )
    kid, payload_b64, sig_b64 = parts
    signature = _decoded(sig_b64)
    if signature is None or len(signature) != SIGNATURE_BYTES:
        raise CodeError("malformed", f"This {noun} is damaged: its signature cannot be read.")
    raw = _decoded(payload_b64)
    payload = None if raw is None else _json_object(raw)
    if payload is None:
        raise CodeError("malformed", f"This {noun} is damaged: its contents cannot be read.")
    return SignedCode(
        kind=kind,
        kid=kid,
        payload=MappingProxyType(payload),
        signed=f"{prefix}{kid}.{payload_b64}".encode("ascii"),
        signature=signature,
        text=text,
    )


def member_payload(claims: MemberClaims) -> dict[str, object]:
    """The payload of a member code; `expires` is left out for a static card."""
    payload: dict[str, object] = {"m": claims.member_no}
    if claims.expires is not None:
        payload["e"] = claims.expires
    return payload


def coupon_payload(claims: CouponClaims) -> dict[str, object]:
    """The payload of a coupon; a gift coupon and a chain-wide one leave their key out."""
    payload: dict[str, object] = {
        "c": claims.coupon_id,
        "g": claims.campaign_id,
        "f": claims.valid_from,
        "u": claims.valid_until,
    }
    if claims.member_no is not None:
        payload["m"] = claims.member_no
    if claims.store_id:
        payload["s"] = claims.store_id
    if claims.giver is not None:
        payload["r"] = claims.giver
    return payload


def member_claims(code: SignedCode) -> MemberClaims:
    """The claims of a verified member code; CodeError "malformed" or "wrong_kind"."""
    payload = _payload_of(code, "member", required={"m"}, optional={"e"})
    try:
        return MemberClaims(
            member_no=_id(payload["m"], "m"),
            expires=_time(payload["e"], "e") if "e" in payload else None,
        )
    except ValueError:
        raise _bad_claims("member") from None


def coupon_claims(code: SignedCode) -> CouponClaims:
    """The claims of a verified coupon; CodeError "malformed" or "wrong_kind"."""
    payload = _payload_of(code, "coupon", required={"c", "g", "f", "u"}, optional={"m", "s", "r"})
    try:
        return CouponClaims(
            coupon_id=_id(payload["c"], "c"),
            campaign_id=_id(payload["g"], "g"),
            member_no=_id(payload["m"], "m") if "m" in payload else None,
            store_id=_id(payload["s"], "s") if "s" in payload else "",
            valid_from=_time(payload["f"], "f"),
            valid_until=_time(payload["u"], "u"),
            giver=_id(payload["r"], "r") if "r" in payload else None,
        )
    except ValueError:
        raise _bad_claims("coupon") from None


def check_window(claims: MemberClaims | CouponClaims, now: int, skew_s: int = 30) -> None:
    """CodeError "expired" or "not_yet_valid" unless the code is good at `now`.

    `skew_s` forgives clocks that disagree by that much (the phone that made a
    dynamic member code, the cloud that issued a coupon, this till); beyond it, a
    code replayed after its window is refused.
    """
    if isinstance(claims, MemberClaims):
        if claims.expires is not None and now >= claims.expires + skew_s:
            raise CodeError(
                "expired",
                "This member code has expired; ask the customer to refresh it in the app.",
            )
        return
    if now < claims.valid_from - skew_s:
        raise CodeError("not_yet_valid", "This coupon is not valid yet.")
    if now >= claims.valid_until + skew_s:
        raise CodeError("expired", "This coupon has expired.")


def _canonical_json(payload: Mapping[str, object]) -> bytes:
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _decoded(part: str) -> bytes | None:
    try:
        return decode_b64url(part)
    except ValueError:
        return None


def _json_object(raw: bytes) -> dict[str, object] | None:
    """The JSON object in `raw`, or None unless `raw` is its canonical encoding.

    Requiring the canonical bytes refuses duplicate keys, stray whitespace and
    other spellings, so the claims the till reads are exactly the ones signed.
    """
    try:
        payload = json.loads(raw.decode("utf-8"))
        # Encoding back can fail too: NaN, or a lone surrogate from a \ud800 escape.
        canonical = isinstance(payload, dict) and _canonical_json(payload) == raw
    except ValueError:
        return None
    return payload if canonical else None


def _payload_of(
    code: SignedCode, kind: CodeKind, required: set[str], optional: set[str]
) -> Mapping[str, object]:
    if code.kind != kind:
        other = NOUNS[code.kind]
        raise CodeError("wrong_kind", f"A {NOUNS[kind]} was expected, but this is a {other}.")
    keys = code.payload.keys()
    if not required <= keys or not keys <= required | optional:
        raise _bad_claims(kind)
    return code.payload


def _bad_claims(kind: CodeKind) -> CodeError:
    return CodeError(
        "malformed",
        f"This {NOUNS[kind]} is signed, but its contents are not in a form this till reads.",
    )


def _id(value: object, name: str) -> str:
    if not (isinstance(value, str) and _ID.fullmatch(value)):
        raise ValueError(
            f"{name} must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return value


def _time(value: object, name: str) -> int:
    # `type(...) is int` because bool is an int subclass and JSON true is not a time.
    if type(value) is not int or not 0 <= value <= _LATEST_EPOCH:
        raise ValueError(f"{name} must be whole epoch seconds between 1970 and 9999")
    return value
