"""Coupons: campaigns, the coupons they issue, and choosing the best ones for a sale.

Pure and fast, so the till can re-choose on every change of the cart. The engine works
on a `Basket` (each line's amount after the cashier's own discounts) and answers a
`Choice`: which coupons apply, how much each takes off each line, and for every coupon
not used, why. The cart subtracts the chosen amounts (pos.domain.cart), so totals, tax
and a later refund all see the coupon as part of each line's discount.

The rules, in the order they are checked:

1. a coupon is used at most once in a sale, and at most one coupon per campaign;
2. its validity window holds at the time of the sale;
3. its store scope names this store (or is the whole chain);
4. a member-bound coupon needs its member on the sale (gift coupons do not);
5. the sale before coupons reaches the campaign's minimum spend;
6. an item coupon (fixed price, free gift) needs its item in the sale.

Of the coupons left, a non-stackable one is used alone, stackable ones together; the
till takes the combination worth most to the customer. Ties go to the fewest coupons
(the rest stay in the customer's wallet) and then to those expiring first. Within a
combination item coupons apply first, then percentages, then amounts off, so a
percentage is never taken of money an item coupon already took off; the total never
goes below zero. An item coupon takes the dearest units of its item that no other item
coupon has taken (gifts before fixed prices), so two coupons on one item price two
different units and adding a coupon never makes another worth less.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from itertools import combinations
from typing import Literal

from pos.domain.errors import DomainError
from pos.domain.money import allocate, divide, format_amount

MAX_CANDIDATES = 10
"""Combinations are tried exhaustively; past this many usable coupons only the ten worth
most on their own are combined (a customer with more is rare, and 2^10 is instant)."""


class CouponError(DomainError):
    """A coupon or campaign that cannot be used as given."""


class CouponKind(StrEnum):
    AMOUNT_OFF = "amount_off"
    """满100减20: `amount` off the sale."""
    PERCENT_OFF = "percent_off"
    """`percent_bp` off the sale (1000 = 10 % off)."""
    FIXED_PRICE = "fixed_price"
    """Up to `max_units` of `sku` at `price` each."""
    FREE_GIFT = "free_gift"
    """Up to `max_units` of `sku` free (the customer puts the gift in the basket)."""


class Purpose(StrEnum):
    """When the till issues a campaign's coupons by itself."""

    NONE = "none"
    """Never: the chain hands these out (the cloud, a campaign, a manager)."""
    WELCOME = "welcome"
    """To every new member, on the receipt of the sale that enrolled them."""
    NEXT_VISIT = "next_visit"
    """To a member whose sale reaches `issue_threshold` (满100送20)."""
    REFERRAL = "referral"
    """A gift a new member passes to a friend; redeeming it enrolls the friend and
    issues the giver the `reward_campaign`."""
    REWARD = "reward"
    """To the giver, when a friend redeems their referral coupon."""


OfflinePolicy = Literal["lease", "flag"]


