"""Coupons the chain hands out (signed by the demo chain key, not by any till), and a
member program that knows one more campaign: for the offline policies and the cloud's
arbitration, which only such coupons meet."""

from __future__ import annotations

from dataclasses import replace

from cloud.member_codes import DEMO_CHAIN_KEY
from pos.domain.codes import CouponClaims, coupon_payload, encode_code
from pos.domain.coupons import Campaign, Purpose
from pos.loyalty import Loyalty


def chain_coupon(now: int, coupon_id: str, campaign_id: str, store_id: str = "") -> str:
    """A chain coupon valid from just before `now` for an hour."""
    claims = CouponClaims(coupon_id, campaign_id, None, store_id, now - 10, now + 3600)
    return encode_code("coupon", DEMO_CHAIN_KEY.kid, coupon_payload(claims), DEMO_CHAIN_KEY.sign)


def chain_campaign(loyalty: Loyalty, campaign_id: str, amount: int, offline: str) -> Campaign:
    """`amount` fen off any sale, for anyone, with the given offline policy."""
    return replace(
        loyalty.rules.campaigns["GIFT15"],
        campaign_id=campaign_id,
        amount=amount,
        min_spend=0,
        purpose=Purpose.NONE,
        offline=offline,
    )


def knowing(loyalty: Loyalty, campaign: Campaign) -> Loyalty:
    """The same member program on the same ledger, knowing one more campaign."""
    campaigns = {**loyalty.rules.campaigns, campaign.campaign_id: campaign}
    rules = replace(loyalty.rules, campaigns=campaigns)
    return Loyalty(loyalty.ledger, rules, loyalty.signer, loyalty.verifier)
