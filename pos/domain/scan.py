"""Classify whatever a scanner or the keyboard hands the till, before it touches the cart.

A wallet code read as a product, or a product read as a payment, costs the store
money; so every input is sorted into exactly one kind, in the fixed order of
DESIGN.md section 5, and anything unrecognised becomes a `Rejected` with a
sentence the cashier can act on. Scanned text is data: rejection messages are
built from fixed wording and numbers only, never from the raw input, so a code
containing markup or terminal escapes cannot reach the screen through them.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pos.domain.barcodes import gtin_check_digit
from pos.domain.codes import PREFIXES, CodeError, CodeKind, SignedCode, code_kind, parse_code
from pos.domain.errors import DomainError

Symbology = Literal["ean13", "ean8", "upca", "sku"]

_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_REPLACEMENT_CHARACTER = "\ufffd"
_RECEIPT_NUMBER = re.compile(r"[A-Za-z0-9-]{1,40}")
_PRODUCT_SYMBOLOGIES: dict[int, tuple[Symbology, str]] = {
    8: ("ean8", "EAN-8"),
    12: ("upca", "UPC-A"),
    13: ("ean13", "EAN-13"),
}
_WECHAT_LENGTH = 18
_WECHAT_PREFIXES = range(10, 16)
_ALIPAY_LENGTHS = range(16, 25)
_ALIPAY_PREFIXES = range(25, 31)
_MAX_QUANTITY = 9999


@dataclass(frozen=True, slots=True)
class ProductCode:
    """A catalog barcode with a verified check digit, or a store SKU."""

    code: str
    symbology: Symbology


@dataclass(frozen=True, slots=True)
class EmbeddedCode:
    """An in-store label from a scale: the PLU plus either the price (fen) or the weight (g)."""

    code: str
    plu: str
    price: int | None
    weight_g: int | None


@dataclass(frozen=True, slots=True)
class WalletCode:
    """A customer's payment code from their WeChat Pay or Alipay app."""

    code: str
    provider: Literal["wechat", "alipay"]


@dataclass(frozen=True, slots=True)
class MemberCode:
    """A member card or a dynamic member code, well formed but not yet verified.

    Its signature and window are the caller's to check, with the chain's keys
    (`pos.signing.KeyRing`) and the clock, neither of which classification has.
    """

    code: str
    signed: SignedCode


@dataclass(frozen=True, slots=True)
class CouponCode:
    """A coupon, well formed but not yet verified (see `MemberCode`)."""

    code: str
    signed: SignedCode


@dataclass(frozen=True, slots=True)
class ReceiptCode:
    """The code printed on a receipt, to open that sale for a return or a reprint."""

    code: str
    receipt_no: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input that is none of the above.

    `reason` is a stable key for code and logs; `message` is for the cashier and
    never contains `text`, which keeps the raw input for diagnosis only.
    """

    text: str
    reason: str
    message: str


Scan = ProductCode | EmbeddedCode | WalletCode | MemberCode | CouponCode | ReceiptCode | Rejected


@dataclass(frozen=True, slots=True)
class EmbeddedRule:
    """One layout of in-store barcode: prefix + PLU + value (+ check digit).

    Scales are configured per store, so the layout is data; it is checked here
    so that a wrong pos.toml fails at start-up rather than at the counter.
    """

    prefix: str
    plu_digits: int
    value: Literal["price", "weight"]
    value_digits: int
    length: int = 13
    check_digit: bool = True

    def __post_init__(self) -> None:
        if not (self.prefix.isascii() and self.prefix.isdigit()):
            raise ValueError(f"embedded rule prefix must be digits, got {self.prefix!r}")
        if self.plu_digits < 1 or self.value_digits < 1:
            raise ValueError(
                f"embedded rule {self.prefix}: PLU and value need at least one digit each"
            )
        if self.value not in ("price", "weight"):
            raise ValueError(
                f"embedded rule {self.prefix}: value must be 'price' or 'weight', "
                f"got {self.value!r}"
            )
        check = 1 if self.check_digit else 0
        layout = len(self.prefix) + self.plu_digits + self.value_digits + check
        if layout != self.length:
            raise ValueError(
                f"embedded rule {self.prefix}: prefix ({len(self.prefix)}) + PLU "
                f"({self.plu_digits}) + value ({self.value_digits}) + check digit ({check}) "
                f"= {layout} digits, but length is {self.length}"
            )

    def matches(self, code: str) -> bool:
        """Whether an all-digit `code` has this rule's length and prefix."""
        return len(code) == self.length and code.startswith(self.prefix)


