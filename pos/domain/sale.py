"""A completed sale: what the journal's sale.completed event holds and a receipt prints.

`SaleRecord.to_payload()` is the event payload (docs/ledger.md lists its fields) and
`SaleRecord.from_payload()` reads it back, so a reprint is built from the ledger alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pos.domain.cart import Cart, CartTotals
from pos.domain.errors import DomainError
from pos.domain.money import format_amount
from pos.domain.offers import Promotion


class TenderError(DomainError):
    """A tender that cannot settle the sale (too little cash, nothing to pay)."""


@dataclass(frozen=True, slots=True)
class SoldLine:
    line_no: int
    sku: str
    barcode: str | None
    name_zh: str
    name_en: str
    category: str
    quantity: int
    weight_g: int | None
    unit_price: int
    """Price per unit, or per kilogram for a weighed line, after any override."""
    gross: int
    discount: int
    """Line discount plus this line's share of the cart discount."""
    net: int
    tax_rate_bp: int

    def name(self, lang: str) -> str:
        primary, other = (
            (self.name_zh, self.name_en) if lang == "zh-CN" else (self.name_en, self.name_zh)
        )
        return primary or other


@dataclass(frozen=True, slots=True)
class TaxLine:
    rate_bp: int
    net: int
    """Tax-inclusive amount sold at this rate."""
    tax: int


@dataclass(frozen=True, slots=True)
class TenderLine:
    payment_id: str
    tender: str
    amount: int
    """What this tender paid towards the sale."""
    tendered: int
    """What the customer handed over (more than `amount` when change was given)."""
    change: int


@dataclass(frozen=True, slots=True)
class SaleMember:
    """The member on a sale, as its receipt shows them."""

    member_no: str
    tier_zh: str
    tier_en: str
    phone_masked: str
    enrolled: bool
    """This sale made them a member (pay-to-become-member, or a friend's referral)."""
    points_earned: int
    points_redeemed: int
    points_balance: int
    """After this sale."""
    card_code: str
    """Their signed static member card, printed as a QR."""


@dataclass(frozen=True, slots=True)
class IssuedCoupon:
    """A coupon the sale earned, printed on its receipt as a QR."""

    coupon_id: str
    campaign_id: str
    name_zh: str
    name_en: str
    terms: str
    purpose: str
    valid_until: str
    """The last day it is valid (YYYY-MM-DD, the store's time zone)."""
    code: str
    for_friend: bool = False
    """A referral coupon, to pass on to a friend."""


@dataclass(frozen=True, slots=True)
class SaleRecord:
    sale_id: str
    receipt_seq: int
    receipt_no: str
    cashier: str
    shift_id: str | None
    lines: tuple[SoldLine, ...]
    item_count: int
    subtotal: int
    discount_total: int
    total: int
    taxes: tuple[TaxLine, ...]
    payments: tuple[TenderLine, ...]
    change: int
    promotions: tuple[Promotion, ...] = ()
    """The member's tier discount and the coupons used, already in the lines' discounts."""
    member: SaleMember | None = None
    coupons_issued: tuple[IssuedCoupon, ...] = ()
    ts: str = ""
    """When the sale committed (the event's ts); empty until it has."""
    device_id: str = ""

    @property
    def tax_total(self) -> int:
        return sum(tax.tax for tax in self.taxes)

    def to_payload(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies, which costs more than
        # the rest of a sale's commit.
        payload = fields_of(self)
        del payload["ts"], payload["device_id"]
        payload["lines"] = [fields_of(line) for line in self.lines]
        payload["taxes"] = [fields_of(tax) for tax in self.taxes]
        payload["payments"] = [fields_of(payment) for payment in self.payments]
        payload["promotions"] = [fields_of(promotion) for promotion in self.promotions]
        payload["member"] = fields_of(self.member) if self.member else None
        payload["coupons_issued"] = [fields_of(coupon) for coupon in self.coupons_issued]
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, ts: str, device_id: str) -> SaleRecord:
        fields = dict(payload)
        return cls(
            **{
                **fields,
                "lines": tuple(SoldLine(**line) for line in fields["lines"]),
                "taxes": tuple(TaxLine(**tax) for tax in fields["taxes"]),
                "payments": tuple(TenderLine(**payment) for payment in fields["payments"]),
                # Sales journaled before members existed have none of these.
                "promotions": tuple(Promotion(**p) for p in fields.get("promotions", ())),
                "member": SaleMember(**fields["member"]) if fields.get("member") else None,
                "coupons_issued": tuple(
                    IssuedCoupon(**coupon) for coupon in fields.get("coupons_issued", ())
                ),
                "ts": ts,
                "device_id": device_id,
            }
        )


def fields_of(record: object) -> dict[str, Any]:
    """A dataclass's fields as a dict, shallow (see SaleRecord.to_payload)."""
    return {name: getattr(record, name) for name in record.__dataclass_fields__}  # type: ignore[attr-defined]


def cash_tender(payment_id: str, due: int, tendered: int | None) -> TenderLine:
    """Cash for the whole amount due; None means the exact amount."""
    if due <= 0:
        raise TenderError("Nothing to pay", "The sale has no amount due.")
    given = due if tendered is None else tendered
    if given < due:
        raise TenderError(
            "Not enough cash",
            f"Tendered {format_amount(given)} is less than the {format_amount(due)} due.",
        )
    return TenderLine(payment_id, "cash", due, given, given - due)


def record_sale(
    cart: Cart,
    *,
    sale_id: str,
    receipt_seq: int,
    receipt_no: str,
    cashier: str,
    shift_id: str | None,
    payments: tuple[TenderLine, ...],
    totals: CartTotals | None = None,
    promotions: tuple[Promotion, ...] = (),
) -> SaleRecord:
    """Freeze the cart into the record that will be journaled; tenders must cover it.

    `totals` saves recomputing them when the caller has them for this very cart.
    """
    totals = totals or cart.totals()
    if sum(payment.amount for payment in payments) != totals.total:
        raise TenderError("Tenders do not match", "The tenders do not add up to the amount due.")
    amounts = {amounts.line_id: amounts for amounts in totals.lines}
    lines = []
    for line_no, line in enumerate(cart.lines, start=1):
        amount = amounts[line.line_id]
        item = line.item
        lines.append(
            SoldLine(
                line_no=line_no,
                sku=item.sku,
                barcode=item.barcode,
                name_zh=item.name_zh,
                name_en=item.name_en,
                category=item.category,
                quantity=line.quantity,
                weight_g=line.weight_g,
                unit_price=line.unit_price,
                gross=amount.gross,
                discount=amount.discount,
                net=amount.net,
                tax_rate_bp=item.tax_rate_bp,
            )
        )
    net_by_rate: dict[int, int] = {}
    for sold in lines:
        net_by_rate[sold.tax_rate_bp] = net_by_rate.get(sold.tax_rate_bp, 0) + sold.net
    return SaleRecord(
        sale_id=sale_id,
        receipt_seq=receipt_seq,
        receipt_no=receipt_no,
        cashier=cashier,
        shift_id=shift_id,
        lines=tuple(lines),
        item_count=totals.item_count,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        total=totals.total,
        taxes=tuple(
            TaxLine(rate, net_by_rate.get(rate, 0), tax) for rate, tax in totals.tax_by_rate
        ),
        payments=payments,
        change=sum(payment.change for payment in payments),
        promotions=promotions,
    )
