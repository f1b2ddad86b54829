"""The loop the product exists for, end to end: the checkout on a real ledger file, the
demo store's program and campaigns, real Ed25519 codes, and the wallet sandbox over
HTTP on 127.0.0.1.

A new payer pays by wallet code and is enrolled with a welcome coupon and a gift for a
friend on the receipt; comes back showing the dynamic member code from the chain's app
and redeems the welcome coupon; the friend redeems the gift, is enrolled, and the giver
is rewarded; then the giver comes back while the till is offline, pays cash, and their
member code and reward coupon are verified offline.
"""

from __future__ import annotations

import pytest
from chain_coupons import chain_campaign, chain_coupon, knowing
from support import raw

from cloud.member_codes import DEMO_CHAIN_KEY, dynamic_member_code
from cloud.wallet.codes import make_code
from pos.catalog_admin import current_catalog
from pos.checkout import Checkout, Till
from pos.config import Config
from pos.domain.codes import CodeError
from pos.domain.sale import SaleRecord
from pos.ledger.database import Ledger
from pos.ledger.verify import verify
from pos.loyalty import Loyalty, LoyaltyError
from pos.loyalty_setup import open_loyalty
from pos.payments.micropay import MicropayClient
from pos.payments.wallet_tender import pay_by_wallet
from pos.scan_outcomes import CouponPresented, MemberPresented

RED_BULL = "6920202000254"  # 6.00
PAYER = "246801"


@pytest.fixture
def loyalty(demo_config: Config, demo_ledger: Ledger) -> Loyalty:
    opened = open_loyalty(demo_config, demo_ledger)
    assert opened is not None
    return opened


@pytest.fixture
def till(demo_ledger: Ledger, demo_config: Config, loyalty: Loyalty) -> Checkout:
    return Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", "101"),
        demo_config.settings.scanner.rules(),
        loyalty=loyalty,
    )


def show_member(till: Checkout, code: str) -> None:
    outcome = till.scan(code)
    assert isinstance(outcome, MemberPresented)
    till.present_member(outcome.code)


def show_coupon(till: Checkout, code: str) -> None:
    outcome = till.scan(code)
    assert isinstance(outcome, CouponPresented)
    till.present_coupon(outcome.code)


def issued(sale: SaleRecord, campaign_id: str) -> str:
    (coupon,) = [c for c in sale.coupons_issued if c.campaign_id == campaign_id]
    return coupon.code