DEFAULT_EMBEDDED_RULES: tuple[EmbeddedRule, ...] = (
    EmbeddedRule(prefix="20", plu_digits=5, value="price", value_digits=5),
    EmbeddedRule(prefix="21", plu_digits=5, value="weight", value_digits=5),
)


@dataclass(frozen=True, slots=True)
class ScanRules:
    """The store-configurable parts of classification."""

    embedded: tuple[EmbeddedRule, ...] = DEFAULT_EMBEDDED_RULES
    max_length: int = 256
    sku_pattern: str = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"
    receipt_prefix: str = "R1:"

    def __post_init__(self) -> None:
        if self.max_length < 1:
            raise ValueError(f"max_length must be at least 1, got {self.max_length}")
        if not self.receipt_prefix:
            raise ValueError("receipt_prefix cannot be empty")
        if code_kind(self.receipt_prefix) is not None:
            raise ValueError(
                "receipt_prefix cannot start like a signed member or coupon code "
                f"({', '.join(PREFIXES.values())}): receipt codes would never be recognised"
            )
        try:
            re.compile(self.sku_pattern)
        except re.error as error:
            raise ValueError(f"sku_pattern is not a regular expression: {error}") from None
        for index, rule in enumerate(self.embedded):
            for other in self.embedded[:index]:
                if rule.length == other.length and (
                    rule.prefix.startswith(other.prefix) or other.prefix.startswith(rule.prefix)
                ):
                    raise ValueError(
                        f"embedded rules {other.prefix} and {rule.prefix} overlap: "
                        f"a {rule.length}-digit code could match both"
                    )


def classify(text: str, rules: ScanRules = ScanRules()) -> Scan:
    """Decide what `text` is, in the order of DESIGN.md section 5.

    Wallet codes come first because an 18-digit payment code must never be
    looked up as a product, and in-store rules come before EAN-13 because their
    prefixes (20-29) are EAN-13's restricted-circulation range. Signed member and
    coupon codes are only taken apart here: their signatures are checked by the
    caller, which holds the chain's keys.
    """
    code = text.strip()
    rejection = _reject_unsafe(text, code, rules.max_length)
    if rejection is not None:
        return rejection
    digits = code.isascii() and code.isdigit()
    if digits:
        wallet = _wallet(code)
        if wallet is not None:
            return wallet
    signed_kind = code_kind(code)
    if signed_kind is not None:
        return _signed(text, code, signed_kind)
    if code.startswith(rules.receipt_prefix):
        return _receipt(text, code, rules.receipt_prefix)
    if digits:
        for rule in rules.embedded:
            if rule.matches(code):
                return _embedded(text, code, rule)
        if len(code) in _PRODUCT_SYMBOLOGIES:
            return _product(text, code)
        lookalike = _wallet_lookalike(text, code)
        if lookalike is not None:
            return lookalike
    if re.fullmatch(rules.sku_pattern, code):
        return ProductCode(code, "sku")
    return Rejected(text, "unknown_format", _unknown_message(code, digits))


def _reject_unsafe(text: str, code: str, max_length: int) -> Rejected | None:
    if not code:
        return Rejected(text, "empty", "Nothing was scanned.")
    if len(code) > max_length:
        return Rejected(
            text,
            "too_long",
            f"The scan is {len(code)} characters long; at most {max_length} are accepted.",
        )
    for position, char in enumerate(code, start=1):
        if char == _REPLACEMENT_CHARACTER or unicodedata.category(char) in _UNPRINTABLE_CATEGORIES:
            return Rejected(
                text,
                "control_characters",
                f"The scan contains an unprintable character (U+{ord(char):04X} at position "
                f"{position}); check the scanner's interface and keyboard settings.",
            )
    return None


def _wallet(code: str) -> WalletCode | None:
    prefix = int(code[:2])
    if len(code) == _WECHAT_LENGTH and prefix in _WECHAT_PREFIXES:
        return WalletCode(code, "wechat")
    if len(code) in _ALIPAY_LENGTHS and prefix in _ALIPAY_PREFIXES:
        return WalletCode(code, "alipay")
    return None


def _signed(text: str, code: str, kind: CodeKind) -> MemberCode | CouponCode | Rejected:
    try:
        signed = parse_code(code)
    except CodeError as error:
        return Rejected(text, f"bad_{kind}_code", error.message)
    if kind == "member":
        return MemberCode(code, signed)
    return CouponCode(code, signed)


def _receipt(text: str, code: str, prefix: str) -> ReceiptCode | Rejected:
    receipt_no = code[len(prefix) :]
    if _RECEIPT_NUMBER.fullmatch(receipt_no):
        return ReceiptCode(code, receipt_no)
    return Rejected(
        text,
        "bad_receipt_code",
        "This receipt code is damaged: the receipt number should be 1 to 40 letters, "
        "digits or hyphens. Type the receipt number instead.",
    )


