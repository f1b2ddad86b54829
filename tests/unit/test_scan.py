"""Scan classification: every branch, every rejection reason, and hostile input."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.barcodes import gtin_check_digit
from pos.domain.codes import (
    CodeError,
    CouponClaims,
    MemberClaims,
    coupon_payload,
    encode_code,
    member_payload,
    parse_code,
)
from pos.domain.errors import DomainError
from pos.domain.scan import (
    DEFAULT_EMBEDDED_RULES,
    CouponCode,
    EmbeddedCode,
    EmbeddedRule,
    MemberCode,
    ProductCode,
    ReceiptCode,
    Rejected,
    ScanRules,
    WalletCode,
    classify,
    parse_entry,
)
from pos.signing import KeyRing, SigningKey


def with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


DEFAULT_RULES = ScanRules()


def rejected(text: str, rules: ScanRules = DEFAULT_RULES) -> Rejected:
    result = classify(text, rules)
    assert isinstance(result, Rejected), result
    assert result.text == text
    return result


# Products


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("6901234567892", "ean13"),
        ("4006381333931", "ean13"),
        ("96385074", "ean8"),
        ("036000291452", "upca"),
        ("1001", "sku"),
        ("ABC-12.x_3", "sku"),
        ("7", "sku"),
        ("A" * 32, "sku"),
    ],
)
def test_products(code: str, symbology: str) -> None:
    assert classify(code) == ProductCode(code, symbology)  # type: ignore[arg-type]


@pytest.mark.parametrize("suffix", ["\r\n", "\n", "\r", "\t", "  "])
def test_the_scanner_terminator_and_surrounding_spaces_are_stripped(suffix: str) -> None:
    assert classify(" 6901234567892" + suffix) == ProductCode("6901234567892", "ean13")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("6901234567893", "EAN-13 check digit is 3, expected 2"),
        ("96385075", "EAN-8 check digit is 5, expected 4"),
        ("036000291450", "UPC-A check digit is 0, expected 2"),
    ],
)
def test_a_bad_check_digit_says_what_it_is_and_what_was_expected(code: str, message: str) -> None:
    result = rejected(code)
    assert result.reason == "bad_check_digit"
    assert message in result.message


@given(st.sampled_from("3456789"), st.text("0123456789", min_size=11, max_size=11))
def test_any_valid_ean_13_outside_in_store_ranges_is_a_product(first: str, rest: str) -> None:
    code = with_check_digit(first + rest)
    assert classify(code) == ProductCode(code, "ean13")


@pytest.mark.parametrize("length", [8, 12, 13])
def test_all_digit_codes_of_barcode_length_are_never_skus(length: int) -> None:
    code = "3" * (length - 1)
    wrong = (gtin_check_digit(code) + 1) % 10
    assert rejected(code + str(wrong)).reason == "bad_check_digit"


# Wallet codes (reference/payments.md section 1.9)


@pytest.mark.parametrize("prefix", ["10", "11", "12", "13", "14", "15"])
def test_wechat_pay_codes_are_18_digits_starting_10_to_15(prefix: str) -> None:
    code = prefix + "4567890123456789"
    assert classify(code) == WalletCode(code, "wechat")


@pytest.mark.parametrize("prefix", ["25", "26", "27", "28", "29", "30"])
@pytest.mark.parametrize("length", [16, 18, 20, 24])
def test_alipay_codes_are_16_to_24_digits_starting_25_to_30(prefix: str, length: int) -> None:
    code = (prefix + "1234567890" * 3)[:length]
    assert classify(code) == WalletCode(code, "alipay")


@given(st.text("0123456789", min_size=18, max_size=18))
def test_an_18_digit_string_is_a_wallet_code_or_rejected_never_a_product(code: str) -> None:
    assert isinstance(classify(code), WalletCode | Rejected)


@pytest.mark.parametrize("prefix", ["16", "19", "00", "09", "20", "24"])
def test_18_digits_with_a_non_wechat_prefix_say_what_wechat_codes_start_with(prefix: str) -> None:
    result = rejected(prefix + "4567890123456789")
    assert result.reason == "wallet_prefix"
    assert result.message == (
        f"18-digit code starting {prefix} is not a WeChat Pay code (they start 10-15)."
    )


def test_18_digits_starting_beyond_alipay_name_both_wallets() -> None:
    result = rejected("31" + "4567890123456789")
    assert result.reason == "wallet_prefix"
    assert "WeChat Pay codes start 10-15, Alipay codes 25-30" in result.message


@pytest.mark.parametrize("code", ["13" + "4" * 15, "13" + "4" * 17])
def test_wechat_prefixed_codes_one_digit_off_are_wallet_length(code: str) -> None:
    result = rejected(code)
    assert result.reason == "wallet_length"
    assert f"{len(code)}-digit code starting 13 is not a WeChat Pay code (they are 18 digits)" in (
        result.message
    )


@pytest.mark.parametrize("code", ["28" + "4" * 13, "28" + "4" * 23])
def test_alipay_prefixed_codes_one_digit_off_are_wallet_length(code: str) -> None:
    result = rejected(code)
    assert result.reason == "wallet_length"
    assert f"{len(code)}-digit code starting 28 is not an Alipay code (they are 16-24 digits)" in (
        result.message
    )


# Receipt codes


@pytest.mark.parametrize("number", ["20240101-0001", "A", "X" * 40, "dev1-000042"])
def test_receipt_codes(number: str) -> None:
    assert classify("R1:" + number) == ReceiptCode("R1:" + number, number)


@pytest.mark.parametrize("code", ["R1:", "R1:ab cd", "R1:" + "X" * 41, "R1:a_b", "R1:收据"])
def test_damaged_receipt_codes_are_rejected(code: str) -> None:
    result = rejected(code)
    assert result.reason == "bad_receipt_code"
    assert "receipt number" in result.message


def test_the_receipt_prefix_is_configurable() -> None:
    rules = ScanRules(receipt_prefix="RC-")
    assert classify("RC-42", rules) == ReceiptCode("RC-42", "42")


# Signed member and coupon codes (checked in depth in test_codes.py)

KEY = SigningKey.from_seed(bytes(range(32)), "T01-1a2b3c4d")
MEMBER = encode_code("member", KEY.kid, member_payload(MemberClaims("M000123", None)), KEY.sign)
COUPON = encode_code(
    "coupon",
    KEY.kid,
    coupon_payload(CouponClaims("CP0042", "SPRING24", None, "", 1_760_000_000, 1_770_000_000)),
    KEY.sign,
)


def test_a_member_code_is_taken_apart_for_the_caller_to_verify() -> None:
    result = classify(MEMBER + "\r\n")
    assert isinstance(result, MemberCode)
    assert result == MemberCode(MEMBER, parse_code(MEMBER))
    KeyRing({KEY.kid: KEY.public_key}).verify(result.signed)


def test_a_coupon_code_is_taken_apart_for_the_caller_to_verify() -> None:
    result = classify(COUPON)
    assert isinstance(result, CouponCode)
    assert result == CouponCode(COUPON, parse_code(COUPON))
    KeyRing({KEY.kid: KEY.public_key}).verify(result.signed)


def test_classification_is_structural_so_a_forged_code_is_still_a_member_code() -> None:
    forged = MEMBER[:-2] + ("AA" if MEMBER[-2:] != "AA" else "QA")
    result = classify(forged)
    assert isinstance(result, MemberCode)
    with pytest.raises(CodeError) as caught:
        KeyRing({KEY.kid: KEY.public_key}).verify(result.signed)
    assert caught.value.reason == "forged"


def test_signed_codes_come_before_receipt_codes() -> None:
    assert isinstance(classify(MEMBER, ScanRules(receipt_prefix="M")), MemberCode)
    assert classify("M42", ScanRules(receipt_prefix="M")) == ReceiptCode("M42", "42")


@pytest.mark.parametrize("prefix", ["M1:", "C1:", "C1:X"])
def test_a_receipt_prefix_that_would_shadow_signed_codes_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="receipt_prefix cannot start like a signed"):
        ScanRules(receipt_prefix=prefix)


@pytest.mark.parametrize(
    ("text", "reason"), [(MEMBER, "bad_member_code"), (COUPON, "bad_coupon_code")]
)
def test_a_signed_code_cut_short_is_rejected_as_incomplete(text: str, reason: str) -> None:
    for length in (3, 10, len(text) // 2, len(text) - 1):
        result = rejected(text[:length])
        assert result.reason == reason
        assert "is incomplete: its end is missing. Scan it again, whole." in result.message


@pytest.mark.parametrize(
    ("text", "reason", "message"),
    [
        (
            MEMBER + ".x",
            "bad_member_code",
            "This member code is damaged: its parts are not in the expected form.",
        ),
        (
            "C1:[bold]x[/bold].y.z",
            "bad_coupon_code",
            "This coupon is damaged: its parts are not in the expected form.",
        ),
        (
            COUPON[:-1] + "B",
            "bad_coupon_code",
            "This coupon is damaged: its signature cannot be read.",
        ),
    ],
)
def test_a_damaged_signed_code_says_what_is_wrong_without_echo(
    text: str, reason: str, message: str
) -> None:
    result = rejected(text)
    assert (result.reason, result.message) == (reason, message)


def test_signed_codes_within_the_default_scanner_length() -> None:
    assert classify(COUPON, ScanRules(max_length=len(COUPON))) == CouponCode(
        COUPON, parse_code(COUPON)
    )
    assert rejected(COUPON, ScanRules(max_length=len(COUPON) - 1)).reason == "too_long"


@given(st.sampled_from(["M1:", "C1:"]), st.text(max_size=250))
def test_anything_after_a_signed_prefix_is_a_signed_code_or_rejected_without_echo(
    prefix: str, rest: str
) -> None:
    result = classify(prefix + rest)
    assert isinstance(result, MemberCode | CouponCode | Rejected)
    if isinstance(result, Rejected):
        assert result.message.isascii()
        assert result.message.isprintable()
        assert "[" not in result.message


# In-store embedded codes


def test_a_price_embedded_label_gives_plu_and_price() -> None:
    code = with_check_digit("20" + "00123" + "01250")
    assert classify(code) == EmbeddedCode(code, plu="00123", price=1250, weight_g=None)


def test_a_weight_embedded_label_gives_plu_and_grams() -> None:
    code = with_check_digit("21" + "00456" + "00750")
    assert classify(code) == EmbeddedCode(code, plu="00456", price=None, weight_g=750)


def test_an_embedded_label_with_a_bad_check_digit_is_rejected() -> None:
    code = with_check_digit("20" + "00123" + "01250")
    result = rejected(code[:-1] + str((int(code[-1]) + 1) % 10))
    assert result.reason == "bad_check_digit"
    assert "In-store price label check digit" in result.message


@pytest.mark.parametrize(("prefix", "kind"), [("20", "price"), ("21", "weight")])
def test_an_embedded_label_with_a_zero_value_is_rejected(prefix: str, kind: str) -> None:
    result = rejected(with_check_digit(prefix + "00123" + "00000"))
    assert result.reason == "bad_embedded_code"
    assert f"PLU 00123 shows a {kind} of zero" in result.message


def test_other_in_store_prefixes_are_plain_ean_13() -> None:
    code = with_check_digit("22" + "0012301250")
    assert classify(code) == ProductCode(code, "ean13")


def test_custom_rules_without_check_digit_replace_the_defaults() -> None:
    rule = EmbeddedRule(
        "2", plu_digits=4, value="weight", value_digits=7, length=12, check_digit=False
    )
    rules = ScanRules(embedded=(rule,))
    assert classify("212340001500", rules) == EmbeddedCode(
        "212340001500", plu="1234", price=None, weight_g=1500
    )
    price_code = with_check_digit("20" + "00123" + "01250")
    assert classify(price_code, rules) == ProductCode(price_code, "ean13")


def test_default_rules() -> None:
    expected = (EmbeddedRule("20", 5, "price", 5), EmbeddedRule("21", 5, "weight", 5))
    assert expected == DEFAULT_EMBEDDED_RULES
    assert ScanRules().embedded == DEFAULT_EMBEDDED_RULES


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"prefix": "2a", "plu_digits": 5, "value": "price", "value_digits": 5}, "digits"),
        ({"prefix": "20", "plu_digits": 0, "value": "price", "value_digits": 10}, "at least one"),
        ({"prefix": "20", "plu_digits": 5, "value": "volume", "value_digits": 5}, "'volume'"),
        (
            {"prefix": "20", "plu_digits": 5, "value": "price", "value_digits": 4},
            r"prefix \(2\) \+ PLU \(5\) \+ value \(4\) \+ check digit \(1\) = 12 digits, "
            "but length is 13",
        ),
        (
            {
                "prefix": "2",
                "plu_digits": 5,
                "value": "price",
                "value_digits": 6,
                "check_digit": False,
            },
            "= 12 digits",
        ),
    ],
)
def test_embedded_rule_layouts_are_checked(arguments: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        EmbeddedRule(**arguments)  # type: ignore[arg-type]


def test_overlapping_embedded_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        ScanRules(embedded=(EmbeddedRule("2", 5, "price", 6), EmbeddedRule("20", 5, "price", 5)))


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"max_length": 0}, "max_length"),
        ({"receipt_prefix": ""}, "receipt_prefix"),
        ({"sku_pattern": "[unclosed"}, "sku_pattern"),
    ],
)
def test_scan_rules_are_checked(arguments: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        ScanRules(**arguments)  # type: ignore[arg-type]


# Rejections of hostile or meaningless input


@pytest.mark.parametrize("text", ["", "   ", "\r\n", "\t"])
def test_empty(text: str) -> None:
    result = rejected(text)
    assert result.reason == "empty"
    assert result.message == "Nothing was scanned."


def test_too_long_gives_the_length_and_comes_before_control_characters() -> None:
    result = rejected("\x1b" + "1" * 10_239)
    assert result.reason == "too_long"
    assert "10240 characters" in result.message
    assert "256" in result.message


def test_max_length_is_configurable() -> None:
    assert rejected("ABCDE", ScanRules(max_length=4)).reason == "too_long"
    assert classify("ABCD", ScanRules(max_length=4)) == ProductCode("ABCD", "sku")


UNPRINTABLE = [
    "\x00",  # NUL
    "\x07",  # BEL
    "\x1b",  # ESC
    "\x7f",  # DEL
    "\x85",  # NEL (C1)
    "\x9b",  # CSI (C1)
    "\u200b",  # zero width space (Cf)
    "\u202e",  # right-to-left override (Cf)
    "\ud800",  # lone surrogate (Cs)
    "\ue000",  # private use (Co)
    "\u0378",  # unassigned (Cn)
    "\ufffd",  # replacement character from a bad decode
]


@pytest.mark.parametrize("char", UNPRINTABLE)
def test_control_and_unprintable_characters_are_rejected_without_echo(char: str) -> None:
    text = "690123" + char + "4567892"
    result = rejected(text)
    assert result.reason == "control_characters"
    assert char not in result.message
    assert f"U+{ord(char):04X} at position 7" in result.message


def test_ansi_escape_sequences_are_rejected() -> None:
    result = rejected("\x1b[31m6901234567892\x1b[0m")
    assert result.reason == "control_characters"
    assert "\x1b" not in result.message
    assert "[31m" not in result.message


@pytest.mark.parametrize(
    "text", ["[bold]x[/bold]", "[red]1001", "1001[/]", "[link=http://x]y[/link]"]
)
def test_markup_is_plain_data_and_not_a_code(text: str) -> None:
    result = rejected(text)
    assert result.reason == "unknown_format"
    assert "[" not in result.message
    assert "expected a product barcode (EAN-13, EAN-8, UPC-A), a store SKU" in result.message


def test_a_digit_string_of_no_known_length_says_which_lengths_exist() -> None:
    result = rejected("9" * 40)
    assert result.reason == "unknown_format"
    assert result.message.startswith("A 40-digit number is not a code this till knows")
    assert "8, 12 or 13 digits" in result.message


@given(st.text(max_size=300))
def test_classify_never_raises_and_messages_cannot_carry_markup_or_escapes(text: str) -> None:
    result = classify(text)
    if isinstance(result, Rejected):
        assert result.text == text
        assert result.message.isascii()
        assert result.message.isprintable()
        assert "[" not in result.message
        assert "]" not in result.message


@given(st.text(st.characters(categories=["Cc", "Cf", "Co"]), min_size=1, max_size=5))
def test_unprintable_runs_inside_a_code_are_never_accepted(junk: str) -> None:
    result = classify("6901234" + junk + "567892")
    assert isinstance(result, Rejected)
    assert result.reason == "control_characters"
    assert not any(char in result.message for char in junk)


# Quantity entry


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("3*6901234567892", (3, "6901234567892")),
        ("6901234567892", (1, "6901234567892")),
        (" 3 * 6901234567892 ", (3, "6901234567892")),
        ("9999*1001", (9999, "1001")),
        ("0003*1001", (3, "1001")),
        ("", (1, "")),
    ],
)
def test_parse_entry(text: str, entry: tuple[int, str]) -> None:
    assert parse_entry(text) == entry


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("*1001", "No quantity"),
        ("a*1001", "Invalid quantity"),
        ("-1*1001", "Invalid quantity"),
        ("1.5*1001", "Invalid quantity"),
        ("０*1001", "Invalid quantity"),
        ("0*1001", "Quantity out of range"),
        ("10000*1001", "Quantity out of range"),
        ("9" * 5000 + "*1001", "Quantity out of range"),
        ("3*", "No code"),
        ("3*   ", "No code"),
    ],
)
def test_parse_entry_refuses_with_a_specific_message(text: str, title: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse_entry(text)
    assert caught.value.title == title
