"""The ledger's tables.

`journal` is the source of truth. The projection tables (`PROJECTIONS`) are derived
from it in the same transaction as each event and can be rebuilt from it; `pos ledger
verify` does exactly that and compares. The remaining tables hold state that is not a
business event: device metadata, staff credentials, sales in progress and the print
queue.

Changing a table needs a migration in migrations/versions (a test compares the two).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text, text
from sqlmodel import Field, SQLModel


class JournalRow(SQLModel, table=True):
    """An append-only event; see chain.py for how `hash` is computed."""

    __tablename__ = "journal"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    event_id: str = Field(unique=True, max_length=36)
    device_id: str
    type: str = Field(index=True)
    ts: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """The payload object as canonical JSON."""
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Meta(SQLModel, table=True):
    """Facts about this ledger file (device id, store id, creation time)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str


class Item(SQLModel, table=True):
    """The catalog as of the latest catalog.* event."""

    __tablename__ = "items"

    sku: str = Field(primary_key=True)
    barcode: str | None = Field(default=None, unique=True)
    plu: str | None = Field(default=None, unique=True)
    name_zh: str
    name_en: str
    price: int
    tax_rate_bp: int
    category: str
    weighed: bool = False
    seq: int
    """The journal event that last changed this item."""


class Sale(SQLModel, table=True):
    """A completed sale (sale.completed)."""

    __tablename__ = "sales"

    sale_id: str = Field(primary_key=True, max_length=36)
    seq: int = Field(unique=True)
    receipt_seq: int = Field(unique=True)
    receipt_no: str = Field(unique=True)
    device_id: str
    ts: str = Field(index=True)
    cashier: str
    shift_id: str | None = None
    item_count: int
    subtotal: int
    discount_total: int
    total: int
    tax_total: int
    member_no: str | None = Field(default=None, index=True)
    """The member the sale was made to, if any."""
    change: int


class SaleLine(SQLModel, table=True):
    __tablename__ = "sale_lines"

    sale_id: str = Field(
        sa_column=Column(String(36), ForeignKey("sales.sale_id"), primary_key=True)
    )
    line_no: int = Field(primary_key=True)
    sku: str = Field(index=True)
    barcode: str | None = None
    name_zh: str
    name_en: str
    category: str
    quantity: int
    weight_g: int | None = None
    unit_price: int
    gross: int
    discount: int
    net: int
    tax_rate_bp: int


class SaleTax(SQLModel, table=True):
    __tablename__ = "sale_taxes"

    sale_id: str = Field(
        sa_column=Column(String(36), ForeignKey("sales.sale_id"), primary_key=True)
    )
    rate_bp: int = Field(primary_key=True)
    net: int
    tax: int


class Payment(SQLModel, table=True):
    __tablename__ = "payments"

    payment_id: str = Field(primary_key=True, max_length=36)
    sale_id: str = Field(
        sa_column=Column(String(36), ForeignKey("sales.sale_id"), index=True, nullable=False)
    )
    seq: int
    tender: str
    amount: int
    """What this tender paid of the sale (after change)."""
    tendered: int
    """What the customer handed over."""
    change: int


class DrawerOpening(SQLModel, table=True):
    __tablename__ = "drawer_openings"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    reason: str
    staff_no: str
    sale_id: str | None = None


class ShiftRow(SQLModel, table=True):
    """A cashier's shift (shift.opened); `closed_seq` stays null while it is open."""

    __tablename__ = "shifts"

    shift_id: str = Field(primary_key=True, max_length=36)
    staff_no: str = Field(index=True)
    opened_seq: int = Field(unique=True)
    opened_ts: str
    opening_float: int
    """Cash put in the drawer at the start, in fen."""
    closed_seq: int | None = None
    count_seq: int | None = None
    """The cash.counted the shift closed on (shift.closed)."""


