"""Money: exact division, formatting, parsing, tax extraction and allocation."""

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.errors import MoneyError
from pos.domain.money import (
    Rounding,
    allocate,
    divide,
    format_amount,
    format_money,
    parse_amount,
    tax_included,
)

amounts = st.integers(min_value=-(10**15), max_value=10**15)
denominators = st.integers(min_value=1, max_value=10**6)


def reference_divide(numerator: int, denominator: int, rounding: Rounding) -> int:
    exact = Fraction(numerator, denominator)
    sign = -1 if exact < 0 else 1
    magnitude = abs(exact)
    if rounding is Rounding.DOWN:
        return sign * math.floor(magnitude)
    if rounding is Rounding.UP:
        return sign * math.ceil(magnitude)
    if rounding is Rounding.HALF_UP:
        return sign * math.floor(magnitude + Fraction(1, 2))
    return round(exact)  # Fraction rounds half to even


@given(amounts, denominators, st.sampled_from(Rounding))
def test_divide_matches_exact_fraction_reference(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    assert divide(numerator, denominator, rounding) == reference_divide(
        numerator, denominator, rounding
    )


@given(amounts, denominators, st.sampled_from(Rounding))
def test_divide_is_symmetric_around_zero(
    numerator: int, denominator: int, rounding: Rounding
) -> None:
    assert divide(-numerator, denominator, rounding) == -divide(numerator, denominator, rounding)


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounding", "expected"),
    [
        (5, 2, Rounding.HALF_UP, 3),
        (-5, 2, Rounding.HALF_UP, -3),
        (5, 2, Rounding.HALF_EVEN, 2),
        (7, 2, Rounding.HALF_EVEN, 4),
        (-5, 2, Rounding.HALF_EVEN, -2),
        (7, 3, Rounding.HALF_EVEN, 2),
        (-7, 2, Rounding.DOWN, -3),
        (-7, 2, Rounding.UP, -4),
        (6, 3, Rounding.UP, 2),
        (1, 3, Rounding.HALF_UP, 0),
        (0, 7, Rounding.UP, 0),
    ],
)
def test_divide_examples(
    numerator: int, denominator: int, rounding: Rounding, expected: int
) -> None:
    assert divide(numerator, denominator, rounding) == expected


@pytest.mark.parametrize("denominator", [0, -3])
def test_divide_refuses_non_positive_denominator(denominator: int) -> None:
    with pytest.raises(ValueError, match="denominator"):
        divide(10, denominator)


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (1234, "12.34"),
        (-5, "-0.05"),
        (123400, "1234.00"),
        (0, "0.00"),
        (7, "0.07"),
        (-100, "-1.00"),
    ],
)
def test_format_amount(fen: int, text: str) -> None:
    assert format_amount(fen) == text


def test_format_money_puts_the_minus_before_the_symbol() -> None:
    assert format_money(1234) == "¥12.34"
    assert format_money(-100) == "-¥1.00"
    assert format_money(5, symbol="CNY ") == "CNY 0.05"


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12", 1200),
        ("12.3", 1230),
        ("12.34", 1234),
        ("0.05", 5),
        (" 7.5 ", 750),
        ("0", 0),
        ("12.", 1200),
        (".5", 50),
        ("9999999999.99", 999999999999),
        ("１２．５", 1250),  # full-width, as a Chinese input method types it
    ],
)
def test_parse_amount(text: str, fen: int) -> None:
    assert parse_amount(text) == fen


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("", "No amount"),
        ("   ", "No amount"),
        ("abc", "Not an amount"),
        ("1.2.3", "Not an amount"),
        (".", "Not an amount"),
        ("1e3", "Not an amount"),
        ("+1", "Not an amount"),
        ("1,000", "Not an amount"),
        ("nan", "Not an amount"),
        ("٣", "Not an amount"),  # an Arabic-Indic digit is not an ASCII digit after NFKC
        ("-1", "Negative amount"),
        ("-0.05", "Negative amount"),
        ("1.234", "Too many decimals"),
        ("12345678901", "Amount too large"),
    ],
)
def test_parse_amount_refuses_with_a_specific_message(text: str, title: str) -> None:
    with pytest.raises(MoneyError) as caught:
        parse_amount(text)
    assert caught.value.title == title
    assert str(caught.value) == caught.value.message


def test_parse_amount_messages_differ_per_problem() -> None:
    messages = set()
    for text in ["", "abc", "-1", "1.234", "12345678901"]:
        with pytest.raises(MoneyError) as caught:
            parse_amount(text)
        messages.add(caught.value.message)
    assert len(messages) == 5


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_parse_reads_back_what_format_writes(fen: int) -> None:
    assert parse_amount(format_amount(fen)) == fen


@pytest.mark.parametrize(
    ("gross", "rate_bp", "tax"),
    [(113, 1300, 13), (109, 900, 9), (1000, 0, 0), (100, 1300, 12), (300, 1300, 35), (0, 1300, 0)],
)
def test_tax_included_examples(gross: int, rate_bp: int, tax: int) -> None:
    assert tax_included(gross, rate_bp) == tax


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_tax_included_is_the_rounded_exact_share(gross: int, rate_bp: int) -> None:
    tax = tax_included(gross, rate_bp)
    exact = Fraction(gross * rate_bp, 10_000 + rate_bp)
    assert abs(tax - exact) <= Fraction(1, 2)
    assert 0 <= tax <= gross


def test_tax_included_refuses_a_negative_rate() -> None:
    with pytest.raises(ValueError, match="negative"):
        tax_included(100, -1)


weights = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30)


@given(st.integers(min_value=-(10**9), max_value=10**9), weights)
def test_allocate_sums_exactly_and_each_part_is_within_one_of_its_share(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    effective = weights if any(weights) else [1] * len(weights)
    for part, weight in zip(parts, effective, strict=True):
        exact = Fraction(total * weight, sum(effective))
        assert math.floor(exact) <= part <= math.ceil(exact)


@given(st.integers(min_value=0, max_value=10**9), weights)
def test_allocate_mirrors_negative_totals(total: int, weights: list[int]) -> None:
    assert allocate(-total, weights) == [-part for part in allocate(total, weights)]


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (1, [1, 1, 1], [1, 0, 0]),
        (2, [1, 1, 1], [1, 1, 0]),
        (100, [1, 1, 1], [34, 33, 33]),
        (10, [3, 7], [3, 7]),
        (5, [0, 0], [3, 2]),
        (5, [0, 4, 0], [0, 5, 0]),
        (3, [1, 2, 2], [1, 1, 1]),
        (7, [10, 20, 30], [1, 2, 4]),
        (0, [], []),
    ],
)
def test_allocate_examples(total: int, weights: list[int], parts: list[int]) -> None:
    assert allocate(total, weights) == parts


def test_allocate_refuses_negative_weights_and_nowhere_to_put_money() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate(10, [1, -1])
    with pytest.raises(ValueError, match="no weights"):
        allocate(10, [])