def _embedded(text: str, code: str, rule: EmbeddedRule) -> EmbeddedCode | Rejected:
    kind = rule.value
    if rule.check_digit:
        expected = gtin_check_digit(code[:-1])
        if int(code[-1]) != expected:
            return Rejected(
                text,
                "bad_check_digit",
                f"In-store {kind} label check digit is {code[-1]}, expected {expected}; "
                "scan it again or key the item.",
            )
    plu_start = len(rule.prefix)
    value_start = plu_start + rule.plu_digits
    plu = code[plu_start:value_start]
    value = int(code[value_start : value_start + rule.value_digits])
    if value == 0:
        return Rejected(
            text,
            "bad_embedded_code",
            f"In-store {kind} label for PLU {plu} shows a {kind} of zero; "
            "weigh and label the item again.",
        )
    if rule.value == "price":
        return EmbeddedCode(code, plu, price=value, weight_g=None)
    return EmbeddedCode(code, plu, price=None, weight_g=value)


def _product(text: str, code: str) -> ProductCode | Rejected:
    symbology, label = _PRODUCT_SYMBOLOGIES[len(code)]
    expected = gtin_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return Rejected(
            text,
            "bad_check_digit",
            f"{label} check digit is {code[-1]}, expected {expected}; "
            "scan it again or type the code.",
        )
    return ProductCode(code, symbology)


def _wallet_lookalike(text: str, code: str) -> Rejected | None:
    """Digit strings that are almost a wallet code get a message saying what is wrong.

    An 18-digit string is only ever a WeChat Pay code, and a near-miss length
    with a wallet prefix is a misread payment code; neither may fall through to
    be sold as a SKU.
    """
    length, prefix = len(code), code[:2]
    if length == _WECHAT_LENGTH:
        if int(prefix) < _ALIPAY_PREFIXES.start:
            message = (
                f"18-digit code starting {prefix} is not a WeChat Pay code (they start 10-15)."
            )
        else:
            message = (
                f"18-digit code starting {prefix} is not a payment code "
                "(WeChat Pay codes start 10-15, Alipay codes 25-30)."
            )
        return Rejected(text, "wallet_prefix", message)
    if int(prefix) in _WECHAT_PREFIXES and abs(length - _WECHAT_LENGTH) == 1:
        return Rejected(
            text,
            "wallet_length",
            f"{length}-digit code starting {prefix} is not a WeChat Pay code "
            "(they are 18 digits); ask the customer to refresh the code and scan again.",
        )
    if int(prefix) in _ALIPAY_PREFIXES and length in (
        _ALIPAY_LENGTHS.start - 1,
        _ALIPAY_LENGTHS.stop,
    ):
        return Rejected(
            text,
            "wallet_length",
            f"{length}-digit code starting {prefix} is not an Alipay code "
            "(they are 16-24 digits); ask the customer to refresh the code and scan again.",
        )
    return None


def _unknown_message(code: str, digits: bool) -> str:
    if digits:
        return (
            f"A {len(code)}-digit number is not a code this till knows: barcodes have "
            "8, 12 or 13 digits, WeChat Pay codes 18 and Alipay codes 16-24."
        )
    return (
        "Not a code this till knows: expected a product barcode (EAN-13, EAN-8, UPC-A), "
        "a store SKU (letters, digits, '.', '_' or '-'), a payment code or a receipt code."
    )


def parse_entry(text: str) -> tuple[int, str]:
    """Split a typed "quantity*code" entry, so a cashier can ring up 3 of a kind at once.

    Without a `*` the quantity is 1. The code part is returned as typed and
    still has to go through `classify`.
    """
    if "*" not in text:
        return 1, text.strip()
    quantity_text, _, code = text.partition("*")
    quantity_text, code = quantity_text.strip(), code.strip()
    if not quantity_text:
        raise DomainError(
            "No quantity", "Enter a quantity before '*', for example 3*6901234567892."
        )
    if not (quantity_text.isascii() and quantity_text.isdigit()):
        raise DomainError(
            "Invalid quantity",
            "The quantity before '*' must be a whole number, for example 3*6901234567892.",
        )
    if len(quantity_text) > len(str(_MAX_QUANTITY)) or not 1 <= int(quantity_text) <= _MAX_QUANTITY:
        raise DomainError(
            "Quantity out of range", f"The quantity must be between 1 and {_MAX_QUANTITY}."
        )
    if not code:
        raise DomainError("No code", "Enter or scan a code after '*'.")
    return int(quantity_text), code
