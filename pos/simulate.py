"""`pos simulate`: realistic checkouts through the real use case.

Baskets are drawn from the catalog with a skewed popularity (a few products sell most),
scanned as a cashier would (barcodes through the scan classifier, weighed produce as
the scale's weight-embedded label, SKUs typed for items without a barcode), and paid in
cash, exact or with a note, or (`tender` wallet or mixed) with a customer's WeChat
payment code through the configured gateway; a wallet payment that does not go through
is paid in cash, as a cashier would. The same seed gives the same baskets and tenders.

The payment codes are `130` + the sale's number + one of 200 regular customers: the
wallet sandbox pays such codes at once, and a customer's codes share their payer.

With the member program on, customers behave as members do: a wallet payer becomes a
member in that sale; a member coming back usually shows their member card, so their
coupons apply; and a friend who has not joined sometimes brings a gift coupon a member
passed on, which enrolls them in that sale.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Settings
from pos.domain.barcodes import gtin_check_digit
from pos.domain.catalog import CatalogItem
from pos.domain.sale import IssuedCoupon, SaleRecord
from pos.domain.scan import EmbeddedRule
from pos.errors import PosError
from pos.ledger.database import Ledger, utc_now
from pos.ledger.tables import JOURNAL
from pos.loyalty import Loyalty
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.scan_outcomes import Added

NOTES = (1000, 2000, 5000, 10000)
OPENING_HOURS = (7, 23)


CUSTOMERS = 200
TENDERS = ("cash", "wallet", "mixed")
SHOWS_CARD = 0.7
"""How often a member shows their member card before paying."""
BRINGS_GIFT = 0.3
"""How often a customer who is not a member brings a gift coupon from a friend."""


@dataclass(frozen=True, slots=True)
class SimulationResult:
    sales: int
    items: int
    revenue: int
    cash_tendered: int
    change_given: int
    wallet_sales: int = 0
    wallet_refused: int = 0
    """Wallet payments that did not go through (those sales were paid in cash)."""
    enrolled: int = 0
    """Customers who became members in a sale (by paying by wallet, or by a referral)."""
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    member_sales: int = 0
    by_tender: dict[str, int] = field(default_factory=dict)
    """What each tender took (fen), for checking reports against what was sold."""


def simulate(
    ledger: Ledger,
    settings: Settings,
    *,
    sales: int,
    seed: int,
    days: int = 1,
    cashier: str = "101",
    tender: str = "cash",
    wallet: MicropayClient | None = None,
    loyalty: Loyalty | None = None,
    on_sale: Callable[[SaleRecord], None] = lambda _record: None,
    until: datetime | None = None,
    bulk: bool = False,
) -> SimulationResult:
    """Sell `sales` baskets spread over `days` days ending with `until` (default now).

    `bulk` commits without waiting for the disk (Ledger.bulk_writes), for generating
    large ledgers quickly; the sales are the same.
    """
    if bulk:
        with ledger.bulk_writes():
            return simulate(
                ledger,
                settings,
                sales=sales,
                seed=seed,
                days=days,
                cashier=cashier,
                tender=tender,
                wallet=wallet,
                loyalty=loyalty,
                on_sale=on_sale,
                until=until,
            )
    if tender not in TENDERS:
        raise ValueError(f"tender {tender!r} is not one of {TENDERS}")
    if tender != "cash" and wallet is None:
        raise ValueError(f"tender {tender!r} needs a wallet client")
    rng = random.Random(seed)
    catalog = current_catalog(ledger)
    products = sorted(catalog, key=lambda item: item.sku)
    rng.shuffle(products)
    popularity = [1 / (rank + 1) ** 0.8 for rank in range(len(products))]
    weight_rule = next(
        (rule for rule in settings.scanner.rules().embedded if rule.value == "weight"), None
    )
    times = _sale_times(rng, sales, days, ZoneInfo(settings.store.timezone), until or utc_now())
    # The checkout and the member program read the clock more than once a sale (offers,
    # coupon windows, the commit): every read during sale n is that sale's moment.
    now = [times[0]]

    def clock() -> datetime:
        return now[0]

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    if loyalty is not None:
        loyalty = Loyalty(
            ledger,
            loyalty.rules,
            loyalty.signer,
            loyalty.verifier,
            new_id=lambda: new_id().replace("-", "")[:16],
            clock=clock,
        )
    checkout = Checkout(
        ledger,
        catalog,
        Till(settings.till.device_id, settings.till.receipt_prefix, cashier),
        settings.scanner.rules(),
        new_id=new_id,
        clock=clock,
        print_receipts=False,
        loyalty=loyalty,
    )
    customers = _Customers(checkout, rng)
    first_seq, _hash = ledger.head()
    items = revenue = tendered_total = change_total = wallet_sales = wallet_refused = 0
    by_tender: Counter[str] = Counter()
    for number, moment in enumerate(times, start=1):
        now[0] = moment
        customer = rng.randrange(CUSTOMERS)
        for _line in range(min(1 + int(rng.expovariate(0.35)), 25)):
            item = rng.choices(products, popularity)[0]
            outcome = checkout.scan(*_scan_for(item, rng, weight_rule))
            if not isinstance(outcome, Added):
                raise RuntimeError(f"simulated scan of {item.sku} refused: {outcome}")
        customers.identify(customer)
        by_wallet = tender == "wallet" or (tender == "mixed" and rng.random() < 0.5)
        record = None
        if by_wallet and wallet is not None:
            code = f"130{number:09d}{customer:06d}"
            paid = pay_by_wallet(checkout, wallet, code, body=settings.store.name)
            record = paid.sale
            wallet_sales += record is not None
            wallet_refused += record is None
        if record is None:
            due = checkout.next_amount()
            record = checkout.pay_cash(None if rng.random() < 0.4 else _note_for(due, rng))
        items += record.item_count
        revenue += record.total
        tendered_total += sum(payment.tendered for payment in record.payments)
        change_total += record.change
        for payment in record.payments:
            by_tender[payment.tender] += payment.amount
        customers.remember(customer, record)
        on_sale(record)
    happened = _events_since(ledger, first_seq)
    return SimulationResult(
        sales,
        items,
        revenue,
        tendered_total,
        change_total,
        wallet_sales,
        wallet_refused,
        happened["member.enrolled"],
        happened["coupon.issued"],
        happened["coupon.redeemed"],
        customers.member_sales,
        dict(by_tender),
    )


def _events_since(ledger: Ledger, seq: int) -> Counter[str]:
    """How many events of each type the ledger took after `seq`."""
    with ledger.read() as conn:
        rows = conn.execute(
            select(JOURNAL.c.type, func.count()).where(JOURNAL.c.seq > seq).group_by(JOURNAL.c.type)
        ).all()
    return Counter({str(type_): int(count) for type_, count in rows})


class _Customers:
    """What the simulated customers know: their member numbers, and the gift coupons
    members were given to pass on."""

    def __init__(self, checkout: Checkout, rng: random.Random) -> None:
        self._checkout, self._rng = checkout, rng
        self._members: dict[int, str] = {}
        self._gifts: list[IssuedCoupon] = []
        self._gift: IssuedCoupon | None = None
        self.member_sales = 0

    def identify(self, customer: int) -> None:
        """Before paying: a member shows their card, a newcomer may bring a gift."""
        self._gift = None
        if self._checkout.loyalty is None:
            return
        member_no = self._members.get(customer)
        if member_no is not None:
            if self._rng.random() < SHOWS_CARD:
                self._checkout.set_member(member_no)
        elif self._gifts and self._rng.random() < BRINGS_GIFT:
            gift = self._gifts.pop(self._rng.randrange(len(self._gifts)))
            try:
                self._checkout.present_coupon(gift.code)
            except PosError:
                return  # refused (expired, say): the friend pays without it
            self._gift = gift

    def remember(self, customer: int, record: SaleRecord) -> None:
        used = {promotion.coupon_id for promotion in record.promotions if promotion.coupon_id}
        if self._gift is not None and self._gift.coupon_id not in used:
            self._gifts.append(self._gift)  # not enough spent: kept for another visit
        self._gifts += [coupon for coupon in record.coupons_issued if coupon.for_friend]
        if record.member is not None:
            self.member_sales += 1
            self._members[customer] = record.member.member_no


def _scan_for(
    item: CatalogItem, rng: random.Random, weight_rule: EmbeddedRule | None
) -> tuple[str, int]:
    """What the cashier scans or types for one product, and how many."""
    if item.weighed:
        if weight_rule is None or item.plu is None:
            raise RuntimeError("weighed items need a PLU and a weight-embedded barcode rule")
        return weight_label(weight_rule, item.plu, rng.randint(150, 2500)), 1
    quantity = 1 if rng.random() < 0.8 else rng.randint(2, 4)
    return (item.barcode or item.sku), quantity


def weight_label(rule: EmbeddedRule, plu: str, grams: int) -> str:
    """The label a scale prints for `grams` of the product with this PLU."""
    body = rule.prefix + plu.zfill(rule.plu_digits) + str(grams).zfill(rule.value_digits)
    return body + str(gtin_check_digit(body)) if rule.check_digit else body


def _note_for(due: int, rng: random.Random) -> int:
    """The smallest note that covers the amount, or sometimes the next one up."""
    covering = [note for note in NOTES if note >= due]
    if not covering:
        return -(-due // NOTES[-1]) * NOTES[-1]
    return covering[min(len(covering) - 1, int(rng.random() < 0.2))]


def _sale_times(
    rng: random.Random, count: int, days: int, zone: ZoneInfo, until: datetime
) -> list[datetime]:
    """Sorted moments in opening hours over the `days` days ending with `until`'s, and
    not after `until`."""
    now = until.astimezone(zone)
    first_day = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    open_h, close_h = OPENING_HOURS
    seconds = (close_h - open_h) * 3600
    moments = []
    for _ in range(count):
        day = first_day + timedelta(days=rng.randrange(days))
        moment = day + timedelta(hours=open_h, seconds=rng.uniform(0, seconds))
        moments.append(min(moment, now))
    return sorted(moments)
