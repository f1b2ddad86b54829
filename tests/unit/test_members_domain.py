"""Members: points earned and needed, phone masking and parsing, tier rules, and the
points a run of partial refunds takes back."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain.members import (
    MemberError,
    Program,
    Tier,
    mask_phone,
    parse_phone,
    points_to_reverse,
)

MEMBER = Tier("普通会员", "Member", 0)
SILVER = Tier("银卡", "Silver", 1000, discount_bp=200, points_multiplier_bp=12_000)
GOLD = Tier("金卡", "Gold", 5000, discount_bp=500, points_multiplier_bp=15_000)
PROGRAM = Program(tiers=(MEMBER, SILVER, GOLD))

tiers = st.sampled_from([MEMBER, SILVER, GOLD])
multipliers = st.integers(0, 50_000)


# points_earned


@pytest.mark.parametrize(
    ("paid", "tier", "expected"),
    [
        (0, MEMBER, 0),
        (99, MEMBER, 0),  # not a whole yuan yet
        (100, MEMBER, 1),
        (1999, MEMBER, 19),  # 19.99 yuan earns for 19
        (1999, SILVER, 22),  # 19 * 1.2 = 22.8, floored
        (1999, GOLD, 28),  # 19 * 1.5 = 28.5, floored
        (2000, GOLD, 30),
        (12_345, GOLD, 184),  # 123 * 1.5 = 184.5
    ],
)
def test_points_are_earned_on_whole_yuan_at_the_tiers_multiplier(
    paid: int, tier: Tier, expected: int
) -> None:
    assert PROGRAM.points_earned(paid, tier) == expected


def test_points_per_yuan_scales_before_the_multiplier_floors() -> None:
    double = Program(points_per_yuan=2, tiers=(MEMBER, GOLD))
    assert double.points_earned(1999, MEMBER) == 38
    assert double.points_earned(1999, GOLD) == 57  # 19 * 2 * 1.5
    assert double.points_earned(150, GOLD) == 3  # 1 * 2 * 1.5


@given(st.integers(0, 10**9), st.integers(0, 10), multipliers)
def test_points_earned_count_only_whole_yuan(paid: int, per_yuan: int, multiplier: int) -> None:
    program = Program(points_per_yuan=per_yuan)
    tier = Tier("级", "Tier", 0, points_multiplier_bp=multiplier)
    earned = program.points_earned(paid, tier)
    assert earned == program.points_earned(paid - paid % 100, tier)
    # Within one point of the exact product, never above it.
    exact_times_10k = (paid // 100) * per_yuan * multiplier
    assert earned * 10_000 <= exact_times_10k < (earned + 1) * 10_000
    if multiplier == 10_000:
        assert earned == (paid // 100) * per_yuan


@given(st.integers(0, 10**9), st.integers(0, 10**9), tiers)
def test_paying_more_never_earns_fewer_points(a: int, b: int, tier: Tier) -> None:
    low, high = sorted((a, b))
    assert PROGRAM.points_earned(low, tier) <= PROGRAM.points_earned(high, tier)


@given(st.integers(0, 10**9))
def test_a_higher_tier_never_earns_fewer_points(paid: int) -> None:
    earned = [PROGRAM.points_earned(paid, tier) for tier in PROGRAM.tiers]
    assert earned == sorted(earned)


# points_for


@pytest.mark.parametrize(
    ("point_value", "amount", "expected"),
    [
        (1, 0, 0),
        (1, 1234, 1234),
        (10, 1, 1),
        (10, 95, 10),
        (10, 100, 10),
        (10, 101, 11),
        (7, 50, 8),
    ],
)
def test_points_for_an_amount_round_up(point_value: int, amount: int, expected: int) -> None:
    assert Program(point_value=point_value).points_for(amount) == expected


@given(st.integers(1, 1000), st.integers(0, 10**9))
def test_points_for_pay_the_amount_with_less_than_a_point_to_spare(
    point_value: int, amount: int
) -> None:
    points = Program(point_value=point_value).points_for(amount)
    assert points * point_value >= amount
    assert (points - 1) * point_value < amount or points == 0


# mask_phone


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_phone_is_masked_in_the_middle(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_a_masked_phone_shows_at_most_seven_digits(phone: str) -> None:
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    shown = [char for char in masked if char != "*"]
    assert len(shown) <= 7
    if len(phone) > 7:
        assert masked[:3] == phone[:3]
        assert masked[-4:] == phone[-4:]
        assert set(masked[3:-4]) == {"*"}
    else:
        assert shown == []


# parse_phone

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        " 138 1234-5678 ",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "8613812345678",
    ],
)
def test_a_typed_mobile_number_is_read_as_eleven_digits(typed: str) -> None:
    assert parse_phone(typed) == "13812345678"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "+86",
        "1381234567",  # ten digits
        "138123456789",  # twelve
        "+86 138 1234 567",  # ten after +86
        "23812345678",  # does not start with 1
        "12812345678",  # 12 is not a mobile prefix
        "10012345678",
        "021-6123-4567",  # a landline
        "8613812345",
    ],
)
def test_what_is_not_a_mobile_number_is_refused(typed: str) -> None:
    with pytest.raises(MemberError) as error:
        parse_phone(typed)
    assert error.value.title == "Not a mobile number"


@given(
    mobiles,
    st.lists(st.sampled_from(["", " ", "-", "  "]), min_size=12, max_size=12),
    st.sampled_from(["", "+86", "+86 ", "+86-", "86", " +86 "]),
)
def test_spaces_dashes_and_the_country_code_are_ignored(
    number: str, separators: list[str], prefix: str
) -> None:
    spaced = "".join(sep + digit for sep, digit in zip(separators, number, strict=False))
    typed = prefix + spaced + separators[-1]
    assert parse_phone(typed) == number


@given(st.text(alphabet="0123456789", min_size=0, max_size=15))
def test_only_eleven_digits_starting_13_to_19_are_accepted(digits: str) -> None:
    plain = len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789"
    with_code = len(digits) == 13 and digits.startswith("861") and digits[3] in "3456789"
    if plain or with_code:
        assert parse_phone(digits) == digits[-11:]
    else:
        with pytest.raises(MemberError):
            parse_phone(digits)


@pytest.mark.parametrize(
    "typed",
    ["+1 381 234 5678", "+44 13812345678", "13812345678abc", "1381234567x8", "138１２３４５６７８"],
)
def test_a_foreign_code_or_letters_are_refused(typed: str) -> None:
    with pytest.raises(MemberError):
        parse_phone(typed)


# Program and tiers


@pytest.mark.parametrize(
    "tiers_given",
    [
        (),
        (Tier("银卡", "Silver", 1000),),
        (MEMBER, Tier("银卡", "Silver", 0)),
        (MEMBER, GOLD, SILVER),
        (MEMBER, SILVER, Tier("银卡2", "Silver 2", 1000)),
    ],
)
def test_tiers_start_at_zero_and_go_up(tiers_given: tuple[Tier, ...]) -> None:
    with pytest.raises(MemberError) as error:
        Program(tiers=tiers_given)
    assert error.value.title == "Invalid tiers"


def test_the_default_program_has_one_tier_from_zero() -> None:
    program = Program()
    assert [tier.min_points for tier in program.tiers] == [0]
    assert program.tier(0) == program.tiers[0]


@pytest.mark.parametrize(
    ("lifetime", "expected"),
    [(0, MEMBER), (999, MEMBER), (1000, SILVER), (4999, SILVER), (5000, GOLD), (10**9, GOLD)],
)
def test_the_tier_is_the_highest_reached(lifetime: int, expected: Tier) -> None:
    assert PROGRAM.tier(lifetime) == expected


def test_tier_names_follow_the_language() -> None:
    assert GOLD.name("zh-CN") == "金卡"
    assert GOLD.name("en") == "Gold"


# points_to_reverse


@st.composite
def refund_runs(draw: st.DrawFn) -> tuple[int, int, list[int]]:
    """Points moved, the sale amount, and partial refunds that add up to the sale."""
    sale_amount = draw(st.integers(1, 10**7))
    moved = draw(st.one_of(st.integers(0, 10**6), st.integers(0, 50)))
    cuts = sorted(draw(st.lists(st.integers(0, sale_amount), max_size=10)))
    bounds = [0, *cuts, sale_amount]
    return moved, sale_amount, [b - a for a, b in itertools.pairwise(bounds)]


@settings(max_examples=300)
@given(refund_runs())
def test_partial_refunds_take_back_exactly_what_the_sale_moved(
    run: tuple[int, int, list[int]],
) -> None:
    moved, sale_amount, refunds = run
    assert sum(refunds) == sale_amount
    refunded = reversed_before = 0
    for refund in refunds:
        refunded += refund
        step = points_to_reverse(moved, sale_amount, refunded, reversed_before)
        assert step >= 0
        reversed_before += step
        # Never more than the refunded share so far, rounded down.
        assert reversed_before * sale_amount <= moved * refunded
    assert reversed_before == moved


@given(refund_runs(), st.integers(1, 10**6))
def test_refunding_more_than_the_sale_takes_back_no_more(
    run: tuple[int, int, list[int]], extra: int
) -> None:
    moved, sale_amount, _ = run
    assert points_to_reverse(moved, sale_amount, sale_amount + extra, 0) == moved
    assert points_to_reverse(moved, sale_amount, sale_amount + extra, moved) == 0


@pytest.mark.parametrize(
    ("moved", "sale_amount", "refunded", "reversed_before", "expected"),
    [
        (100, 1000, 500, 0, 50),
        (100, 1000, 1000, 50, 50),
        (10, 3000, 1000, 0, 3),  # a third of 10, rounded down
        (10, 3000, 2000, 3, 3),  # two thirds is 6.67 -> 6, less the 3 already back
        (10, 3000, 3000, 6, 4),  # the rest
        (7, 100, 1, 0, 0),
        (7, 0, 0, 0, 0),  # nothing was sold
    ],
)
def test_points_to_reverse_examples(
    moved: int, sale_amount: int, refunded: int, reversed_before: int, expected: int
) -> None:
    assert points_to_reverse(moved, sale_amount, refunded, reversed_before) == expected