def test_pay_to_become_member_then_coupon_then_referral_then_offline(  # noqa: PLR0915 (one story)
    till: Checkout, gateway: MicropayClient, loyalty: Loyalty
) -> None:
    path = till.ledger.path
    # 1. A new payer pays by wallet code: enrolled in the sale's transaction.
    till.scan(RED_BULL, 10)
    first = pay_by_wallet(till, gateway, make_code(PAYER), body="Demo Mart").sale
    assert first is not None
    assert first.member is not None
    member_no = first.member.member_no
    assert first.member.enrolled
    assert first.member.points_earned == 60
    assert first.member.points_balance == 60
    assert first.member.card_code.startswith("M1:")
    assert {c.campaign_id for c in first.coupons_issued} == {"WELCOME10", "GIFT15"}
    gift = [c for c in first.coupons_issued if c.for_friend]
    assert [c.campaign_id for c in gift] == ["GIFT15"]
    (enrolled,) = raw(path, "SELECT member_no, via, openid FROM members")
    assert enrolled["via"] == "wallet"
    assert enrolled["openid"]
    types = [r["type"] for r in raw(path, "SELECT type FROM journal ORDER BY seq")]
    assert types[-6:] == [
        "payment.resolved",
        "member.enrolled",
        "sale.completed",
        "coupon.issued",
        "coupon.issued",
        "points.changed",
    ]

    # 2. They come back and show the dynamic code from the chain's app: the welcome
    # coupon is theirs and applies by itself.
    show_member(till, dynamic_member_code(DEMO_CHAIN_KEY, member_no, loyalty.now()))
    assert till.member is not None
    assert till.member.member_no == member_no
    till.scan(RED_BULL, 10)
    assert till.totals().total == 5000
    assert [p.campaign_id for p in till.offers.promotions] == ["WELCOME10"]
    second = pay_by_wallet(till, gateway, make_code(PAYER, serial=2), body="Demo Mart").sale
    assert second is not None
    assert second.member is not None
    assert second.member.member_no == member_no
    assert not second.member.enrolled
    assert second.total == 5000
    assert second.discount_total == 1000
    assert second.member.points_balance == 60 + 50
    assert len(raw(path, "SELECT * FROM members")) == 1
    # The same coupon again is refused: used.
    with pytest.raises(LoyaltyError) as used:
        till.present_coupon(issued(first, "WELCOME10"))
    assert used.value.reason == "already_used"

    # 3. A friend brings the gift coupon and pays cash: enrolled by the referral, and
    # the giver earns their reward.
    show_coupon(till, issued(first, "GIFT15"))
    till.scan(RED_BULL, 10)
    assert till.totals().total == 4500
    third = till.pay_cash()
    assert third.member is not None
    assert third.member.enrolled
    friend = third.member.member_no
    assert friend != member_no
    (row,) = raw(path, "SELECT via, referred_by FROM members WHERE member_no = ?", (friend,))
    assert row == {"via": "referral", "referred_by": member_no}
    rewards = raw(
        path,
        "SELECT campaign_id, purpose FROM coupons WHERE member_no = ? AND purpose = 'reward'",
        (member_no,),
    )
    assert rewards == [{"campaign_id": "THANKS10", "purpose": "reward"}]

    # 4. Offline: the giver's code and reward coupon are checked with the keys and the
    # ledger alone (nothing here talks to a network), and the sale is paid in cash.
    show_member(till, dynamic_member_code(DEMO_CHAIN_KEY, member_no, loyalty.now()))
    till.scan(RED_BULL, 10)
    assert till.totals().total == 5000
    assert [p.campaign_id for p in till.offers.promotions] == ["THANKS10"]
    fourth = till.pay_cash()
    assert fourth.total == 5000
    assert fourth.member is not None
    redeemed = raw(path, "SELECT campaign_id, flagged FROM coupon_redemptions ORDER BY seq")
    assert redeemed == [
        {"campaign_id": "WELCOME10", "flagged": 0},
        {"campaign_id": "GIFT15", "flagged": 0},
        {"campaign_id": "THANKS10", "flagged": 0},
    ]
    report = verify(till.ledger)
    assert report.ok, report.problems


def test_a_dynamic_code_replayed_after_its_window_is_refused(
    till: Checkout, loyalty: Loyalty
) -> None:
    till.scan(RED_BULL)
    member_no = _member(till)
    stale = dynamic_member_code(DEMO_CHAIN_KEY, member_no, loyalty.now() - 120)
    with pytest.raises(CodeError) as refused:
        till.present_member(stale)
    assert refused.value.reason == "expired"
    assert till.member is None


def test_a_forged_member_code_is_refused(till: Checkout, loyalty: Loyalty) -> None:
    code = dynamic_member_code(DEMO_CHAIN_KEY, _member(till), loyalty.now())
    body, _, signature = code.rpartition(".")
    forged = f"{body}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    with pytest.raises(CodeError) as refused:
        till.present_member(forged)
    assert refused.value.reason == "forged"


def test_another_stores_coupon_is_refused(till: Checkout, loyalty: Loyalty) -> None:
    code = chain_coupon(loyalty.now(), "C0FFEE", "WELCOME10", store_id="S999")
    with pytest.raises(LoyaltyError) as refused:
        till.present_coupon(code)
    assert refused.value.reason == "other_store"
    assert till.coupons == []


def test_a_deleted_members_code_is_refused(till: Checkout, loyalty: Loyalty) -> None:
    member_no = _member(till)
    loyalty.delete_member(member_no, "900", "customer asked")
    with pytest.raises(LoyaltyError) as refused:
        till.present_member(dynamic_member_code(DEMO_CHAIN_KEY, member_no, loyalty.now()))
    assert refused.value.reason == "deleted_member"


def _member(till: Checkout) -> str:
    loyalty = till.loyalty
    assert loyalty is not None
    member, _ = loyalty.enroll_by_phone("138 1234 5678")
    return member.member_no


