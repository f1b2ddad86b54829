"""Members: tiers, points and how a member is shown.

A member earns points on what they paid (not on what points or coupons paid), at their
tier's multiplier; a tier gives a percentage off every sale and is reached by lifetime
points, so spending points never drops a member a tier. Points are redeemed as a
tender worth `point_value` fen each. A refund takes back the points the sale earned and
gives back the points it spent, in proportion to what is refunded, so returning a whole
sale restores exactly what the sale changed (`points_to_reverse`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from pos.domain.errors import DomainError

POINTS_TENDER = "points"
"""The tender name of points redeemed at checkout."""


class MemberError(DomainError):
    """A member rule was broken (not enough points, an unknown member)."""


@dataclass(frozen=True, slots=True)
class Tier:
    name_zh: str
    name_en: str
    min_points: int
    """Lifetime points that reach this tier."""
    discount_bp: int = 0
    """Off every sale of a member of this tier (500 = 5 % off)."""
    points_multiplier_bp: int = 10_000
    """Points earned per yuan, scaled (15000 = one and a half times)."""

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en


@dataclass(frozen=True, slots=True)
class Program:
    """The chain's membership rules (pos.toml [members])."""

    points_per_yuan: int = 1
    point_value: int = 1
    """Fen one point is worth when redeemed."""
    tiers: tuple[Tier, ...] = (Tier("普通会员", "Member", 0),)

    def __post_init__(self) -> None:
        if not self.tiers or self.tiers[0].min_points != 0:
            raise MemberError("Invalid tiers", "The first member tier starts at 0 points.")
        if any(a.min_points >= b.min_points for a, b in itertools.pairwise(self.tiers)):
            raise MemberError("Invalid tiers", "Member tiers go up in points, each above the last.")

    def tier(self, lifetime_points: int) -> Tier:
        reached = [tier for tier in self.tiers if lifetime_points >= tier.min_points]
        return reached[-1]

    def points_earned(self, paid: int, tier: Tier) -> int:
        """Points for `paid` fen: whole yuan times the rate and the tier's multiplier."""
        return (paid // 100) * self.points_per_yuan * tier.points_multiplier_bp // 10_000

    def points_for(self, amount: int) -> int:
        """Points needed to pay `amount` fen (rounded up: a fen is never given away)."""
        return -(-amount // self.point_value)


@dataclass(frozen=True, slots=True)
class Member:
    member_no: str
    points: int
    """The balance."""
    lifetime_points: int
    """Every point ever earned (tiers go by this)."""
    phone: str | None = None
    openid: str | None = None
    enrolled_ts: str = ""
    referred_by: str | None = None


def mask_phone(phone: str | None) -> str:
    """138****5678: enough for the customer to recognise, not enough to call."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def points_to_reverse(moved: int, sale_amount: int, refunded: int, reversed_before: int) -> int:
    """How many of the points a sale moved (earned or spent) a refund takes back.

    `refunded` is everything refunded on the sale so far, this refund included; taking
    the proportional share of the cumulative amount less what earlier refunds took back
    means several partial refunds add up to exactly `moved` when the sale is all back.
    """
    if sale_amount <= 0:
        return 0
    due = moved * min(refunded, sale_amount) // sale_amount
    return max(0, due - reversed_before)


_PHONE_DIGITS = 11


def parse_phone(text: str) -> str:
    """A mainland mobile number as typed (spaces, dashes and +86 allowed), as 11 digits."""
    typed = text.strip().removeprefix("+86")
    # Separators people type are dropped; anything else (letters, another country's
    # code) makes it not a mainland mobile number rather than being ignored.
    digits = "".join(char for char in typed if char not in " -()")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if (
        len(digits) != _PHONE_DIGITS
        or not (digits.isascii() and digits.isdigit())
        or digits[0] != "1"
        or digits[1] not in "3456789"
    ):
        raise MemberError(
            "Not a mobile number", "A mobile number has 11 digits and starts 13 to 19."
        )
    return digits