class CashMovementRow(SQLModel, table=True):
    """Cash put into or taken out of the drawer outside a sale (cash.moved)."""

    __tablename__ = "cash_movements"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    shift_id: str | None = Field(default=None, index=True)
    kind: str
    """pay_in, pay_out or bleed (notes taken to the safe)."""
    amount: int
    reason: str
    staff_no: str
    manager: str


class CashCountRow(SQLModel, table=True):
    """A count of a shift's drawer (cash.counted); a recount is another row."""

    __tablename__ = "cash_counts"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    shift_id: str = Field(index=True)
    staff_no: str
    counted: int
    expected: int
    difference: int
    """counted - expected: over when positive, short when negative."""


class DayCloseRow(SQLModel, table=True):
    """A Z report: a business day closed (day.closed)."""

    __tablename__ = "day_closes"

    z_no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    business_day: str = Field(unique=True)
    """YYYY-MM-DD; unique, so no day is closed twice."""
    first_day: str
    first_seq: int
    last_seq: int = Field(unique=True)
    seq: int = Field(unique=True)
    ts: str
    head_hash: str
    sales_total: int
    net_sales: int
    grand_total: int
    perpetual_total: int


class OverrideRow(SQLModel, table=True):
    """A manager's approval at the till (override.granted), for reports and audits."""

    __tablename__ = "overrides"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    action: str
    manager: str
    cashier: str
    detail: str = Field(sa_column=Column(Text, nullable=False))
    """What was approved, as canonical JSON (the event's `detail`)."""


class PaymentOrderRow(SQLModel, table=True):
    """A wallet payment order (payment.started, then payment.resolved): an order with
    no outcome is still open, and is settled with the gateway on the next start."""

    __tablename__ = "payment_orders"

    out_trade_no: str = Field(primary_key=True, max_length=32)
    provider: str
    amount: int
    draft_id: str
    """The sale in progress the payment is for."""
    cashier: str
    started_seq: int = Field(unique=True)
    started_ts: str
    outcome: str | None = Field(default=None, index=True)
    """paid, failed, reversed or unresolved; None while open."""
    transaction_id: str = ""
    openid: str = ""
    """The payer under the merchant's appid (the member key)."""
    reason: str = ""
    resolved_seq: int | None = None


class Staff(SQLModel, table=True):
    """Who can sign in. PIN hashes live only here, never in the journal."""

    __tablename__ = "staff"

    staff_no: str = Field(primary_key=True)
    name: str
    role: str
    pin_hash: str
    failed_pins: int = 0
    locked_until: str | None = None


class Draft(SQLModel, table=True):
    """A sale in progress ("current") or suspended, kept so a crash loses no cart."""

    __tablename__ = "drafts"

    draft_id: str = Field(primary_key=True, max_length=36)
    kind: str = Field(index=True)
    staff_no: str
    created: str
    updated: str
    cart: str = Field(sa_column=Column(Text, nullable=False))
    tenders: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    """Payments already taken toward a split-tender sale, as JSON (see Checkout)."""
    member_no: str | None = None
    """The member the sale is for, once found."""
    coupons: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    """Coupon codes scanned into the sale, as a JSON list (re-verified on restore)."""


class ReturnRow(SQLModel, table=True):
    """Goods brought back (return.started, then return.completed): a return with no
    `completed_seq` was cut off by a crash and is finished on the next start."""

    __tablename__ = "returns"

    return_id: str = Field(primary_key=True, max_length=36)
    receipt_no: str = Field(unique=True)
    """The return's own receipt number."""
    sale_id: str = Field(
        sa_column=Column(String(36), ForeignKey("sales.sale_id"), index=True, nullable=False)
    )
    cashier: str
    manager: str
    """Who approved it with a PIN."""
    amount: int
    """What goes back to the customer, in fen."""
    started_seq: int = Field(unique=True)
    started_ts: str
    completed_seq: int | None = None


class ReturnLineRow(SQLModel, table=True):
    """How much of one sold line a return takes back."""

    __tablename__ = "return_lines"

    return_id: str = Field(
        sa_column=Column(String(36), ForeignKey("returns.return_id"), primary_key=True)
    )
    line_no: int = Field(primary_key=True)
    """The sale's line number."""
    quantity: int
    amount: int
    tax: int