def test_returns_undo_exactly_what_the_sale_did_for_the_member(
    till: Checkout, loyalty: Loyalty
) -> None:
    from pos.returns import complete_return, start_return

    path = till.ledger.path
    member_no = _member(till)  # by phone: welcome coupon WELCOME10 (10 off 50+)
    till.set_member(member_no)
    till.scan(RED_BULL, 20)  # 120.00, less the welcome coupon: 110.00, earns NEXT20
    sale = till.pay_cash()
    assert sale.total == 11000
    assert sale.member is not None
    assert sale.member.points_earned == 110
    assert [c.campaign_id for c in sale.coupons_issued] == ["NEXT20"]

    def give_back(units: int) -> None:
        record = start_return(
            till.ledger,
            sale.receipt_no,
            {1: units},
            cashier="101",
            manager="900",
            receipt_prefix="T01-",
        )
        complete_return(till.ledger, record, {})

    give_back(5)  # a quarter: a quarter of the points, the coupons stay
    assert loyalty.member(member_no).points == 110 - 27
    assert (
        raw(path, "SELECT count(*) AS n FROM coupon_redemptions WHERE restored_seq IS NULL")[0]["n"]
        == 1
    )
    give_back(15)  # the rest: every point, the coupon used back, NEXT20 void
    assert loyalty.member(member_no).points == 0
    reversed_ = raw(path, "SELECT sum(delta) AS d FROM points_changes WHERE reason = 'reversed'")
    assert reversed_ == [{"d": -110}]
    assert [c.candidate.campaign.campaign_id for c in loyalty.coupons_of(member_no)] == [
        "WELCOME10"
    ]
    assert raw(path, "SELECT purpose FROM coupons WHERE voided_seq IS NOT NULL") == [
        {"purpose": "next_visit"}
    ]
    report = verify(till.ledger)
    assert report.ok, report.problems


def test_points_pay_at_most_what_is_due_and_at_most_what_the_member_has(till: Checkout) -> None:
    from pos.domain.sale import TenderError

    till.set_member(_member(till))
    till.scan(RED_BULL)  # 6.00; a new member has no points
    with pytest.raises(TenderError) as too_much:
        till.tender_points(601)
    assert too_much.value.title == "Not a part of the sale"
    with pytest.raises(TenderError) as too_few:
        till.tender_points(100)
    assert too_few.value.title == "Not enough points"
    assert till.tenders == []


def test_a_coupon_of_a_lease_campaign_is_taken_offline_only_where_it_is_leased(
    demo_ledger: Ledger, demo_config: Config, loyalty: Loyalty
) -> None:
    loyalty = knowing(loyalty, chain_campaign(loyalty, "CHAIN5", 500, "lease"))
    till = Checkout(
        demo_ledger,
        current_catalog(demo_ledger),
        Till("T01", "T01-", "101"),
        demo_config.settings.scanner.rules(),
        loyalty=loyalty,
    )
    till.scan(RED_BULL)
    with pytest.raises(LoyaltyError) as refused:
        till.present_coupon(chain_coupon(loyalty.now(), "L1", "CHAIN5"))
    assert refused.value.reason == "no_lease"
    assert till.coupons == []

    with demo_ledger.transaction() as writer:  # as the puller journals the cloud's lease
        writer.append(
            "coupon.lease_granted",
            {"campaign_id": "CHAIN5", "coupon_ids": ["L1"], "source": "cloud"},
        )
    till.present_coupon(chain_coupon(loyalty.now(), "L1", "CHAIN5"))
    sale = till.pay_cash()
    assert sale.total == 100
    assert raw(demo_ledger.path, "SELECT leased, flagged FROM coupon_redemptions") == [
        {"leased": 1, "flagged": 0}
    ]

    till.scan(RED_BULL)
    with pytest.raises(LoyaltyError) as used:  # leased, and used: once is all
        till.present_coupon(chain_coupon(loyalty.now(), "L1", "CHAIN5"))
    assert used.value.reason != "no_lease"
    with pytest.raises(LoyaltyError) as other:  # another coupon of the campaign
        till.present_coupon(chain_coupon(loyalty.now(), "L2", "CHAIN5"))
    assert other.value.reason == "no_lease"
    assert verify(demo_ledger).ok


def test_another_tills_low_value_coupon_is_accepted_flagged_up_to_the_limit(
    till: Checkout, loyalty: Loyalty, demo_ledger: Ledger
) -> None:
    # GIFT15 (15.00 off 60.00) is "flag" with the demo's 20.00 limit; a bigger one is capped.
    till.loyalty = knowing(loyalty, chain_campaign(loyalty, "BIG50", 5000, "flag"))
    till.scan(RED_BULL, 20)  # 120.00
    till.present_coupon(chain_coupon(loyalty.now(), "F1", "BIG50"))
    assert till.totals().total == 10000  # 50.00 off asked, 20.00 taken
    till.pay_cash()
    assert raw(demo_ledger.path, "SELECT amount, flagged, leased FROM coupon_redemptions") == [
        {"amount": 2000, "flagged": 1, "leased": 0}
    ]
