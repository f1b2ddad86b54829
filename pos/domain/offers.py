"""What a member's sale is priced at: their tier's discount, then the best coupons.

The tier's percentage comes first and applies to everything, like a member price; the
coupons are then chosen on what is left (pos.domain.coupons), so a coupon's minimum
spend is measured on the member price. Every amount is kept per line, so the receipt,
the tax and a later refund see it as part of each line's discount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.domain.cart import Cart, CartTotals
from pos.domain.coupons import Basket, BasketLine, Candidate, Choice, Context, choose
from pos.domain.members import Tier
from pos.domain.money import allocate, divide


@dataclass(frozen=True, slots=True)
class Promotion:
    """One line of "what was taken off and why" on the screen and the receipt."""

    kind: str
    """tier or coupon."""
    name_zh: str
    name_en: str
    amount: int
    coupon_id: str = ""
    campaign_id: str = ""

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en


@dataclass(frozen=True, slots=True)
class Offers:
    by_line: dict[int, int]
    """Fen off each line, tier and coupons together, for Cart.totals."""
    promotions: tuple[Promotion, ...]
    choice: Choice


NO_OFFERS = Offers({}, (), Choice())


def price_offers(
    cart: Cart,
    base: CartTotals,
    tier: Tier | None,
    candidates: Sequence[Candidate],
    context: Context,
) -> Offers:
    """The tier discount and the coupon choice for `cart`, whose plain totals are `base`."""
    nets = [amounts.net for amounts in base.lines]
    by_line: dict[int, int] = {}
    promotions: list[Promotion] = []
    if tier is not None and tier.discount_bp:
        tier_off = divide(sum(nets) * tier.discount_bp, 10_000)
        shares = allocate(tier_off, nets)
        for amounts, share in zip(base.lines, shares, strict=True):
            if share:
                by_line[amounts.line_id] = share
        nets = [net - share for net, share in zip(nets, shares, strict=True)]
        if tier_off:
            promotions.append(
                Promotion("tier", f"{tier.name_zh}折扣", f"{tier.name_en} discount", tier_off)
            )
    basket = Basket(
        tuple(
            BasketLine(line.line_id, line.item.sku, line.quantity, net)
            for line, net in zip(cart.lines, nets, strict=True)
        )
    )
    choice = choose(basket, candidates, context) if candidates else Choice()
    for line_id, off in choice.by_line.items():
        by_line[line_id] = by_line.get(line_id, 0) + off
    for applied in choice.applied:
        campaign = applied.campaign
        promotions.append(
            Promotion(
                "coupon",
                campaign.name_zh,
                campaign.name_en,
                applied.amount,
                applied.coupon.coupon_id,
                campaign.campaign_id,
            )
        )
    return Offers(by_line, tuple(promotions), choice)