@dataclass(frozen=True, slots=True)
class Campaign:
    """What a campaign's coupons are worth and the rules for using them."""

    campaign_id: str
    name_zh: str
    name_en: str
    kind: CouponKind
    amount: int = 0
    """Fen off, for amount_off."""
    percent_bp: int = 0
    """Basis points off, for percent_off."""
    sku: str = ""
    """The item, for fixed_price and free_gift."""
    price: int = 0
    """Fen per unit, for fixed_price."""
    max_units: int = 1
    """Units at the fixed price or free, for item coupons."""
    min_spend: int = 0
    """The sale before coupons must reach this many fen."""
    stackable: bool = False
    """Can be combined with other stackable coupons; otherwise used alone."""
    member_bound: bool = True
    """Only the member it was issued to may use it (gift coupons are not bound)."""
    stores: tuple[str, ...] = ()
    """Store ids where it can be used; empty for every store of the chain."""
    valid_days: int = 30
    """How long a coupon the till issues stays valid."""
    purpose: Purpose = Purpose.NONE
    issue_threshold: int = 0
    """For next_visit: the sale (after coupons) that earns the coupon, in fen."""
    reward_campaign: str = ""
    """For referral: the campaign whose coupon the giver gets."""
    offline: OfflinePolicy = "flag"
    """For a coupon another till issued, whose use this till cannot check alone: "lease"
    uses one of the redemptions the cloud leased to this till; "flag" accepts it when
    worth at most `flag_limit` and flags it for the cloud to arbitrate."""
    flag_limit: int = 2000

    @property
    def face_value(self) -> int:
        """Fen a coupon of this campaign is worth whatever is bought: its amount off; 0
        for a percentage, a fixed price or a gift, whose worth depends on the sale."""
        return self.amount if self.kind is CouponKind.AMOUNT_OFF else 0

    def __post_init__(self) -> None:
        problem = self._problem()
        if problem:
            raise CouponError("Invalid campaign", f"Campaign {self.campaign_id}: {problem}.")

    def _problem(self) -> str:
        if self.kind is CouponKind.AMOUNT_OFF and self.amount <= 0:
            return "an amount-off coupon needs an amount above zero"
        if self.kind is CouponKind.PERCENT_OFF and not 0 < self.percent_bp <= 10_000:
            return "a percent-off coupon takes more than 0 % and at most 100 % off"
        if self.kind in (CouponKind.FIXED_PRICE, CouponKind.FREE_GIFT) and not self.sku:
            return "an item coupon needs the item's SKU"
        if self.price < 0 or self.min_spend < 0 or self.max_units < 1 or self.valid_days < 1:
            return "prices and spends cannot be negative, units and days start at 1"
        if self.purpose is Purpose.REFERRAL and (self.member_bound or not self.reward_campaign):
            return "a referral coupon is not member-bound and names its reward campaign"
        return ""

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en

    def describe(self) -> str:
        """The rule in a few words, for the coupon panel and the receipt (English)."""
        spend = f" on {format_amount(self.min_spend)}+" if self.min_spend else ""
        if self.kind is CouponKind.AMOUNT_OFF:
            return f"{format_amount(self.amount)} off{spend}"
        if self.kind is CouponKind.PERCENT_OFF:
            return f"{self.percent_bp / 100:g}% off{spend}"
        if self.kind is CouponKind.FIXED_PRICE:
            return f"{self.sku} at {format_amount(self.price)}{spend}"
        return f"{self.sku} free{spend}"


@dataclass(frozen=True, slots=True)
class Coupon:
    """One coupon: a campaign's terms given to a member (or, a gift, to anyone)."""

    coupon_id: str
    campaign_id: str
    member_no: str | None
    """Who may use it; None for a gift coupon anyone may redeem."""
    store_id: str
    """Where it may be used; "" for every store the campaign allows."""
    valid_from: int
    valid_until: int
    """Epoch seconds; the coupon works while valid_from <= now < valid_until."""
    giver: str | None = None
    """For a referral coupon: the member who passed it on and earns the reward."""


@dataclass(frozen=True, slots=True)
class BasketLine:
    line_id: int
    sku: str
    quantity: int
    """Units; 1 for a weighed or labelled line, which a unit coupon takes whole."""
    net: int
    """The line's amount after the cashier's discounts, before any coupon."""


@dataclass(frozen=True, slots=True)
class Basket:
    lines: tuple[BasketLine, ...]

    @property
    def total(self) -> int:
        return sum(line.net for line in self.lines)


@dataclass(frozen=True, slots=True)
class Context:
    """Where and for whom the sale is made."""

    now: int
    """Epoch seconds."""
    store_id: str
    member_no: str | None


@dataclass(frozen=True, slots=True)
class Applied:
    """A coupon the sale uses, with what it takes off each line."""

    coupon: Coupon
    campaign: Campaign
    by_line: tuple[tuple[int, int], ...]
    """(line_id, fen) for each line it discounts."""

    @property
    def amount(self) -> int:
        return sum(off for _, off in self.by_line)


@dataclass(frozen=True, slots=True)
class NotUsed:
    """A coupon the sale does not use, and why (a stable reason and a sentence)."""

    coupon: Coupon
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Choice:
    applied: tuple[Applied, ...] = ()
    not_used: tuple[NotUsed, ...] = ()
    by_line: dict[int, int] = field(default_factory=dict)
    """All coupons' fen off each line, for Cart.totals."""

    @property
    def total_off(self) -> int:
        return sum(self.by_line.values())


@dataclass(frozen=True, slots=True)
class Candidate:
    coupon: Coupon
    campaign: Campaign
    max_off: int | None = None
    """The most it may take off, when less than its terms allow (a coupon accepted
    offline on the campaign's low-value policy is worth at most `flag_limit`)."""


