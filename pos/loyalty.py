"""Members and coupons at the till: finding and enrolling members, checking the codes
customers show, and journaling what a sale does for them.

A sale's loyalty events commit in the sale's own transaction (`journal_sale`): the
enrollment of a new member (pay-to-become-member: the wallet payer's openid, or a
friend redeeming a referral coupon), the sale with its member block and the coupons it
issued, each coupon's redemption, the giver's referral reward and the points earned
and spent. Either all of it is in the ledger or none of it.

Codes are checked offline: the signature against the trusted keys (pos.signing), then
the code's window, then the ledger (a coupon already used here, a deleted member). A
coupon issued by another till cannot be checked for an earlier use elsewhere until the
cloud arbitrates (the sync issue), so its campaign's offline policy applies: it uses a
redemption the cloud leased to this till, or, for low value, it is accepted up to the
campaign's `flag_limit` and flagged. Until sync exists every other till's coupon is
treated so.

Everything here reads or writes the ledger: call it from a worker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping, func, select

from pos.domain.codes import (
    CodeError,
    CouponClaims,
    MemberClaims,
    SignedCode,
    check_window,
    coupon_claims,
    coupon_payload,
    encode_code,
    member_claims,
    member_payload,
    parse_code,
)
from pos.domain.coupons import Applied, Campaign, Candidate, Coupon, Purpose
from pos.domain.members import (
    POINTS_TENDER,
    Member,
    MemberError,
    Program,
    mask_phone,
    parse_phone,
)
from pos.domain.sale import IssuedCoupon, SaleMember, SaleRecord, TenderError
from pos.errors import PosError
from pos.ledger.database import Ledger, Writer
from pos.ledger.tables import (
    COUPONS,
    LEASED_COUPONS,
    MEMBERS,
    PAYMENT_ORDERS,
    REDEMPTIONS,
)


class CodeSigner(Protocol):
    """This till's own key: signs the member cards and coupons it issues."""

    @property
    def kid(self) -> str: ...

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        ...


class CodeVerifier(Protocol):
    def verify(self, code: SignedCode) -> None:
        """Return if a trusted key signed `code`; raise CodeError (unknown_key, forged)."""
        ...