class RefundRow(SQLModel, table=True):
    """Money going back on one of the sale's tenders, for a return."""

    __tablename__ = "refunds"

    refund_no: str = Field(primary_key=True, max_length=32)
    """The out_refund_no for a wallet refund (asked again with it until answered)."""
    return_id: str = Field(
        sa_column=Column(String(36), ForeignKey("returns.return_id"), index=True, nullable=False)
    )
    payment_id: str
    """The sale's tender it goes back on."""
    tender: str
    amount: int
    outcome: str | None = None
    """refunded, or refused (then handed back in cash); None until the return completes."""
    refund_id: str = ""
    reason: str = ""


class MemberRow(SQLModel, table=True):
    """A store member (member.enrolled), with their points balance (points.changed)."""

    __tablename__ = "members"

    member_no: str = Field(primary_key=True)
    openid: str | None = Field(default=None, unique=True)
    """The wallet payer id that enrolled them (pay-to-become-member)."""
    phone: str | None = Field(default=None, index=True)
    """The full number: shown masked everywhere but the manager's member view."""
    store_id: str
    device_id: str
    via: str
    """wallet, phone or referral."""
    referred_by: str | None = None
    enrolled_seq: int = Field(unique=True)
    enrolled_ts: str
    points: int = 0
    lifetime_points: int = 0
    deleted_seq: int | None = None
    merged_into: str | None = None
    """The member this one became (member.merged: one payer enrolled at two stores);
    their number then finds that member, who holds their points."""


class CouponRow(SQLModel, table=True):
    """A coupon the till issued or accepted (coupon.issued)."""

    __tablename__ = "coupons"

    coupon_id: str = Field(primary_key=True)
    campaign_id: str = Field(index=True)
    member_no: str | None = Field(default=None, index=True)
    giver: str | None = None
    store_id: str
    valid_from: int
    valid_until: int
    code: str = Field(sa_column=Column(Text, nullable=False))
    """The signed code printed as its QR."""
    purpose: str
    sale_id: str | None = None
    """The sale that earned it, if one did."""
    value: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Its face value in fen (an amount-off coupon's amount; 0 when it depends on the
    sale): what reports count as the value issued."""
    issued_seq: int = Field(unique=True)
    voided_seq: int | None = None


class RedemptionRow(SQLModel, table=True):
    """A coupon used in a sale (coupon.redeemed); `restored_seq` when a refund gave it
    back. A partial unique index lets a coupon have one unrestored use at most."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        Index(
            "ux_coupon_redemptions_live",
            "coupon_id",
            unique=True,
            sqlite_where=text("restored_seq IS NULL"),
        ),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    coupon_id: str = Field(index=True)
    campaign_id: str
    sale_id: str = Field(index=True)
    member_no: str | None = None
    amount: int
    flagged: bool = False
    """Accepted offline on the campaign's low-value policy, for the cloud to arbitrate."""
    leased: bool = False
    """Used one of the redemptions the cloud leased to this till."""
    restored_seq: int | None = None


class PointsChangeRow(SQLModel, table=True):
    """A change to a member's points (points.changed)."""

    __tablename__ = "points_changes"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    member_no: str = Field(index=True)
    delta: int
    reason: str
    """earned, redeemed, reversed (a refund took back earned points), restored (a refund
    gave back spent points) or adjusted (by a manager, with a note)."""
    sale_id: str | None = Field(default=None, index=True)
    return_id: str | None = None
    staff_no: str | None = None
    note: str = ""


class LeasedCouponRow(SQLModel, table=True):
    """A coupon the cloud leased to this till alone (coupon.lease_granted): of a
    campaign whose offline policy is `lease`, another till's or the chain's coupon is
    taken offline only if leased here, so no two tills can take it."""

    __tablename__ = "leased_coupons"

    coupon_id: str = Field(primary_key=True)
    campaign_id: str = Field(index=True)
    granted_seq: int