def choose(basket: Basket, candidates: Sequence[Candidate], context: Context) -> Choice:
    """The best combination of `candidates` for this basket, with reasons for the rest."""
    usable: list[Candidate] = []
    not_used: list[NotUsed] = []
    seen_coupons: set[str] = set()
    for candidate in candidates:
        coupon_id = candidate.coupon.coupon_id
        refusal = (
            NotUsed(candidate.coupon, "duplicate", "This coupon is already on the sale.")
            if coupon_id in seen_coupons
            else check(candidate, basket, context)
        )
        seen_coupons.add(coupon_id)
        if refusal is None:
            usable.append(candidate)
        else:
            not_used.append(refusal)
    best = best_combination(basket, usable)
    chosen = {applied.coupon.coupon_id for applied in best}
    for candidate in usable:
        if candidate.coupon.coupon_id not in chosen:
            not_used.append(_not_chosen(candidate, best))
    by_line: dict[int, int] = {}
    for applied in best:
        for line_id, off in applied.by_line:
            by_line[line_id] = by_line.get(line_id, 0) + off
    return Choice(tuple(best), tuple(not_used), by_line)


def check(candidate: Candidate, basket: Basket, context: Context) -> NotUsed | None:
    """Why this coupon cannot be used in this sale on its own terms, or None."""
    coupon, campaign = candidate.coupon, candidate.campaign

    def no(reason: str, message: str) -> NotUsed:
        return NotUsed(coupon, reason, message)

    if coupon.campaign_id != campaign.campaign_id:
        return no("wrong_campaign", "The coupon does not belong to this campaign.")
    if context.now < coupon.valid_from:
        return no("not_yet_valid", "This coupon is not valid yet.")
    if context.now >= coupon.valid_until:
        return no("expired", "This coupon has expired.")
    stores = (coupon.store_id,) if coupon.store_id else campaign.stores
    if stores and context.store_id not in stores:
        return no("other_store", "This coupon is for another store.")
    if campaign.member_bound and coupon.member_no is not None:
        if context.member_no is None:
            return no("no_member", "This coupon is a member's: find the member first.")
        if coupon.member_no != context.member_no:
            return no("other_member", "This coupon belongs to another member.")
    if coupon.giver is not None and coupon.giver == context.member_no:
        return no("own_referral", "A referral coupon is for a friend, not for its giver.")
    if basket.total < campaign.min_spend:
        return no(
            "min_spend",
            f"Needs a sale of {format_amount(campaign.min_spend)}; "
            f"{format_amount(campaign.min_spend - basket.total)} more to go.",
        )
    if campaign.sku and not any(line.sku == campaign.sku for line in basket.lines):
        return no("item_missing", f"Needs item {campaign.sku} in the sale.")
    return None


def best_combination(basket: Basket, usable: Sequence[Candidate]) -> list[Applied]:
    """The allowed combination of already-checked coupons worth most to the customer."""
    pool = list(usable)
    if len(pool) > MAX_CANDIDATES:
        ranked = sorted(
            pool,
            key=lambda c: (
                -_value(apply_combination(basket, [c])),
                c.coupon.valid_until,
                c.coupon.coupon_id,
            ),
        )
        # The best of each campaign first: only one per campaign can be used, so more of
        # one campaign must not crowd out every other campaign.
        campaigns: set[str] = set()
        firsts: list[Candidate] = []
        rest: list[Candidate] = []
        for candidate in ranked:
            first = candidate.campaign.campaign_id not in campaigns
            campaigns.add(candidate.campaign.campaign_id)
            (firsts if first else rest).append(candidate)
        pool = (firsts + rest)[:MAX_CANDIDATES]
    best: list[Applied] = []
    best_key = _rank([])
    for combination in allowed_combinations(pool):
        applied = apply_combination(basket, combination)
        key = _rank(applied)
        if key < best_key:
            best, best_key = applied, key
    return best


def allowed_combinations(pool: Sequence[Candidate]) -> Iterable[list[Candidate]]:
    """Each non-stackable coupon alone, and every non-empty set of stackable ones with
    at most one coupon per campaign."""
    for candidate in pool:
        if not candidate.campaign.stackable:
            yield [candidate]
    stackable = [candidate for candidate in pool if candidate.campaign.stackable]
    for size in range(1, len(stackable) + 1):
        for combination in combinations(stackable, size):
            if len({c.campaign.campaign_id for c in combination}) == size:
                yield list(combination)