class LoyaltyError(PosError):
    """A member or coupon refused, with a stable `reason` for code and tests."""

    def __init__(self, reason: str, title: str, message: str) -> None:
        super().__init__(title, message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LoyaltyRules:
    """The chain's membership program and campaigns, and where this till is."""

    store_id: str
    program: Program = field(default_factory=Program)
    campaigns: Mapping[str, Campaign] = field(default_factory=dict)
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class HeldCoupon:
    """A coupon on the sale: the engine's candidate, its code, and how it is accepted."""

    candidate: Candidate
    code: str
    foreign: bool
    """Issued by another till: its offline policy applies."""

    @property
    def coupon_id(self) -> str:
        return self.candidate.coupon.coupon_id


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class Loyalty:
    """The members and coupons of one till's ledger."""

    def __init__(
        self,
        ledger: Ledger,
        rules: LoyaltyRules,
        signer: CodeSigner,
        verifier: CodeVerifier,
        *,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:16],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.ledger = ledger
        self.rules = rules
        self.signer = signer
        self.verifier = verifier
        self._new_id = new_id
        self.clock = clock or ledger.clock
        """Code windows and coupon validity go by it: the ledger's, but for a
        simulation selling at invented moments."""
        self._zone = ZoneInfo(rules.timezone)

    def now(self) -> int:
        return _epoch(self.clock())

    # -- members ------------------------------------------------------------------------

    def member(self, member_no: str) -> Member:
        with self.ledger.read() as conn:
            return _live_member(conn, member_no)

    def find_by_phone(self, text: str) -> Member | None:
        phone = parse_phone(text)
        with self.ledger.read() as conn:
            row = conn.execute(
                select(MEMBERS.c.member_no)
                .where(MEMBERS.c.phone == phone, MEMBERS.c.deleted_seq.is_(None))
                .order_by(MEMBERS.c.merged_into.is_not(None))
            ).first()
            return None if row is None else _live_member(conn, row.member_no)

    def member_from_code(self, text: str) -> Member:
        """The member a shown code names: signed by a trusted key, within its window
        (a screenshot of a dynamic code replayed later is refused), not deleted."""
        signed = parse_code(text)
        if signed.kind != "member":
            raise CodeError("wrong_kind", "This is a coupon, not a member code.")
        self.verifier.verify(signed)
        claims = member_claims(signed)
        check_window(claims, self.now())
        return self.member(claims.member_no)

    def card_code(self, member_no: str) -> str:
        """The static member card printed on receipts, signed by this till."""
        return self._sign("member", member_payload(MemberClaims(member_no, None)))

    def enroll_by_phone(self, text: str) -> tuple[Member, tuple[IssuedCoupon, ...]]:
        """Enroll a customer who gives their mobile number, with the welcome coupons."""
        phone = parse_phone(text)
        with self.ledger.transaction() as writer:
            taken = writer.conn.execute(
                select(MEMBERS.c.member_no).where(
                    MEMBERS.c.phone == phone, MEMBERS.c.deleted_seq.is_(None)
                )
            ).first()
            if taken is not None:
                raise LoyaltyError(
                    "phone_taken", "Already a member", f"{mask_phone(phone)} is already a member."
                )
            member = self._enroll(writer, via="phone", phone=phone)
            issued = self._issue_welcome(writer, member.member_no, sale_id=None)
        return member, issued

    def adjust_points(self, member_no: str, delta: int, note: str, manager: str) -> Member:
        """A manager's correction of a member's points, with the reason (journaled)."""
        if delta == 0 or not note.strip():
            raise MemberError("Adjustment", "A points adjustment needs a change and a reason.")
        with self.ledger.transaction() as writer:
            member = _live_member(writer.conn, member_no)
            if member.points + delta < 0:
                raise MemberError(
                    "Not enough points", f"The member has {member.points} points to take from."
                )
            writer.append(
                "points.changed",
                {
                    "member_no": member_no,
                    "delta": delta,
                    "reason": "adjusted",
                    "staff_no": manager,
                    "note": note.strip(),
                },
            )
            return _live_member(writer.conn, member_no)

    def delete_member(self, member_no: str, manager: str, reason: str) -> None:
        """A manager deletes a membership (the customer asked): their codes are refused
        from then on; their sales stay in the ledger, which is never edited."""
        if not reason.strip():
            raise MemberError("Reason needed", "Say why the membership is deleted.")
        with self.ledger.transaction() as writer:
            _live_member(writer.conn, member_no)
            writer.append(
                "member.deleted",
                {"member_no": member_no, "staff_no": manager, "reason": reason.strip()},
            )

    def payers_not_members(self) -> int:
        """Wallet payers of paid orders who are not members (pay-to-become-member says
        there are none; a deleted membership is the customer's choice and not counted)."""
        paid = (
            select(PAYMENT_ORDERS.c.openid)
            .where(PAYMENT_ORDERS.c.outcome == "paid", PAYMENT_ORDERS.c.openid != "")
            .distinct()
            .subquery()
        )
        with self.ledger.read() as conn:
            return conn.execute(
                select(func.count())
                .select_from(paid)
                .where(
                    paid.c.openid.not_in(
                        select(MEMBERS.c.openid).where(MEMBERS.c.openid.is_not(None))
                    )
                )
            ).scalar_one()

    # -- coupons ------------------------------------------------------------------------

    def coupons_of(self, member_no: str) -> list[HeldCoupon]:
        """The member's coupons this till issued that are unused, not void and unexpired."""
        now = self.now()
        live = REDEMPTIONS.c.restored_seq.is_(None)
        used = select(REDEMPTIONS.c.coupon_id).where(live).scalar_subquery()
        with self.ledger.read() as conn:
            rows = conn.execute(
                select(COUPONS)
                .where(
                    COUPONS.c.member_no == member_no,
                    COUPONS.c.voided_seq.is_(None),
                    COUPONS.c.valid_until > now,
                    COUPONS.c.coupon_id.not_in(used),
                )
                .order_by(COUPONS.c.valid_until)
            ).all()
        held = []
        for row in rows:
            campaign = self.rules.campaigns.get(row.campaign_id)
            if campaign is not None:
                coupon = Coupon(
                    row.coupon_id,
                    row.campaign_id,
                    row.member_no,
                    row.store_id,
                    row.valid_from,
                    row.valid_until,
                    row.giver,
                )
                held.append(HeldCoupon(Candidate(coupon, campaign), row.code, foreign=False))
        return held

    def coupon_from_code(self, text: str) -> HeldCoupon:
        """A scanned coupon, refused with its reason when forged, expired, for another
        store, already used here, void, or of a campaign this till does not know."""
        signed = parse_code(text)
        if signed.kind != "coupon":
            raise CodeError("wrong_kind", "This is a member code, not a coupon.")
        self.verifier.verify(signed)
        claims = coupon_claims(signed)
        check_window(claims, self.now())
        campaign = self.rules.campaigns.get(claims.campaign_id)
        if campaign is None:
            raise LoyaltyError(
                "unknown_campaign",
                "Unknown campaign",
                "This till does not know the coupon's campaign; it may need to sync.",
            )
        stores = (claims.store_id,) if claims.store_id else campaign.stores
        if stores and self.rules.store_id not in stores:
            raise LoyaltyError(
                "other_store", "Another store's coupon", "This coupon is for another store."
            )
        foreign = signed.kid != self.signer.kid
        with self.ledger.read() as conn:
            _check_unused(conn, claims.coupon_id)
            if foreign and campaign.offline == "lease":
                _check_lease(conn, claims.coupon_id)
        coupon = _coupon_of(claims)
        max_off = campaign.flag_limit if foreign and campaign.offline == "flag" else None
        return HeldCoupon(Candidate(coupon, campaign, max_off), text, foreign)

    def restore_coupon(self, code: str) -> HeldCoupon | None:
        """A coupon kept with a sale in progress, checked again (None if no longer good)."""
        try:
            return self.coupon_from_code(code)
        except PosError:
            return None

    # -- a sale ------------------------------------------------------------------------

    def journal_sale(
        self,
        writer: Writer,
        record: SaleRecord,
        *,
        member: Member | None,
        applied: Sequence[tuple[Applied, HeldCoupon]],
        at: datetime,
    ) -> SaleRecord:
        """Journal the sale (sale.completed) with everything it does for its member, in
        the caller's transaction; returns the record as journaled."""
        conn = writer.conn
        referral = next(
            (held for _, held in applied if held.candidate.campaign.purpose is Purpose.REFERRAL),
            None,
        )
        payer = _payer_openid(conn, [p.payment_id for p in record.payments])
        enrolled = False
        if member is None and payer:
            member = _member_by_openid(conn, payer)
        if member is None and (payer or referral is not None):
            giver = referral.candidate.coupon.giver if referral is not None else None
            member = self._enroll(
                writer, via="wallet" if payer else "referral", openid=payer, referred_by=giver
            )
            enrolled = True
        if member is not None:
            member = _live_member(conn, member.member_no)
        for _, held in applied:
            _check_unused(conn, held.coupon_id)
            if held.foreign and held.candidate.campaign.offline == "lease":
                _check_lease(conn, held.coupon_id)
        issued: list[tuple[IssuedCoupon, dict[str, Any]]] = []
        if enrolled and member is not None:
            issued += self._welcome_coupons(member.member_no, record.sale_id)
        if member is not None:
            issued += self._earned_coupons(member.member_no, record)
        slip = self._slip(member, record, enrolled) if member is not None else None
        record = replace(record, member=slip, coupons_issued=tuple(i for i, _ in issued))
        writer.append("sale.completed", record.to_payload(), at=at)
        for applied_coupon, held in applied:
            writer.append(
                "coupon.redeemed",
                {
                    "coupon_id": held.coupon_id,
                    "campaign_id": held.candidate.campaign.campaign_id,
                    "sale_id": record.sale_id,
                    "member_no": member.member_no if member else None,
                    "amount": applied_coupon.amount,
                    "flagged": held.foreign and held.candidate.campaign.offline == "flag",
                    "leased": held.foreign and held.candidate.campaign.offline == "lease",
                    "code": held.code,
                },
                at=at,
            )
        for _, payload in issued:
            writer.append("coupon.issued", payload, at=at)
        if referral is not None and referral.candidate.coupon.giver:
            self._reward_giver(writer, referral, record.sale_id, at)
        if slip is not None:
            self._journal_points(writer, slip, record.sale_id, at)
        return record

    # -- internals ---------------------------------------------------------------------

    def _sign(self, kind: str, payload: dict[str, object]) -> str:
        return encode_code(kind, self.signer.kid, payload, self.signer.sign)  # type: ignore[arg-type]

    def _enroll(
        self,
        writer: Writer,
        *,
        via: str,
        phone: str | None = None,
        openid: str | None = None,
        referred_by: str | None = None,
    ) -> Member:
        conn = writer.conn
        device_id = self.ledger.device_id
        count = conn.execute(
            select(func.count()).select_from(MEMBERS).where(MEMBERS.c.device_id == device_id)
        ).scalar_one()
        member_no = f"{device_id}M{count + 1:06d}"
        writer.append(
            "member.enrolled",
            {
                "member_no": member_no,
                "store_id": self.rules.store_id,
                "via": via,
                "phone": phone,
                "openid": openid,
                "referred_by": referred_by,
            },
        )
        return _live_member(conn, member_no)

    def _issue_welcome(
        self, writer: Writer, member_no: str, sale_id: str | None
    ) -> tuple[IssuedCoupon, ...]:
        issued = self._welcome_coupons(member_no, sale_id)
        for _, payload in issued:
            writer.append("coupon.issued", payload)
        return tuple(coupon for coupon, _ in issued)

    def _welcome_coupons(
        self, member_no: str, sale_id: str | None
    ) -> list[tuple[IssuedCoupon, dict[str, Any]]]:
        """A new member's welcome coupons, and the referral coupons they can gift."""
        return [
            self._new_coupon(campaign, member_no, sale_id)
            for campaign in self._campaigns(Purpose.WELCOME, Purpose.REFERRAL)
        ]

    def _earned_coupons(
        self, member_no: str, record: SaleRecord
    ) -> list[tuple[IssuedCoupon, dict[str, Any]]]:
        return [
            self._new_coupon(campaign, member_no, record.sale_id)
            for campaign in self._campaigns(Purpose.NEXT_VISIT)
            if record.total >= campaign.issue_threshold
        ]

    def _campaigns(self, *purposes: Purpose) -> Iterable[Campaign]:
        return (c for c in self.rules.campaigns.values() if c.purpose in purposes)

    def _new_coupon(
        self, campaign: Campaign, member_no: str, sale_id: str | None
    ) -> tuple[IssuedCoupon, dict[str, Any]]:
        """A coupon of `campaign` for `member_no` (a referral coupon: from them, to gift)."""
        now = self.clock()
        local_end = (now.astimezone(self._zone) + timedelta(days=campaign.valid_days)).replace(
            hour=23, minute=59, second=59, microsecond=0
        )
        gift = campaign.purpose is Purpose.REFERRAL
        claims = CouponClaims(
            coupon_id=self._new_id(),
            campaign_id=campaign.campaign_id,
            member_no=None if gift else member_no,
            store_id="",
            valid_from=_epoch(now),
            valid_until=_epoch(local_end) + 1,
            giver=member_no if gift else None,
        )
        code = self._sign("coupon", coupon_payload(claims))
        coupon = IssuedCoupon(
            coupon_id=claims.coupon_id,
            campaign_id=campaign.campaign_id,
            name_zh=campaign.name_zh,
            name_en=campaign.name_en,
            terms=campaign.describe(),
            purpose=campaign.purpose.value,
            valid_until=local_end.date().isoformat(),
            code=code,
            for_friend=gift,
        )
        event = {
            "coupon_id": claims.coupon_id,
            "campaign_id": campaign.campaign_id,
            "member_no": claims.member_no,
            "giver": claims.giver,
            "store_id": claims.store_id,
            "valid_from": claims.valid_from,
            "valid_until": claims.valid_until,
            "code": code,
            "purpose": campaign.purpose.value,
            "sale_id": sale_id,
            "value": campaign.face_value,
        }
        return coupon, event

    def _reward_giver(
        self, writer: Writer, referral: HeldCoupon, sale_id: str, at: datetime
    ) -> None:
        giver = referral.candidate.coupon.giver
        reward = self.rules.campaigns.get(referral.candidate.campaign.reward_campaign)
        if giver is None or reward is None:
            return
        if (
            writer.conn.execute(
                select(MEMBERS.c.member_no).where(MEMBERS.c.member_no == giver)
            ).first()
            is None
        ):
            # The giver joined at another till: the cloud issues their reward (sync).
            return
        _, payload = self._new_coupon(reward, giver, sale_id)
        writer.append("coupon.issued", payload, at=at)

    def _slip(self, member: Member, record: SaleRecord, enrolled: bool) -> SaleMember:
        program = self.rules.program
        tier = program.tier(member.lifetime_points)
        by_points = sum(p.amount for p in record.payments if p.tender == POINTS_TENDER)
        redeemed = program.points_for(by_points) if by_points else 0
        if redeemed > member.points:
            raise TenderError(
                "Not enough points", f"The member has {member.points} points, {redeemed} needed."
            )
        earned = program.points_earned(record.total - by_points, tier)
        return SaleMember(
            member_no=member.member_no,
            tier_zh=tier.name_zh,
            tier_en=tier.name_en,
            phone_masked=mask_phone(member.phone),
            enrolled=enrolled,
            points_earned=earned,
            points_redeemed=redeemed,
            points_balance=member.points - redeemed + earned,
            card_code=self.card_code(member.member_no),
        )

    def _journal_points(self, writer: Writer, slip: SaleMember, sale_id: str, at: datetime) -> None:
        for reason, delta in (("redeemed", -slip.points_redeemed), ("earned", slip.points_earned)):
            if delta:
                writer.append(
                    "points.changed",
                    {
                        "member_no": slip.member_no,
                        "delta": delta,
                        "reason": reason,
                        "sale_id": sale_id,
                    },
                    at=at,
                )


def _member(row: RowMapping) -> Member:
    return Member(
        member_no=row["member_no"],
        points=row["points"],
        lifetime_points=row["lifetime_points"],
        phone=row["phone"],
        openid=row["openid"],
        enrolled_ts=row["enrolled_ts"],
        referred_by=row["referred_by"],
    )


def _live_member(conn: Connection, member_no: str) -> Member:
    """The member a number stands for: the member the chain merged it into, if it was."""
    row = conn.execute(select(MEMBERS).where(MEMBERS.c.member_no == member_no)).first()
    if row is not None and row.merged_into is not None:
        row = conn.execute(select(MEMBERS).where(MEMBERS.c.member_no == row.merged_into)).first()
    if row is None:
        raise LoyaltyError(
            "unknown_member",
            "Unknown member",
            "This member is not known at this till yet; the till may need to sync.",
        )
    if row.deleted_seq is not None:
        raise LoyaltyError("deleted_member", "Member deleted", "This membership was deleted.")
    return _member(row._mapping)


def _member_by_openid(conn: Connection, openid: str) -> Member | None:
    row = conn.execute(select(MEMBERS).where(MEMBERS.c.openid == openid)).first()
    if row is None or row.deleted_seq is not None:
        return None
    return _member(row._mapping)


def _payer_openid(conn: Connection, payment_ids: Sequence[str]) -> str | None:
    """The wallet payer of the sale's first paid wallet tender (the member key)."""
    if not payment_ids:
        return None
    openid: str | None = conn.execute(
        select(PAYMENT_ORDERS.c.openid)
        .where(
            PAYMENT_ORDERS.c.out_trade_no.in_(payment_ids),
            PAYMENT_ORDERS.c.outcome == "paid",
            PAYMENT_ORDERS.c.openid != "",
        )
        .order_by(PAYMENT_ORDERS.c.started_seq)
        .limit(1)
    ).scalar()
    return openid


def _check_unused(conn: Connection, coupon_id: str) -> None:
    if conn.execute(
        select(COUPONS.c.voided_seq).where(
            COUPONS.c.coupon_id == coupon_id, COUPONS.c.voided_seq.is_not(None)
        )
    ).first():
        raise LoyaltyError("voided", "Coupon void", "This coupon was cancelled by a refund.")
    used = conn.execute(
        select(REDEMPTIONS.c.sale_id).where(
            REDEMPTIONS.c.coupon_id == coupon_id, REDEMPTIONS.c.restored_seq.is_(None)
        )
    ).first()
    if used is not None:
        raise LoyaltyError("already_used", "Coupon used", "This coupon has already been used.")


def _check_lease(conn: Connection, coupon_id: str) -> None:
    leased = conn.execute(
        select(LEASED_COUPONS.c.coupon_id).where(LEASED_COUPONS.c.coupon_id == coupon_id)
    ).first()
    if leased is None:
        raise LoyaltyError(
            "no_lease",
            "Not leased to this till",
            "This coupon can be taken only at the till the cloud leased it to, so that it "
            "is never used twice; ask the chain to lease it here.",
        )


def _coupon_of(claims: CouponClaims) -> Coupon:
    return Coupon(
        claims.coupon_id,
        claims.campaign_id,
        claims.member_no,
        claims.store_id,
        claims.valid_from,
        claims.valid_until,
        claims.giver,
    )
