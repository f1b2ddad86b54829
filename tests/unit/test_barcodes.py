"""GS1 check digits on real codes, and that every single misread digit is caught."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.barcodes import gtin_check_digit, has_valid_check_digit

REAL_CODES = [
    "6901234567892",  # EAN-13
    "4006381333931",  # EAN-13
    "5901234123457",  # EAN-13
    "96385074",  # EAN-8
    "036000291452",  # UPC-A
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_have_valid_check_digits(code: str) -> None:
    assert has_valid_check_digit(code)
    assert gtin_check_digit(code[:-1]) == int(code[-1])


@pytest.mark.parametrize("code", REAL_CODES)
def test_every_single_digit_corruption_is_rejected(code: str) -> None:
    for position, original in enumerate(code):
        for digit in "0123456789":
            if digit != original:
                corrupted = code[:position] + digit + code[position + 1 :]
                assert not has_valid_check_digit(corrupted), corrupted


def test_upc_a_and_its_ean_13_form_share_a_check_digit() -> None:
    assert has_valid_check_digit("0" + "036000291452")


@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_appending_the_check_digit_makes_a_valid_code(body: str) -> None:
    assert has_valid_check_digit(body + str(gtin_check_digit(body)))


@pytest.mark.parametrize(
    "code", ["", "7", "69012345678a2", "６９０１２３４５６７８９２", " 96385074"]
)
def test_non_codes_are_not_valid(code: str) -> None:
    assert not has_valid_check_digit(code)


@pytest.mark.parametrize("body", ["", "12a", "１２"])
def test_check_digit_needs_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        gtin_check_digit(body)
