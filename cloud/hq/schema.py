"""The HQ database's tables: the same on SQLite and PostgreSQL.

Every device's events are kept exactly as the device hashed them, keyed by (device_id,
seq) forever, so a resend is recognised however late it comes. `devices.head_seq` is
the highest contiguous seq stored (what `acked_through` answers); events that arrive
past a gap wait in `held_events` until the gap fills. A different event at a stored
seq is never merged: it goes to `forks` and the device is quarantined.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, MetaData, Text
from sqlmodel import Field, SQLModel

from pos.ledger.chain import GENESIS_HASH
from pos.ledger.tables import table_of


class HQModel(SQLModel):
    """The HQ's tables live in their own metadata, apart from the till's ledger."""

    metadata = MetaData()


class DeviceRow(HQModel, table=True):
    """An enrolled till: its token (hashed), how far its chain is stored, its state."""

    __tablename__ = "devices"

    device_id: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(index=True, max_length=64)
    token_hash: str = Field(unique=True, max_length=64)
    """SHA-256 of the device's bearer token; the token itself is never stored."""
    enrolled_at: str
    revoked_at: str | None = None
    revoked_reason: str | None = None
    head_seq: int = Field(default=0, sa_type=BigInteger)
    """The highest contiguous seq stored: the device's acked_through."""
    head_hash: str = Field(default=GENESIS_HASH, max_length=64)
    quarantined_at: str | None = None
    """Set when a fork was found: ingest refuses the device until someone looks."""


class EnrollmentCodeRow(HQModel, table=True):
    """A one-time code a manager made for a store; a till exchanges it for a token."""

    __tablename__ = "enrollment_codes"

    code_hash: str = Field(primary_key=True, max_length=64)
    store_id: str = Field(max_length=64)
    created_at: str
    expires_at: str
    used_by: str | None = None
    used_at: str | None = None


class StoredEventRow(HQModel, table=True):
    """A device's journal event, exactly as it was hashed."""

    __tablename__ = "events"

    device_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    event_id: str = Field(unique=True, max_length=36)
    type: str = Field(index=True, max_length=64)
    ts: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    """Canonical JSON, as hashed."""
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    received_at: str


class HeldEventRow(HQModel, table=True):
    """An event that came past a gap in its device's chain: kept until the gap fills."""

    __tablename__ = "held_events"

    device_id: str = Field(primary_key=True, max_length=64)
    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    body: str = Field(sa_column=Column(Text, nullable=False))
    """The event as sent (JSON)."""
    received_at: str


class ForkRow(HQModel, table=True):
    """A different event at a seq the cloud already stored (a restored backup, a cloned
    device, an edited journal), or an event whose hash does not match its content."""

    __tablename__ = "forks"

    fork_id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(index=True, max_length=64)
    seq: int = Field(sa_type=BigInteger)
    stored_hash: str | None = None
    sent_hash: str | None = None
    reason: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    detected_at: str


class CouponUseRow(HQModel, table=True):
    """The redemption of a single-use coupon that stands: the first to reach the cloud.
    A later one elsewhere gets a `coupon.redemption_rejected` through the feed."""

    __tablename__ = "coupon_uses"

    coupon_id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64)
    seq: int = Field(sa_type=BigInteger)
    sale_id: str = Field(max_length=64)
    amount: int = Field(sa_type=BigInteger)
    received_at: str


class CloudSaleRow(HQModel, table=True):
    """A till's sale as the chain sees it (sale.completed): for the chain's reports."""

    __tablename__ = "sales"

    sale_id: str = Field(primary_key=True, max_length=36)
    device_id: str = Field(max_length=64)
    seq: int = Field(sa_type=BigInteger)
    store_id: str = Field(index=True, max_length=64)
    ts: str = Field(index=True)
    receipt_no: str = Field(max_length=32)
    cashier: str = Field(max_length=32)
    total: int = Field(sa_type=BigInteger)
    """Fen paid, after discounts."""
    discount_total: int = Field(sa_type=BigInteger)
    item_count: int
    member_no: str | None = Field(default=None, max_length=32)
    tenders: str
    """{tender: fen} as JSON: how the total was paid."""


