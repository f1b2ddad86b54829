"""Money as integer fen, with every rounding made explicit.

Floats cannot represent 0.1 yuan exactly, and a till that is off by one fen
cannot be reconciled, so amounts are ints and every division names its rounding.
"""

import enum
import re
import unicodedata
from collections.abc import Sequence

from pos.domain.errors import MoneyError

_MAX_INTEGER_DIGITS = 10
_AMOUNT = re.compile(r"(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?")


class Rounding(enum.Enum):
    """How a division that does not come out even is settled.

    All modes are symmetric around zero, so a refund rounds exactly like the
    sale it reverses.
    """

    HALF_UP = "half_up"
    """Nearest; halves go away from zero (the usual commercial rule)."""
    HALF_EVEN = "half_even"
    """Nearest; halves go to the even neighbour (banker's rounding)."""
    DOWN = "down"
    """Toward zero."""
    UP = "up"
    """Away from zero."""


def divide(numerator: int, denominator: int, rounding: Rounding = Rounding.HALF_UP) -> int:
    """Divide exactly, settling any remainder by `rounding`.

    Python's `//` floors, which would round -2.5 fen to -3 but 2.5 to 2; working
    on the magnitude keeps negative amounts the mirror image of positive ones.
    """
    if denominator <= 0:
        raise ValueError(f"denominator must be positive, got {denominator}")
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder:
        twice = 2 * remainder
        if (
            rounding is Rounding.UP
            or (rounding is Rounding.HALF_UP and twice >= denominator)
            or (
                rounding is Rounding.HALF_EVEN
                and (twice > denominator or (twice == denominator and quotient % 2 == 1))
            )
        ):
            quotient += 1
    return -quotient if numerator < 0 else quotient


def format_amount(fen: int) -> str:
    """Render fen as yuan with two decimals and no grouping, for receipts and inputs."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


def format_money(fen: int, symbol: str = "¥") -> str:
    """Render fen with a currency symbol; the minus goes before the symbol as people write it."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{symbol}{format_amount(abs(fen))}"


def parse_amount(text: str) -> int:
    """Read a typed amount in yuan ("12", "12.3", "0.05") as fen, without floats.

    Full-width digits and the full-width point from a Chinese input method are
    accepted, because a cashier cannot see the difference on screen.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise MoneyError("No amount", "Enter an amount, for example 12.50.")
    if cleaned.startswith("-"):
        raise MoneyError("Negative amount", "The amount cannot be negative.")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None or cleaned == ".":
        raise MoneyError(
            "Not an amount",
            "An amount is digits with an optional decimal point, for example 12.50.",
        )
    whole, fraction = match["int"], match["frac"] or ""
    if len(fraction) > 2:
        raise MoneyError("Too many decimals", "An amount has at most 2 decimal places (fen).")
    if len(whole) > _MAX_INTEGER_DIGITS:
        raise MoneyError(
            "Amount too large",
            f"An amount has at most {_MAX_INTEGER_DIGITS} digits before the decimal point.",
        )
    return int(whole or "0") * 100 + int(fraction.ljust(2, "0"))


def tax_included(gross: int, rate_bp: int) -> int:
    """The tax inside a tax-inclusive amount: gross * rate / (1 + rate), rounded half up.

    Prices on the shelf already include tax, so tax is extracted, never added.
    """
    if rate_bp < 0:
        raise ValueError(f"tax rate cannot be negative, got {rate_bp} bp")
    return divide(gross * rate_bp, 10_000 + rate_bp, Rounding.HALF_UP)


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` so the parts add up to it exactly.

    Each part is floored, then the fen left over go one each to the largest
    remainders (earliest index on ties), so no part is more than one fen from
    its exact share and a spread discount never gains or loses a fen. A negative
    total is split as the mirror image of the positive one. All-zero weights
    split equally, because a discount must land somewhere.
    """
    if any(weight < 0 for weight in weights):
        raise ValueError("weights cannot be negative")
    if not weights:
        if total:
            raise ValueError("cannot allocate a non-zero total over no weights")
        return []
    if not any(weights):
        weights = [1] * len(weights)
    magnitude = abs(total)
    weight_sum = sum(weights)
    parts_and_remainders = [divmod(magnitude * weight, weight_sum) for weight in weights]
    parts = [part for part, _ in parts_and_remainders]
    leftover = magnitude - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-parts_and_remainders[i][1], i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return [-part for part in parts] if total < 0 else parts
