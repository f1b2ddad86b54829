"""Opening the members and coupons of a till: its own signing key, the keys it trusts,
the program from pos.toml [members], and its campaigns and the chain's (published
through the cloud's feed).

The till's key is made on first start (data_dir/keys, readable by its user only). The
public keys it trusts are journaled (key.trusted) when first seen or changed, so every
code the till ever accepted can be explained from the journal: its own key, the keys
pos.toml names, and (with sync) the chain's.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, select

from pos.config import Config
from pos.config.settings import CampaignSettings
from pos.domain.coupons import Campaign
from pos.ledger.database import Ledger, Writer
from pos.ledger.tables import CHAIN_CAMPAIGNS, REVOKED, TRUSTED_KEYS
from pos.loyalty import Loyalty, LoyaltyRules
from pos.signing import KeyRing, SigningKey, public_key_from_text, public_key_text

KEY_FILE = "till-ed25519.pem"


def open_loyalty(config: Config, ledger: Ledger) -> Loyalty | None:
    """The till's Loyalty, or None when [members] is disabled (blocking: a worker's)."""
    settings = config.settings
    members = settings.members
    if not members.enabled:
        return None
    key = SigningKey.load_or_create(config.data_dir / "keys" / KEY_FILE, settings.till.device_id)
    wanted = {key.kid: (public_key_text(key.public_key), "own")}
    for kid, text in members.trusted_keys.items():
        public_key_from_text(text)  # a bad key in pos.toml is named before anything starts
        wanted.setdefault(kid, (text, "config"))
    trusted = trust(ledger, wanted)
    rules = LoyaltyRules(
        store_id=settings.store.id,
        program=members.program(),
        campaigns=selling_campaigns(config, ledger),
        timezone=settings.store.timezone,
    )
    ring = KeyRing({kid: public_key_from_text(text) for kid, text in trusted.items()})
    return Loyalty(ledger, rules, key, ring)


def selling_campaigns(config: Config, ledger: Ledger) -> dict[str, Campaign]:
    """pos.toml's campaigns, each replaced by the chain's of the same id once published
    (campaign.published): the chain decides, the file is what a till starts with."""
    with ledger.read() as conn:
        published = conn.execute(select(CHAIN_CAMPAIGNS.c.settings)).scalars().all()
    chain = (CampaignSettings.model_validate_json(text).campaign() for text in published)
    return {**config.settings.members.campaign_map(), **{c.campaign_id: c for c in chain}}


def trust(ledger: Ledger, keys: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Journal each (public key, source) by kid not yet trusted as such; return every
    trusted key by kid."""
    with ledger.transaction() as writer:
        journal_trust(writer, keys)
        return trusted_keys(writer.conn)


def journal_trust(writer: Writer, keys: Mapping[str, tuple[str, str]]) -> list[str]:
    """Journal key.trusted for each (public key, source) by kid not trusted as such,
    but never for a revoked kid; the kids journaled."""
    known = {
        row.kid: (row.public_key, row.source)
        for row in writer.conn.execute(
            select(TRUSTED_KEYS.c.kid, TRUSTED_KEYS.c.public_key, TRUSTED_KEYS.c.source)
        )
    }
    journaled = []
    for kid, (public_key, source) in keys.items():
        before = known.get(kid)
        if before is not None and (before[0] == public_key or before[1] == REVOKED):
            continue
        writer.append("key.trusted", {"kid": kid, "public_key": public_key, "source": source})
        known[kid] = (public_key, source)
        journaled.append(kid)
    return journaled


def trusted_keys(conn: Connection) -> dict[str, str]:
    """Every key the till trusts now, by kid (revoked ones left out)."""
    rows = conn.execute(
        select(TRUSTED_KEYS.c.kid, TRUSTED_KEYS.c.public_key).where(
            TRUSTED_KEYS.c.source != REVOKED
        )
    )
    return {row.kid: row.public_key for row in rows}


def key_ring(ledger: Ledger) -> KeyRing:
    """The ring of the keys the till trusts now: after the cloud's feed changed them."""
    with ledger.read() as conn:
        keys = trusted_keys(conn)
    return KeyRing({kid: public_key_from_text(text) for kid, text in keys.items()})