def apply_combination(basket: Basket, combination: Sequence[Candidate]) -> list[Applied]:
    """Apply coupons in the fixed order (items, percentages, amounts) to what is left."""
    left = {line.line_id: line.net for line in basket.lines}
    priced: dict[int, int] = {}
    """Units of each line an item coupon has already priced: the next one takes others."""
    applied = []
    for candidate in sorted(combination, key=_application_order):
        by_line = _capped(_discount(candidate.campaign, basket, left, priced), candidate.max_off)
        for line_id, off in by_line:
            left[line_id] -= off
        applied.append(Applied(candidate.coupon, candidate.campaign, by_line))
    return applied


def _application_order(candidate: Candidate) -> tuple[int, int, str]:
    # Gifts take the dearest units before fixed prices do (freeing a unit is worth its
    # whole price, fixing it only the excess), and the lowest fixed price the next.
    order = {
        CouponKind.FREE_GIFT: 0,
        CouponKind.FIXED_PRICE: 1,
        CouponKind.PERCENT_OFF: 2,
        CouponKind.AMOUNT_OFF: 3,
    }
    campaign = candidate.campaign
    return order[campaign.kind], campaign.price, candidate.coupon.coupon_id


def _discount(
    campaign: Campaign, basket: Basket, left: dict[int, int], priced: dict[int, int]
) -> tuple[tuple[int, int], ...]:
    if campaign.kind in (CouponKind.FIXED_PRICE, CouponKind.FREE_GIFT):
        return _item_discount(campaign, basket, left, priced)
    total_left = sum(left.values())
    if campaign.kind is CouponKind.PERCENT_OFF:
        off = divide(total_left * campaign.percent_bp, 10_000)
    else:
        off = min(campaign.amount, total_left)
    line_ids = [line.line_id for line in basket.lines]
    shares = allocate(off, [left[line_id] for line_id in line_ids])
    return tuple((line_id, share) for line_id, share in zip(line_ids, shares, strict=True) if share)


def _capped(by_line: tuple[tuple[int, int], ...], cap: int | None) -> tuple[tuple[int, int], ...]:
    total = sum(off for _, off in by_line)
    if cap is None or total <= cap:
        return by_line
    shares = allocate(cap, [off for _, off in by_line])
    return tuple(
        (line_id, share) for (line_id, _), share in zip(by_line, shares, strict=True) if share
    )


def _item_discount(
    campaign: Campaign, basket: Basket, left: dict[int, int], priced: dict[int, int]
) -> tuple[tuple[int, int], ...]:
    """Bring up to `max_units` units of the campaign's SKU not yet priced by another item
    coupon down to its price (nothing for a free gift), the dearest units first (the
    customer's best; a tie goes in the order rung up); records the units in `priced`."""
    price = campaign.price if campaign.kind is CouponKind.FIXED_PRICE else 0
    units_left = campaign.max_units
    by_line = []
    lines = [line for line in basket.lines if line.sku == campaign.sku and line.quantity > 0]
    for line in sorted(lines, key=lambda line: Fraction(line.net, line.quantity), reverse=True):
        if units_left == 0:
            break
        start = priced.get(line.line_id, 0)
        units = min(units_left, line.quantity - start)
        if units < 1:
            continue
        # What units start+1..start+units cost (a line's net spread over its units,
        # the rounding of the whole line kept exact across coupons).
        worth = line.net * (start + units) // line.quantity - line.net * start // line.quantity
        off = min(left[line.line_id], max(0, worth - price * units))
        priced[line.line_id] = start + units
        units_left -= units
        if off:
            by_line.append((line.line_id, off))
    return tuple(sorted(by_line))


def _value(applied: Sequence[Applied]) -> int:
    return sum(item.amount for item in applied)


def _rank(applied: Sequence[Applied]) -> tuple[int, int, tuple[int, ...], tuple[str, ...]]:
    """Smaller is better: most off, then fewest coupons, then soonest to expire."""
    return (
        -_value(applied),
        len(applied),
        tuple(sorted(item.coupon.valid_until for item in applied)),
        tuple(sorted(item.coupon.coupon_id for item in applied)),
    )


def _not_chosen(candidate: Candidate, best: Sequence[Applied]) -> NotUsed:
    coupon = candidate.coupon
    if not best:
        return NotUsed(coupon, "not_better", "Takes nothing off this sale.")
    if any(applied.campaign.campaign_id == candidate.campaign.campaign_id for applied in best):
        return NotUsed(coupon, "same_campaign", "One coupon of this campaign per sale.")
    if not candidate.campaign.stackable or any(not a.campaign.stackable for a in best):
        return NotUsed(coupon, "not_stackable", "Cannot be combined; the coupons chosen save more.")
    return NotUsed(coupon, "not_better", "Adds nothing to the coupons chosen.")