class ChainCampaignRow(SQLModel, table=True):
    """A coupon campaign the chain published (campaign.published), as its [[members.
    campaigns]] settings; it takes the place of pos.toml's campaign of the same id."""

    __tablename__ = "chain_campaigns"

    campaign_id: str = Field(primary_key=True)
    settings: str
    """The campaign's settings as canonical JSON (pos.config CampaignSettings)."""
    seq: int


REVOKED = "revoked"
"""trusted_keys.source of a key no longer trusted."""


class TrustedKeyRow(SQLModel, table=True):
    """A public key whose signed member and coupon codes this till accepts (key.trusted)."""

    __tablename__ = "trusted_keys"

    kid: str = Field(primary_key=True)
    public_key: str
    """Unpadded base64url of the raw Ed25519 key."""
    source: str
    """own (this till's key), config (pos.toml), cloud, or revoked (key.revoked: the
    chain told this till to stop accepting it; public_key is then empty)."""
    seq: int


class PrintJob(SQLModel, table=True):
    """A receipt waiting for, or sent to, the printer (pos.print_queue).

    A job names what to print, not the bytes: it is queued in the sale's own
    transaction, where rendering would cost the checkout time, and the printer's
    settings at print time decide the bytes.
    """

    __tablename__ = "print_jobs"

    job_id: int | None = Field(default=None, primary_key=True)
    receipt_no: str = Field(index=True)
    is_copy: bool = False
    """Print it marked as a copy (a reprint, or a job that may already have printed)."""
    state: str = Field(default="queued", index=True)
    """queued, sending (handed to the printer, not yet confirmed) or printed."""
    attempts: int = 0
    last_error: str = ""
    queued_ts: str
    printed_ts: str | None = None


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class, typed for building statements."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


JOURNAL = table_of(JournalRow)
META = table_of(Meta)
ITEMS = table_of(Item)
SALES = table_of(Sale)
SALE_LINES = table_of(SaleLine)
SALE_TAXES = table_of(SaleTax)
PAYMENTS = table_of(Payment)
DRAWER_OPENINGS = table_of(DrawerOpening)
SHIFTS = table_of(ShiftRow)
OVERRIDES = table_of(OverrideRow)
CASH_MOVEMENTS = table_of(CashMovementRow)
CASH_COUNTS = table_of(CashCountRow)
DAY_CLOSES = table_of(DayCloseRow)
PAYMENT_ORDERS = table_of(PaymentOrderRow)
STAFF = table_of(Staff)
DRAFTS = table_of(Draft)
PRINT_JOBS = table_of(PrintJob)
RETURNS = table_of(ReturnRow)
RETURN_LINES = table_of(ReturnLineRow)
REFUNDS = table_of(RefundRow)
MEMBERS = table_of(MemberRow)
COUPONS = table_of(CouponRow)
REDEMPTIONS = table_of(RedemptionRow)
POINTS_CHANGES = table_of(PointsChangeRow)
LEASED_COUPONS = table_of(LeasedCouponRow)
CHAIN_CAMPAIGNS = table_of(ChainCampaignRow)
TRUSTED_KEYS = table_of(TrustedKeyRow)

PROJECTIONS: tuple[Table, ...] = (
    ITEMS,
    SALES,
    SALE_LINES,
    SALE_TAXES,
    PAYMENTS,
    DRAWER_OPENINGS,
    SHIFTS,
    OVERRIDES,
    PAYMENT_ORDERS,
    RETURNS,
    RETURN_LINES,
    REFUNDS,
    MEMBERS,
    COUPONS,
    REDEMPTIONS,
    POINTS_CHANGES,
    LEASED_COUPONS,
    CHAIN_CAMPAIGNS,
    TRUSTED_KEYS,
    CASH_MOVEMENTS,
    CASH_COUNTS,
    DAY_CLOSES,
)
"""Tables rebuilt from the journal by `pos ledger verify`, parents before children."""
