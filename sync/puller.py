"""The puller: the cloud's feed applied at the till, from the cursor it kept.

Each page is applied in one ledger transaction together with the new cursor, so a
crash or a lost answer repeats nothing and skips nothing. Whatever the feed changes at
the till is journaled as the till's own event, so the journal alone explains every
receipt and every report: the chain's catalog items and prices (catalog.item_added,
catalog.item_updated, catalog.price_changed, only where something differs), its coupon
campaigns (campaign.published), its keys (key.trusted, key.revoked), coupons leased to
this till (coupon.lease_granted), a coupon redemption the cloud rejected because
another till used the coupon first, a member another till enrolled (member.imported),
and one payer enrolled at two stores made one member (member.merged). Kinds this till
does not know (a newer cloud) are passed over.

A change the till cannot apply (an invalid campaign or catalog item, or one that would
give two items one barcode) stops the pull with nothing of its page applied: `Refused`, which halts
sync with an alert for the manager, rather than skipping past a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import or_, select

from pos.catalog_admin import journal_catalog
from pos.config.settings import CampaignSettings
from pos.domain.catalog import CatalogItem
from pos.errors import PosError
from pos.ledger.chain import canonical_json
from pos.ledger.database import Ledger, Writer, read_meta, write_meta
from pos.ledger.tables import CHAIN_CAMPAIGNS, MEMBERS, REVOKED, TRUSTED_KEYS
from pos.loyalty_setup import journal_trust
from sync.client import CloudClient, Refused

FEED_CURSOR = "feed_cursor"
JOURNALED = frozenset({"coupon.redemption_rejected", "coupon.lease_granted"})
"""Feed kinds that become the till's own events, as they are."""


class Puller:
    def __init__(self, ledger: Ledger, client: CloudClient) -> None:
        self.ledger, self.client = ledger, client

    def pull(self) -> frozenset[str]:
        """Apply every waiting change; the types of the events that journaled them."""
        journaled: set[str] = set()
        while True:
            with self.ledger.read() as conn:
                before = read_meta(conn, FEED_CURSOR) or ""
            changes, cursor, more = self.client.feed(before)
            if changes and cursor == before:
                # The same changes would come back for ever, and be journaled each time.
                raise Refused(
                    "bad_feed",
                    f"The cloud's feed sent {len(changes)} changes without moving on from "
                    "its cursor; nothing of them is applied.",
                )
            with self.ledger.transaction() as writer:
                _apply_page(writer, changes)
                journaled.update(event.type for event in writer.events)
                write_meta(writer.conn, FEED_CURSOR, cursor)
            if not more:
                return frozenset(journaled)


def _apply_page(writer: Writer, changes: Sequence[Mapping[str, Any]]) -> None:
    # A catalog published whole comes as thousands of items: they are compared with the
    # catalog once a page, the last of an item's changes in the page winning.
    items: dict[str, CatalogItem] = {}
    for change in changes:
        kind, body = change.get("kind"), dict(change.get("body") or {})
        if kind in JOURNALED:
            writer.append(str(kind), body)
        elif kind == "member.enrolled" and _new_member(writer, body):
            writer.append("member.imported", body)
        elif kind == "member.merged" and _merge_applies(writer, body):
            writer.append("member.merged", body)
        elif kind == "catalog.item":
            item = _catalog_item(body)
            items[item.sku] = item
        elif kind == "campaign.published":
            _campaign_published(writer, body)
        elif kind == "key.trusted":
            journal_trust(writer, {str(body["kid"]): (str(body["public_key"]), "cloud")})
        elif kind == "key.revoked":
            _key_revoked(writer, str(body["kid"]))
    if items:
        try:
            journal_catalog(writer, items.values())
        except PosError as error:
            raise Refused("bad_feed", f"A catalog change from the cloud: {error.message}") from None


def _catalog_item(body: Mapping[str, Any]) -> CatalogItem:
    fields = body.get("item")
    try:
        if not isinstance(fields, dict):
            raise TypeError("no item")
        return CatalogItem(**fields)
    except PosError as error:
        raise Refused("bad_feed", f"A catalog change from the cloud: {error.message}") from None
    except TypeError:
        raise Refused("bad_feed", f"A catalog change from the cloud is malformed: {body}") from None


def _campaign_published(writer: Writer, body: Mapping[str, Any]) -> None:
    try:
        settings = CampaignSettings.model_validate(body.get("campaign"))
        settings.campaign()
    except (ValidationError, ValueError) as error:
        raise Refused("bad_feed", f"A coupon campaign from the cloud: {error}") from None
    campaign = settings.document()
    known = writer.conn.execute(
        select(CHAIN_CAMPAIGNS.c.settings).where(CHAIN_CAMPAIGNS.c.campaign_id == settings.id)
    ).scalar()
    if known != canonical_json(campaign):
        writer.append("campaign.published", {"campaign": campaign, "source": "cloud"})


def _key_revoked(writer: Writer, kid: str) -> None:
    # The till's own key is replaced by a technician, not switched off from afar: the
    # till would refuse its own cards and coupons until then.
    source = writer.conn.execute(
        select(TRUSTED_KEYS.c.source).where(TRUSTED_KEYS.c.kid == kid)
    ).scalar()
    if source not in (REVOKED, "own"):
        writer.append("key.revoked", {"kid": kid, "source": "cloud"})


def _merge_applies(writer: Writer, body: Mapping[str, Any]) -> bool:
    """The till knows one of the two members and has not merged them yet."""
    merged, into = body["member"]["member_no"], body["into"]["member_no"]
    rows = writer.conn.execute(
        select(MEMBERS.c.member_no, MEMBERS.c.merged_into).where(
            MEMBERS.c.member_no.in_([merged, into])
        )
    ).all()
    return bool(rows) and not any(row.merged_into for row in rows)


def _new_member(writer: Writer, member: Mapping[str, Any]) -> bool:
    """A member this till does not have: not its own enrollment coming back, and not a
    payer it enrolled itself under another number (that is for the merge)."""
    same = MEMBERS.c.member_no == member["member_no"]
    if member.get("openid"):
        same = or_(same, MEMBERS.c.openid == member["openid"])
    return writer.conn.execute(select(MEMBERS.c.member_no).where(same)).first() is None