class CloudCouponRow(HQModel, table=True):
    """A coupon a till issued (coupon.issued): the chain's record of what is out there."""

    __tablename__ = "coupons"

    coupon_id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(index=True, max_length=64)
    member_no: str | None = Field(default=None, max_length=32)
    giver: str | None = Field(default=None, max_length=32)
    purpose: str = Field(max_length=16)
    device_id: str = Field(max_length=64)
    store_id: str = Field(max_length=64)
    sale_id: str | None = Field(default=None, max_length=36)
    valid_until: int = Field(sa_type=BigInteger)
    """Epoch seconds."""
    issued_ts: str


class CloudMemberRow(HQModel, table=True):
    """A member as the chain knows them, from the till that enrolled them."""

    __tablename__ = "members"

    member_no: str = Field(primary_key=True, max_length=32)
    openid: str | None = Field(default=None, unique=True, max_length=128)
    phone: str | None = Field(default=None, max_length=32)
    store_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64)
    via: str = Field(max_length=16)
    referred_by: str | None = Field(default=None, max_length=32)
    enrolled_ts: str
    merged_into: str | None = Field(default=None, max_length=32)
    """The member this enrollment of the same payer was merged into (member.merged)."""


class FeedRow(HQModel, table=True):
    """A change for tills to apply, in the order it was made. `device_id` addresses one
    till; otherwise `store_id` one store's tills; otherwise every till."""

    __tablename__ = "feed"

    feed_id: int | None = Field(
        default=None,
        primary_key=True,
        # SQLite numbers rows itself only for an INTEGER PRIMARY KEY (the rowid).
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),
    )
    device_id: str | None = Field(default=None, index=True, max_length=64)
    store_id: str | None = Field(default=None, index=True, max_length=64)
    kind: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str


class PublishedRow(HQModel, table=True):
    """What the chain last sent its tills of one thing (a catalog item, a campaign), to
    the whole chain (`scope` "*") or to one store: kept so that publishing the same again
    sends nothing."""

    __tablename__ = "published"

    kind: str = Field(primary_key=True, max_length=32)
    """The feed kind it went out as (catalog.item, campaign.published)."""
    scope: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=64)
    """The SKU, or the campaign id."""
    document: str = Field(sa_column=Column(Text, nullable=False))
    """What was sent, as canonical JSON."""
    published_at: str


class ChainKeyRow(HQModel, table=True):
    """A public key whose signed member and coupon codes every till accepts, until
    revoked."""

    __tablename__ = "chain_keys"

    kid: str = Field(primary_key=True, max_length=40)
    public_key: str = Field(max_length=64)
    published_at: str
    revoked_at: str | None = None


class CouponLeaseRow(HQModel, table=True):
    """A coupon leased to one till, which alone may take it while offline: so no two
    tills can take it (coupon.lease_granted in that till's feed)."""

    __tablename__ = "coupon_leases"

    coupon_id: str = Field(primary_key=True, max_length=64)
    campaign_id: str = Field(max_length=64)
    device_id: str = Field(index=True, max_length=64)
    granted_at: str


DEVICES = table_of(DeviceRow)
ENROLLMENT_CODES = table_of(EnrollmentCodeRow)
EVENTS = table_of(StoredEventRow)
HELD = table_of(HeldEventRow)
FORKS = table_of(ForkRow)
COUPON_USES = table_of(CouponUseRow)
FEED = table_of(FeedRow)
MEMBERS = table_of(CloudMemberRow)
SALES = table_of(CloudSaleRow)
COUPONS = table_of(CloudCouponRow)
PUBLISHED = table_of(PublishedRow)
CHAIN_KEYS = table_of(ChainKeyRow)
COUPON_LEASES = table_of(CouponLeaseRow)
