"""Sales to print and an independent ESC/POS byte walker for the receipt tests.

The walker knows only the documented bytes of the commands a receipt uses (the table in
shared/reference/devices.md) and fails on anything else, so a stray control byte in a
job shows up as a failure rather than as a quietly wrong receipt.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

import numpy as np
import zxingcpp
from PIL import Image

from pos.domain.codes import CouponClaims, MemberClaims, coupon_payload, encode_code, member_payload
from pos.domain.members import POINTS_TENDER
from pos.domain.money import tax_included
from pos.domain.offers import Promotion
from pos.domain.sale import IssuedCoupon, SaleMember, SaleRecord, SoldLine, TaxLine, TenderLine
from receipts.sale_receipt import StoreHeader

STORE = StoreHeader("演示便利店 Demo Mart", "上海市静安区南京西路 1 号", "91310000MA1DEMO00X")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sold(
    no: int,
    name_zh: str,
    name_en: str,
    unit_price: int,
    *,
    quantity: int = 1,
    weight_g: int | None = None,
    discount: int = 0,
    rate_bp: int = 1300,
) -> SoldLine:
    gross = unit_price * quantity if weight_g is None else (unit_price * weight_g + 500) // 1000
    return SoldLine(
        no, str(1000 + no), None, name_zh, name_en, "c", quantity, weight_g, unit_price,
        gross, discount, gross - discount, rate_bp,
    )  # fmt: skip


def sale_of(*lines: SoldLine, cash: int = 10000, receipt_no: str = "T01-000123") -> SaleRecord:
    """A cash sale of `lines` whose totals, tax groups and change add up."""
    nets: dict[int, int] = {}
    for line in lines:
        nets[line.tax_rate_bp] = nets.get(line.tax_rate_bp, 0) + line.net
    total = sum(nets.values())
    taxes = tuple(TaxLine(rate, net, tax_included(net, rate)) for rate, net in sorted(nets.items()))
    return SaleRecord(
        sale_id="s1", receipt_seq=123, receipt_no=receipt_no, cashier="101", shift_id=None,
        lines=lines, item_count=sum(line.quantity for line in lines),
        subtotal=sum(line.gross for line in lines),
        discount_total=sum(line.discount for line in lines), total=total,
        taxes=taxes,
        payments=(TenderLine("p1", "cash", total, cash, cash - total),),
        change=cash - total, ts="2026-11-23T01:15:00.000Z", device_id="T01",
    )  # fmt: skip


MIXED_SALE = sale_of(
    sold(1, "农夫山泉饮用天然水 550ml", "Nongfu Spring Natural Water 550ml", 200, quantity=3),
    sold(2, "", "Master Kong Shrimp & Fish Cake Noodles, Cup", 450),
    sold(3, "红富士苹果", "Fuji Apples", 1200, weight_g=1234, rate_bp=900),
    sold(4, "奥利奥原味夹心饼干 97g", "Oreo Original Sandwich Cookies 97g", 650, discount=100),
)
"""Chinese and English-only names, several units, a weighed line, a discount, two rates."""


def _signed(kind: str, payload: dict[str, object]) -> str:
    """A code as the till signs it, the signature all zeros (nothing here verifies it)."""
    return encode_code(kind, "till-T01", payload, lambda _: bytes(64))  # type: ignore[arg-type]


MEMBER_NO = "T01M000042"
CARD_CODE = _signed("member", member_payload(MemberClaims(MEMBER_NO, None)))
WELCOME_CODE = _signed(
    "coupon",
    coupon_payload(
        CouponClaims("3f9a1c2e7b5d4a60", "welcome", MEMBER_NO, "", 1795396500, 1798127999, None)
    ),
)
GIFT_CODE = _signed(
    "coupon",
    coupon_payload(
        CouponClaims("8c0d2b4f6e1a3957", "referral", None, "", 1795396500, 1798127999, MEMBER_NO)
    ),
)


def member_sale(*, enrolled: bool = True) -> SaleRecord:
    """A member's sale: tier discount and a coupon used, part paid in points, the rest in
    cash, two coupons issued (a welcome one and a referral gift for a friend)."""
    # 27.31 less 10% for the tier (2.73), then 10.00 for the coupon, shared by the lines.
    lines = (
        sold(1, "农夫山泉饮用天然水 550ml", "Nongfu Spring Natural Water 550ml", 200,
             quantity=3, discount=60 + 220),
        sold(2, "奥利奥原味夹心饼干 97g", "Oreo Original Sandwich Cookies 97g", 650,
             discount=65 + 238),
        sold(3, "红富士苹果", "Fuji Apples", 1200, weight_g=1234, rate_bp=900,
             discount=148 + 542),
    )  # fmt: skip
    record = sale_of(*lines)
    points, cash = 500, record.total - 500
    return replace(
        record,
        promotions=(
            Promotion("tier", "银卡会员折扣", "Silver member discount", 273),
            Promotion("coupon", "新客满20减10", "10.00 off your first 20.00", 1000, "c0", "w"),
        ),
        payments=(
            TenderLine("p0", POINTS_TENDER, points, points, 0),
            TenderLine("p1", "cash", cash, 2000, 2000 - cash),
        ),
        change=2000 - cash,
        member=SaleMember(
            member_no=MEMBER_NO,
            tier_zh="银卡",
            tier_en="Silver",
            phone_masked="138****5678",
            enrolled=enrolled,
            points_earned=9,
            points_redeemed=50,
            points_balance=1209,
            card_code=CARD_CODE,
        ),
        coupons_issued=(
            IssuedCoupon(
                "3f9a1c2e7b5d4a60", "welcome", "新人专享 满50减10", "Welcome: 10 off 50",
                "10.00 off on 50.00+", "welcome", "2026-12-31", WELCOME_CODE,
            ),
            IssuedCoupon(
                "8c0d2b4f6e1a3957", "referral", "好友礼券 满30减8", "Friend gift: 8 off 30",
                "8.00 off on 30.00+", "referral", "2026-12-31", GIFT_CODE, for_friend=True,
            ),
        ),
    )  # fmt: skip


# -- an independent ESC/POS walker ----------------------------------------------------

_FIXED = {
    b"\x1b@": ("init", 0),
    b"\x1ba": ("align", 1),
    b"\x1bE": ("bold", 1),
    b"\x1b-": ("underline", 1),
    b"\x1d!": ("size", 1),
    b"\x1bd": ("feed", 1),
    b"\x1dVB": ("cut", 1),
    b"\x1bt": ("code_table", 1),
    b"\x1c&": ("chinese_on", 0),
    b"\x1c.": ("chinese_off", 0),
    b"\x1c!": ("chinese_size", 1),
    b"\x1c-": ("chinese_underline", 1),
    b"\x1dH": ("barcode_hri", 1),
    b"\x1dh": ("barcode_height", 1),
    b"\x1dw": ("barcode_width", 1),
    b"\x1bp": ("drawer", 3),
    b"\x10\x04": ("status", 1),
}
"""Command bytes -> name and how many parameter bytes follow."""


@dataclass
class Job:
    """A job walked: every command with its parameters, and the text lines printed."""

    commands: list[tuple[str, bytes]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def named(self, name: str) -> list[bytes]:
        return [parameters for command, parameters in self.commands if command == name]


def walk(data: bytes) -> Job:
    """Every command of `data` and the lines it prints (GB18030 inside FS & ... FS .)."""
    job = Job()
    text, chunk, chinese, at = "", b"", False, 0
    while at < len(data):
        if data[at] >= 0x20:  # no byte of a GB18030 two-byte code is below 0x40
            chunk += data[at : at + 1]
            at += 1
            continue
        text += chunk.decode("gb18030" if chinese else "ascii")
        chunk = b""
        if data[at] == 0x0A:
            job.commands.append(("line", b""))
            job.lines.append(text)
            text, at = "", at + 1
            continue
        name, parameters, at = _command(data, at)
        if name in ("chinese_on", "chinese_off"):
            assert not (chinese and name == "chinese_on"), f"Chinese mode on twice, before {at}"
            chinese = name == "chinese_on"
        job.commands.append((name, parameters))
    assert not text, "the job ends in the middle of a line"
    assert not chunk, "the job ends in the middle of a line"
    assert not chinese, "the job ends in Chinese mode"
    return job


def _command(data: bytes, at: int) -> tuple[str, bytes, int]:
    for prefix, (name, count) in _FIXED.items():
        if data.startswith(prefix, at):
            start = at + len(prefix)
            return name, data[start : start + count], start + count
    if data.startswith(b"\x1d(k", at):
        size = data[at + 3] + 256 * data[at + 4]
        return "qr", data[at + 5 : at + 5 + size], at + 5 + size
    if data.startswith(b"\x1dk", at):
        symbology, size = data[at + 2], data[at + 3]
        assert symbology >= 65, "only format B barcodes are expected"
        return "barcode", data[at + 2 : at + 4 + size], at + 4 + size
    if data.startswith(b"\x1dv0", at):
        x_bytes = data[at + 4] + 256 * data[at + 5]
        rows = data[at + 6] + 256 * data[at + 7]
        end = at + 8 + x_bytes * rows
        return "raster", data[at + 3 : end], end
    raise AssertionError(f"unexpected control byte {data[at]:#04x} at {at}: {data[at : at + 8]!r}")


def raster_picture(job: Job) -> Image.Image:
    """The job's raster images (`GS v 0`) stacked as one picture, set bits black."""
    bands = []
    for parameters in job.named("raster"):
        mode, x_bytes, rows = parameters[0], parameters[1] + 256 * parameters[2], parameters[3]
        assert mode == 0
        rows += 256 * parameters[4]
        packed = np.frombuffer(parameters[5:], dtype=np.uint8).reshape(rows, x_bytes)
        bands.append(np.unpackbits(packed, axis=1))
    return Image.fromarray(((1 - np.vstack(bands)) * 255).astype(np.uint8))


def decoded(picture: Image.Image) -> list[tuple[str, str]]:
    """Every code zxing-cpp reads in `picture`: (format name, text)."""
    return [(result.format.name, result.text) for result in zxingcpp.read_barcodes(picture)]
