"""What the chain decides for its tills: catalog items and prices, coupon campaigns,
the public keys whose signed codes they accept, and the coupons each till may take
offline. Each change
goes out through the feed; tills journal what they apply, so every receipt is explained
by their own journal.

A catalog item goes to the whole chain or to one store. Publishing compares with what
was last published to the same tills, so publishing the same file again sends nothing;
at a till the latest change to an item wins, whichever scope it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cloud.hq import feed
from cloud.hq.errors import HQError
from cloud.hq.schema import (
    CHAIN_KEYS,
    COUPON_LEASES,
    COUPON_USES,
    COUPONS,
    DEVICES,
    PUBLISHED,
)
from pos.config.settings import CampaignSettings
from pos.domain.catalog import CatalogItem
from pos.domain.codes import KID_PATTERN
from pos.ledger.chain import canonical_json
from pos.signing import public_key_from_text

CHAIN = "*"
"""The store_id of what is published to every store."""


@dataclass(frozen=True, slots=True)
class Published:
    sent: int
    """New or changed since last published to these tills: sent in the feed."""
    unchanged: int


def publish_catalog(
    conn: Connection, items: Iterable[CatalogItem], store_id: str | None, now: str
) -> Published:
    """Send each item that differs from what these tills were last sent (`store_id`
    None: every store)."""
    documents = ((item.sku, {"item": asdict(item)}) for item in items)
    return _publish(conn, "catalog.item", documents, store_id, now)


def publish_campaigns(
    conn: Connection, campaigns: Iterable[CampaignSettings], now: str
) -> Published:
    """Send every till each campaign that differs from what was last published; a till
    then sells by it instead of its pos.toml campaign of the same id."""
    documents = ((campaign.id, {"campaign": campaign.document()}) for campaign in campaigns)
    return _publish(conn, "campaign.published", documents, None, now)


def _publish(
    conn: Connection,
    kind: str,
    documents: Iterable[tuple[str, dict[str, Any]]],
    store_id: str | None,
    now: str,
) -> Published:
    """Each (key, feed body) that differs from what these tills were last sent goes
    into the feed as `kind`, and is remembered."""
    scope = store_id or CHAIN
    mine = (PUBLISHED.c.kind == kind) & (PUBLISHED.c.scope == scope)
    before = {
        row.key: row.document
        for row in conn.execute(select(PUBLISHED.c.key, PUBLISHED.c.document).where(mine))
    }
    sent = unchanged = 0
    for key, body in documents:
        text = canonical_json(body)
        if before.get(key) == text:
            unchanged += 1
            continue
        values = {"document": text, "published_at": now}
        if key in before:
            conn.execute(update(PUBLISHED).where(mine, PUBLISHED.c.key == key).values(**values))
        else:
            conn.execute(insert(PUBLISHED).values(kind=kind, scope=scope, key=key, **values))
        before[key] = text
        feed.append(conn, kind, body, now, store_id=store_id)
        sent += 1
    return Published(sent, unchanged)


def trust_key(conn: Connection, kid: str, public_key: str, now: str) -> bool:
    """Publish a key every till is to trust; False when it is published already."""
    if not KID_PATTERN.fullmatch(kid):
        raise HQError(422, "bad_key", "A key id is 1 to 40 letters, digits, '-' or '_'.")
    try:
        public_key_from_text(public_key)
    except ValueError as error:
        raise HQError(422, "bad_key", f"Not an Ed25519 public key: {error}.") from None
    row = conn.execute(select(CHAIN_KEYS).where(CHAIN_KEYS.c.kid == kid)).first()
    if row is not None and row.revoked_at is not None:
        raise HQError(409, "key_revoked", f"Key {kid} was revoked; publish a new key id.")
    if row is not None and row.public_key == public_key:
        return False
    if row is not None:
        raise HQError(409, "key_taken", f"Key id {kid} names another key; choose a new id.")
    conn.execute(insert(CHAIN_KEYS).values(kid=kid, public_key=public_key, published_at=now))
    feed.append(conn, "key.trusted", {"kid": kid, "public_key": public_key}, now)
    return True


def revoke_key(conn: Connection, kid: str, now: str) -> bool:
    """Tell every till to stop accepting codes signed with `kid`; False when it was
    revoked already. A key the chain never published can be revoked too (a till's
    own key that leaked)."""
    row = conn.execute(select(CHAIN_KEYS).where(CHAIN_KEYS.c.kid == kid)).first()
    if row is not None and row.revoked_at is not None:
        return False
    if row is None:
        conn.execute(
            insert(CHAIN_KEYS).values(kid=kid, public_key="", published_at=now, revoked_at=now)
        )
    else:
        conn.execute(update(CHAIN_KEYS).where(CHAIN_KEYS.c.kid == kid).values(revoked_at=now))
    feed.append(conn, "key.revoked", {"kid": kid}, now)
    return True


def lease_coupons(
    conn: Connection, device_id: str, campaign_id: str, coupon_ids: Iterable[str], now: str
) -> list[str]:
    """Lease coupons of a `lease` campaign to one till, which alone may then take them
    offline; the ids newly leased (one leased to it already is left as it is).

    Refused, with nothing leased, for an unknown till or a coupon that is leased to
    another till, already used, or issued by a till (the chain's own coupons, signed
    with a chain key, are the ones to lease).
    """
    wanted = list(dict.fromkeys(coupon_ids))
    if not wanted:
        raise HQError(422, "bad_lease", "Name at least one coupon to lease.")
    if (
        conn.execute(select(DEVICES.c.device_id).where(DEVICES.c.device_id == device_id)).first()
        is None
    ):
        raise HQError(404, "unknown_device", f"There is no enrolled till {device_id}.")
    leased = {
        row.coupon_id: row.device_id
        for row in conn.execute(
            select(COUPON_LEASES.c.coupon_id, COUPON_LEASES.c.device_id).where(
                COUPON_LEASES.c.coupon_id.in_(wanted)
            )
        )
    }
    elsewhere = sorted(c for c, holder in leased.items() if holder != device_id)
    if elsewhere:
        raise HQError(
            409, "leased_elsewhere", f"Leased to another till already: {', '.join(elsewhere)}."
        )
    used = sorted(
        conn.execute(
            select(COUPON_USES.c.coupon_id).where(COUPON_USES.c.coupon_id.in_(wanted))
        ).scalars()
    )
    if used:
        raise HQError(409, "coupon_used", f"Used already: {', '.join(used)}.")
    # A till takes the coupons it issued as its own, lease or not: leasing one to
    # another till would let both take it.
    issued = sorted(
        conn.execute(select(COUPONS.c.coupon_id).where(COUPONS.c.coupon_id.in_(wanted))).scalars()
    )
    if issued:
        raise HQError(
            409,
            "issued_by_a_till",
            f"Issued by a till, which takes them as its own: {', '.join(issued)}.",
        )
    new = [coupon_id for coupon_id in wanted if coupon_id not in leased]
    if new:
        conn.execute(
            insert(COUPON_LEASES),
            [
                {
                    "coupon_id": c,
                    "campaign_id": campaign_id,
                    "device_id": device_id,
                    "granted_at": now,
                }
                for c in new
            ],
        )
        body = {"campaign_id": campaign_id, "coupon_ids": new, "source": "cloud"}
        feed.append(conn, "coupon.lease_granted", body, now, device_id=device_id)
    return new
