"""The checkout use case: the one way a sale is built and committed.

The TUI, `pos simulate`, the benchmarks and the tests all sell through `Checkout`.
Changing the cart is pure and fast (no I/O), so a UI can call it on its event loop;
`pay_cash` and `save_draft` write the ledger and belong in a worker.

A sale commits in one transaction: the sale.completed event with its projections, its
receipt's print job, and the removal of the sale-in-progress draft. A crash before
COMMIT leaves the draft (the cart comes back on restart); after COMMIT the sale exists
exactly once, with its receipt queued, and no draft can resurrect it.

A sale can also be put aside (`suspend`) to serve the next customer and continued later
(`resume`), by any cashier of the till and across restarts: a suspended sale is a draft
of kind "suspended" in the same table, and suspending or resuming only changes its kind,
so a sale is never in two places at once.

A member (a code they show, their phone, or their wallet when they pay) and the coupons
they bring price the sale through pos.loyalty: `totals()` is the cart after their tier's
discount and the best coupons, and the sale commits with what it did for them.

A sale can be paid in parts (split tender): `split` sets what the next payment covers,
and each part taken (cash, or a wallet payment already charged) is kept with the draft
until the last part commits the sale with all of them. Once a part is taken the goods
are fixed: changing them would change what was already paid for.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from pos.domain.cart import Cart, CartLine, CartTotals
from pos.domain.catalog import Catalog, CatalogItem
from pos.domain.coupons import Applied, Context
from pos.domain.errors import DomainError
from pos.domain.members import POINTS_TENDER, Member
from pos.domain.money import format_amount
from pos.domain.offers import NO_OFFERS, Offers, price_offers
from pos.domain.sale import SaleRecord, TenderError, TenderLine, cash_tender, fields_of, record_sale
from pos.domain.scan import (
    CouponCode,
    EmbeddedCode,
    MemberCode,
    ProductCode,
    ReceiptCode,
    Rejected,
    ScanRules,
    WalletCode,
    classify,
    parse_entry,
)
from pos.errors import PosError
from pos.ledger.chain import format_ts
from pos.ledger.database import Clock, Ledger, Writer
from pos.ledger.queries import next_receipt_seq
from pos.ledger.rows import driver
from pos.ledger.tables import DRAFTS
from pos.loyalty import HeldCoupon, Loyalty, LoyaltyError
from pos.print_queue import enqueue
from pos.scan_outcomes import (
    Added,
    CouponPresented,
    MemberPresented,
    ReceiptRequested,
    Refused,
    ScanOutcome,
    WalletPresented,
)

DEFAULT_RULES = ScanRules()
_LOCKED = "Part of the sale is paid: finish paying, or clear the sale to change the goods."
_CURRENT = "current"
_SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class SuspendedSale:
    """A sale put aside, as the list to resume one from shows it."""

    draft_id: str
    staff_no: str
    """Who suspended it."""
    created: str
    """When it was suspended (UTC, ISO 8601 with milliseconds and Z)."""
    item_count: int
    total: int
    """What the customer will pay, in fen."""


@dataclass(frozen=True, slots=True)
class Till:
    """Who and where is selling: constant for a signed-in session.

    `shift_id` is the cashier's open shift (pos.shifts), written into every sale; build
    the Checkout once the shift is open.
    """

    device_id: str
    receipt_prefix: str
    cashier: str
    shift_id: str | None = None


class Checkout:
    """The sale in progress for one signed-in cashier, and committing it."""

    def __init__(
        self,
        ledger: Ledger,
        catalog: Catalog,
        till: Till,
        rules: ScanRules = DEFAULT_RULES,
        *,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        clock: Clock | None = None,
        print_receipts: bool = True,
        loyalty: Loyalty | None = None,
    ) -> None:
        """`print_receipts=False` queues no receipts (`pos simulate`'s invented sales
        must not come out of the printer at the next start); without `loyalty` the till
        has no members or coupons."""
        self.ledger = ledger
        self.loyalty = loyalty
        self.member: Member | None = None
        """The member the sale is for, once found."""
        self.coupons: list[HeldCoupon] = []
        """Coupons scanned into the sale."""
        self.member_coupons: list[HeldCoupon] = []
        """The member's own coupons, considered automatically."""
        self.offers: Offers = NO_OFFERS
        """How the sale was last priced (tier discount and coupons), by `totals()`."""
        self.print_receipts = print_receipts
        self.clock = clock or ledger.clock
        self.catalog = catalog
        self.till = till
        self.rules = rules
        self._new_id = new_id
        self.cart = Cart()
        self.draft_id = new_id()
        self.tenders: list[TenderLine] = []
        """Parts of a split-tender sale already paid (kept with the draft)."""
        self.part: int | None = None
        """What the next payment covers, when the cashier is splitting the sale."""
        # Held while a sale commits and the next cart replaces it, and while a draft is
        # saved, so a late draft save can never write back a cart that was just sold.
        self._draft_lock = threading.Lock()
        self._voided: list[dict[str, Any]] = []
        """Lines taken off the sale, journaled (line.voided) by the next write."""

    # -- building the sale (pure, no I/O) -------------------------------------------

    def scan(self, text: str, quantity: int = 1) -> ScanOutcome:
        """Classify a scan and act on it; a refusal changes nothing."""
        scan = classify(text, self.rules)
        if isinstance(scan, Rejected):
            return Refused(scan.reason, "Not a code this till reads", scan.message)
        if isinstance(scan, WalletCode):
            if self.cart.is_empty:
                return Refused(
                    "nothing_to_pay", "Nothing to pay", "Scan the goods before the payment code."
                )
            return WalletPresented(scan.code, scan.provider)
        if isinstance(scan, ReceiptCode):
            return ReceiptRequested(scan.receipt_no)
        if isinstance(scan, MemberCode | CouponCode):
            if self.loyalty is None:
                return Refused("no_members", "No members here", "This till has no member program.")
            if self.tenders:
                return Refused("payment_started", "Payment started", _LOCKED)
            if isinstance(scan, MemberCode):
                return MemberPresented(scan.code)
            return CouponPresented(scan.code)
        if self.tenders:
            return Refused("payment_started", "Payment started", _LOCKED)
        if isinstance(scan, EmbeddedCode):
            return self._add_embedded(scan)
        return self._add_product(scan, quantity)

    def enter(self, text: str) -> ScanOutcome:
        """Typed entry: a code or SKU, optionally with a quantity (`3*6901234567892`)."""
        try:
            quantity, code = parse_entry(text)
        except DomainError as error:
            return Refused("bad_quantity", error.title, error.message)
        return self.scan(code, quantity)

    def _add_product(self, scan: ProductCode, quantity: int) -> ScanOutcome:
        if scan.symbology == "sku":
            item = self.catalog.by_sku(scan.code)
        else:
            item = self.catalog.by_barcode(scan.code)
        if item is None:
            return Refused(
                "unknown_product", "Unknown product", f"{scan.code} is not in the catalog."
            )
        if item.weighed:
            return Refused(
                "needs_weight",
                "Weigh this item",
                f"{item.name_en or item.name_zh} is sold by weight: scan the scale's label.",
            )
        return self._add(item, quantity)

    def _add_embedded(self, scan: EmbeddedCode) -> ScanOutcome:
        item = self.catalog.by_plu(scan.plu)
        if item is None:
            return Refused(
                "unknown_plu", "Unknown scale item", f"PLU {scan.plu} is not in the catalog."
            )
        try:
            line = self.cart.add(item, weight_g=scan.weight_g, embedded_price=scan.price)
        except DomainError as error:
            return Refused("cart", error.title, error.message)
        return Added(line, item)

    def _add(self, item: CatalogItem, quantity: int) -> ScanOutcome:
        try:
            line = self.cart.add(item, quantity)
        except DomainError as error:
            return Refused("cart", error.title, error.message)
        return Added(line, item)

    # -- members and coupons ------------------------------------------------------------

    def totals(self) -> CartTotals:
        """The sale's amounts after the member's tier discount and the best coupons (pure:
        the member and coupons were read from the ledger when they were presented)."""
        base = self.cart.totals()
        if self.loyalty is None or (self.member is None and not self.coupons):
            self.offers = NO_OFFERS
            return base
        program = self.loyalty.rules.program
        member = self.member
        self.offers = price_offers(
            self.cart,
            base,
            program.tier(member.lifetime_points) if member else None,
            [held.candidate for held in (*self.member_coupons, *self.coupons)],
            Context(
                int(self.clock().timestamp()),
                self.loyalty.rules.store_id,
                member.member_no if member else None,
            ),
        )
        return self.cart.totals(self.offers.by_line) if self.offers.by_line else base

    def present_member(self, code: str) -> Member:
        """Put the member a shown code names on the sale (blocking: reads the ledger)."""
        return self.set_member(self._loyalty().member_from_code(code).member_no)

    def set_member(self, member_no: str) -> Member:
        """Put a member on the sale, with their coupons (blocking: reads the ledger)."""
        self.check_changeable()
        loyalty = self._loyalty()
        member = loyalty.member(member_no)
        self.member_coupons = loyalty.coupons_of(member.member_no)
        self.member = member
        return member

    def refresh_member(self) -> Member | None:
        """Read the sale's member again after a manager changed them (blocking); a
        deleted membership leaves the sale, with its coupons."""
        if self.member is None:
            return None
        try:
            return self.set_member(self.member.member_no)
        except LoyaltyError as error:
            if error.reason != "deleted_member":
                raise
        self.member = None
        self.member_coupons = []
        return None

    def present_coupon(self, code: str) -> HeldCoupon:
        """Add a scanned coupon to the sale (blocking: reads the ledger); the best
        combination is chosen on every change, so it may end up not used, with a reason."""
        self.check_changeable()
        held = self._loyalty().coupon_from_code(code)
        known = {c.coupon_id for c in (*self.coupons, *self.member_coupons)}
        if held.coupon_id in known:
            raise LoyaltyError(
                "duplicate", "Already on the sale", "This coupon is already on the sale."
            )
        self.coupons.append(held)
        return held

    def _loyalty(self) -> Loyalty:
        if self.loyalty is None:
            raise PosError("No members here", "This till has no member program.")
        return self.loyalty

    def _applied(self) -> list[tuple[Applied, HeldCoupon]]:
        held = {c.coupon_id: c for c in (*self.member_coupons, *self.coupons)}
        return [(applied, held[applied.coupon.coupon_id]) for applied in self.offers.choice.applied]

    # -- split tender (pure) ------------------------------------------------------------

    def amount_due(self) -> int:
        """What is left to pay: the total less the parts already taken."""
        return self.totals().total - sum(tender.amount for tender in self.tenders)

    def next_amount(self) -> int:
        """What the next payment covers: the part being split off, or all that is due."""
        due = self.amount_due()
        return self.part if self.part is not None and self.part < due else due

    def split(self, amount: int) -> None:
        """Let the next payment (any tender) cover only `amount` of what is due."""
        due = self.amount_due()
        if not 0 < amount < due:
            raise TenderError(
                "Not a part of the sale",
                f"A part payment is more than 0.00 and less than the {format_amount(due)} due.",
            )
        self.part = amount

    def check_changeable(self) -> None:
        """Raise if the goods are fixed because a part of the sale is paid."""
        if self.tenders:
            raise TenderError("Payment started", _LOCKED)

    # -- committing (blocking: call from a worker) ------------------------------------

    def pay_cash(self, tendered: int | None = None) -> SaleRecord:
        """Take cash for all that is left to pay (None: the exact amount) and commit."""
        totals = self.totals()  # once: commit takes them rather than recompute
        due = totals.total - sum(tender.amount for tender in self.tenders)
        return self.commit((cash_tender(self._new_id(), due, tendered),), totals)

    def tender_cash(self, tendered: int | None = None) -> SaleRecord | None:
        """Take cash for the next amount (None: exactly that): the committed sale when it
        was the last part, None when a part was taken and more is due."""
        amount = self.next_amount()
        tender = cash_tender(self._new_id(), amount, tendered)
        if amount < self.amount_due():
            self.take_part(tender)
            return None
        return self.commit((tender,))

    def tender_points(self, amount: int | None = None) -> SaleRecord | None:
        """Pay the next amount (or less) with the member's points, like tender_cash."""
        loyalty = self._loyalty()
        if self.member is None:
            raise TenderError("No member", "Find the member before paying with points.")
        due = self.next_amount()
        amount = due if amount is None else amount
        program = loyalty.rules.program
        spent = sum(t.amount for t in self.tenders if t.tender == POINTS_TENDER)
        needed = program.points_for(spent + amount)
        if not 0 < amount <= due:
            raise TenderError(
                "Not a part of the sale",
                f"Points pay more than 0.00 and at most the {format_amount(due)} due.",
            )
        if needed > self.member.points:
            raise TenderError(
                "Not enough points",
                f"The member has {self.member.points} points; "
                f"{format_amount(amount)} needs {program.points_for(amount)}.",
            )
        tender = TenderLine(self._new_id(), POINTS_TENDER, amount, amount, 0)
        if amount < self.amount_due():
            self.take_part(tender)
            return None
        return self.commit((tender,))

    def take_part(
        self, tender: TenderLine, *, with_part: Callable[[Writer], None] | None = None
    ) -> None:
        """Keep a paid part with the draft; `with_part` journals in the same transaction
        (a wallet part's resolution), so a crash cannot separate the two."""
        self._set_parts([*self.tenders, tender], with_part)

    def drop_part(
        self, payment_id: str, *, with_part: Callable[[Writer], None] | None = None
    ) -> None:
        """Forget a part that was given back (`with_part` journals how, atomically)."""
        self._set_parts([t for t in self.tenders if t.payment_id != payment_id], with_part)

    def _set_parts(
        self, tenders: list[TenderLine], with_part: Callable[[Writer], None] | None
    ) -> None:
        with self._draft_lock:
            with self.ledger.transaction() as writer:
                if with_part is not None:
                    with_part(writer)
                self._write_draft(writer, tenders)
            self.tenders = tenders
            self.part = None

    def commit(
        self,
        payments: tuple[TenderLine, ...],
        totals: CartTotals | None = None,
        *,
        with_sale: Callable[[Writer], None] | None = None,
    ) -> SaleRecord:
        """Journal the sale with its tenders, atomically; raise and change nothing on failure.

        `with_sale` journals what must commit with the sale or not at all (a wallet
        payment's resolution), in the same transaction.
        """
        totals = totals or self.totals()
        with self._draft_lock:
            with self.ledger.transaction() as writer:
                receipt_seq = next_receipt_seq(writer.conn)
                record = record_sale(
                    self.cart,
                    sale_id=self._new_id(),
                    receipt_seq=receipt_seq,
                    receipt_no=f"{self.till.receipt_prefix}{receipt_seq:06d}",
                    cashier=self.till.cashier,
                    shift_id=self.till.shift_id,
                    payments=(*self.tenders, *payments),
                    totals=totals,
                    promotions=self.offers.promotions,
                )
                now = self.clock()
                if with_sale is not None:
                    with_sale(writer)
                voided = self._journal_voids(writer)
                if self.loyalty is None:
                    writer.append("sale.completed", record.to_payload(), at=now)
                else:
                    record = self.loyalty.journal_sale(
                        writer, record, member=self.member, applied=self._applied(), at=now
                    )
                if self.print_receipts:
                    enqueue(writer.conn, record.receipt_no, now)
                driver(writer.conn).execute(
                    "DELETE FROM drafts WHERE draft_id = ?", (self.draft_id,)
                )
            del self._voided[:voided]
            self._new_sale()
        return replace(record, ts=format_ts(now), device_id=self.ledger.device_id)

    # -- the sale in progress survives a crash -----------------------------------------

    def save_draft(self) -> None:
        """Keep the cart so a crash or restart brings it back (an empty cart clears it)."""
        with self._draft_lock:
            with self.ledger.transaction() as writer:
                voided = self._journal_voids(writer)
                if self.cart.is_empty:
                    writer.conn.execute(delete(DRAFTS).where(DRAFTS.c.draft_id == self.draft_id))
                else:
                    self._write_draft(writer, self.tenders)
            del self._voided[:voided]

    def void_line(self, line_id: int) -> None:
        """Take a line off the sale (no I/O); the next write journals it as line.voided
        with the cashier, so reports can list every line rung up and taken off."""
        line = self.cart.line(line_id)
        self.cart.remove(line_id)
        self._voided.append(self._void_of(line, "removed"))

    def _void_of(self, line: CartLine, reason: str) -> dict[str, Any]:
        item = line.item
        return {
            "draft_id": self.draft_id,
            "sku": item.sku,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "quantity": line.quantity,
            "weight_g": line.weight_g,
            "amount": line.gross,
            "staff_no": self.till.cashier,
            "reason": reason,
        }

    def _journal_voids(self, writer: Writer) -> int:
        """Journal the voided lines waiting; how many (dropped once the write commits)."""
        voided = list(self._voided)
        for void in voided:
            writer.append("line.voided", void)
        return len(voided)

    def _write_draft(self, writer: Writer, tenders: list[TenderLine]) -> None:
        now = format_ts(self.ledger.clock())
        values = {
            **self._sale_state(),
            "tenders": json.dumps([fields_of(tender) for tender in tenders]),
            "updated": now,
        }
        changed = writer.conn.execute(
            update(DRAFTS).where(DRAFTS.c.draft_id == self.draft_id).values(**values)
        ).rowcount
        if not changed:
            writer.conn.execute(
                insert(DRAFTS),
                {
                    "draft_id": self.draft_id,
                    "kind": _CURRENT,
                    "staff_no": self.till.cashier,
                    "created": now,
                    **values,
                },
            )

    def _sale_state(self) -> dict[str, str | None]:
        """What a draft keeps of the sale besides its payments."""
        return {
            "cart": json.dumps(self.cart.to_dict(), ensure_ascii=False),
            "member_no": self.member.member_no if self.member else None,
            "coupons": json.dumps([held.code for held in self.coupons]),
        }

    def _restore_loyalty(self, member_no: str | None, coupons: str) -> None:
        """Bring back a draft's member and coupons, checked again: a member deleted or a
        coupon used elsewhere meanwhile is dropped rather than blocking the sale."""
        self.member, self.member_coupons, self.coupons = None, [], []
        if self.loyalty is None:
            return
        if member_no is not None:
            try:
                self.member = self.loyalty.member(member_no)
                self.member_coupons = self.loyalty.coupons_of(member_no)
            except PosError:
                self.member = None
        for code in json.loads(coupons):
            held = self.loyalty.restore_coupon(code)
            if held is not None:
                self.coupons.append(held)

    def restore_draft(self) -> bool:
        """Bring back this cashier's unfinished sale, if there is one."""
        with self.ledger.read() as conn:
            row = conn.execute(
                select(
                    DRAFTS.c.draft_id,
                    DRAFTS.c.cart,
                    DRAFTS.c.tenders,
                    DRAFTS.c.member_no,
                    DRAFTS.c.coupons,
                )
                .where(DRAFTS.c.kind == _CURRENT, DRAFTS.c.staff_no == self.till.cashier)
                .order_by(DRAFTS.c.updated.desc())
                .limit(1)
            ).first()
        if row is None:
            return False
        self.cart = self._load_cart(row.cart)
        self.draft_id = row.draft_id
        self.tenders = [TenderLine(**tender) for tender in json.loads(row.tenders)]
        self._restore_loyalty(row.member_no, row.coupons)
        return True

    def clear(self) -> None:
        """Empty the sale and drop its draft (the UI asks for confirmation first).

        The draft goes first: if the ledger cannot be written, the cart stays as it was.
        The cart is emptied in place, so its line ids are not reused (see Cart). Wallet
        parts already paid must be given back first (pos.payments.wallet_tender); cash
        parts go back from the drawer, which the UI tells the cashier.
        """
        with self._draft_lock:
            if any(tender.tender not in ("cash", POINTS_TENDER) for tender in self.tenders):
                raise TenderError(
                    "Payments taken", "Give the wallet payments back before clearing the sale."
                )
            self._voided += [self._void_of(line, "cleared") for line in self.cart.lines]
            with self.ledger.transaction() as writer:
                voided = self._journal_voids(writer)
                writer.conn.execute(delete(DRAFTS).where(DRAFTS.c.draft_id == self.draft_id))
            del self._voided[:voided]
            self.cart.clear()
            self._forget_customer()

    # -- suspended sales (blocking: call from a worker) ----------------------------------

    def suspend(self) -> str:
        """Put the sale aside as a suspended draft, start an empty one; return its draft id.

        Under the draft lock, so a save_draft running in another worker can neither write
        the suspended cart back as the current sale nor delete the suspended draft.
        """
        with self._draft_lock:
            if self.cart.is_empty:
                raise PosError("Nothing to suspend", "The sale has no items to put aside.")
            if self.tenders:
                raise TenderError("Payment started", "Finish or clear a part-paid sale first.")
            now = format_ts(self.clock())
            values = {
                "kind": _SUSPENDED,
                "staff_no": self.till.cashier,
                "created": now,
                "updated": now,
                **self._sale_state(),
            }
            with self.ledger.transaction() as writer:
                writer.conn.execute(
                    sqlite_insert(DRAFTS)
                    .values(draft_id=self.draft_id, **values)
                    .on_conflict_do_update(index_elements=[DRAFTS.c.draft_id], set_=values)
                )
            suspended = self.draft_id
            self._new_sale()
        return suspended

    def suspended(self) -> list[SuspendedSale]:
        """Every suspended sale of this till, whoever suspended it, newest first."""
        with self.ledger.read() as conn:
            rows = conn.execute(
                select(DRAFTS.c.draft_id, DRAFTS.c.staff_no, DRAFTS.c.created, DRAFTS.c.cart)
                .where(DRAFTS.c.kind == _SUSPENDED)
                .order_by(DRAFTS.c.created.desc(), DRAFTS.c.draft_id.desc())
            ).all()
        sales = []
        for row in rows:
            totals = self._load_cart(row.cart).totals()
            sales.append(
                SuspendedSale(
                    row.draft_id, row.staff_no, row.created, totals.item_count, totals.total
                )
            )
        return sales

    def resume(self, draft_id: str) -> None:
        """Continue a suspended sale as this cashier's current one, keeping its draft id.

        Only from an empty cart, so no sale is dropped to make room. The draft turns
        "current" in one transaction that also removes the empty sale's stale draft, if
        any; a restart then restores the resumed sale like any sale in progress.
        """
        with self._draft_lock:
            if not self.cart.is_empty:
                raise PosError("Sale in progress", "Finish or suspend the current sale first.")
            with self.ledger.transaction() as writer:
                row = writer.conn.execute(
                    select(DRAFTS.c.cart, DRAFTS.c.member_no, DRAFTS.c.coupons).where(
                        DRAFTS.c.draft_id == draft_id, DRAFTS.c.kind == _SUSPENDED
                    )
                ).first()
                if row is None:
                    raise PosError(
                        "No such suspended sale",
                        f"There is no suspended sale {draft_id}; it may have been resumed.",
                    )
                cart = self._load_cart(row.cart)
                writer.conn.execute(
                    delete(DRAFTS).where(
                        DRAFTS.c.draft_id == self.draft_id, DRAFTS.c.kind == _CURRENT
                    )
                )
                writer.conn.execute(
                    update(DRAFTS)
                    .where(DRAFTS.c.draft_id == draft_id)
                    .values(
                        kind=_CURRENT,
                        staff_no=self.till.cashier,
                        updated=format_ts(self.clock()),
                    )
                )
            self.cart = cart
            self.draft_id = draft_id
            self._restore_loyalty(row.member_no, row.coupons)

    def _new_sale(self) -> None:
        self.cart = Cart()
        self.draft_id = self._new_id()
        self._forget_customer()

    def _forget_customer(self) -> None:
        self.tenders = []
        self.part = None
        self.member = None
        self.member_coupons = []
        self.coupons = []
        self.offers = NO_OFFERS

    def _load_cart(self, text: str) -> Cart:
        return Cart.from_dict(json.loads(text), self.catalog.by_sku)
