"""What the paper says in each language, and how times and tax rates are written on it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from pos.ledger.chain import parse_ts

_WORDS = {
    "zh-CN": {
        "receipt": "小票号",
        "cashier": "收银员",
        "subtotal": "小计",
        "discount": "优惠",
        "total": "合计",
        "tax": "含税",
        "cash": "现金",
        "change": "找零",
        "items": "件数",
        "copy": "重印 COPY",
        "returns": "退换货请出示此码",
        "thanks": "谢谢惠顾，欢迎再次光临",
        "wechat": "微信支付",
        "return_title": "退货单",
        "original": "原小票",
        "manager": "授权店长",
        "refund_total": "退款合计",
        "in_cash": "以现金退回",
        "points": "积分抵扣",
        "savings": "优惠明细",
        "welcome": "欢迎成为会员",
        "member_no": "会员号",
        "tier": "会员等级",
        "phone": "手机",
        "points_earned": "本次积分",
        "points_redeemed": "使用积分",
        "points_balance": "积分余额",
        "member_card": "会员卡 结账时出示此码",
        "coupon": "优惠券",
        "valid_until": "有效期至",
        "for_friend": "赠送好友",
        "use_coupon": "结账时出示此码使用",
    },
    "en": {
        "receipt": "Receipt",
        "cashier": "Cashier",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "total": "TOTAL",
        "tax": "incl. VAT",
        "cash": "Cash",
        "change": "Change",
        "items": "Items",
        "copy": "COPY",
        "returns": "Show this code for returns",
        "thanks": "Thank you, come again",
        "wechat": "WeChat Pay",
        "return_title": "RETURN",
        "original": "Original receipt",
        "manager": "Approved by",
        "refund_total": "REFUND",
        "in_cash": "paid in cash",
        "points": "Points",
        "savings": "You saved",
        "welcome": "Welcome, new member",
        "member_no": "Member no.",
        "tier": "Tier",
        "phone": "Phone",
        "points_earned": "Points earned",
        "points_redeemed": "Points used",
        "points_balance": "Points balance",
        "member_card": "Member card: show it at checkout",
        "coupon": "Coupon",
        "valid_until": "Valid until",
        "for_friend": "Give to a friend",
        "use_coupon": "Show this code at checkout",
    },
}


def words(lang: str) -> Mapping[str, str]:
    """The receipt's words in `lang`; any language but Chinese gets English."""
    return _WORDS["zh-CN" if lang == "zh-CN" else "en"]


def local_time(ts: str, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A journal timestamp (UTC) as the store's wall-clock time; empty stays empty."""
    return parse_ts(ts).astimezone(zone).strftime(pattern) if ts else ""


def format_rate(rate_bp: int) -> str:
    """1300 -> "13%", 650 -> "6.5%", 0 -> "0%" (basis points, no float)."""
    whole, fraction = divmod(rate_bp, 100)
    return f"{whole}.{fraction:02d}".rstrip("0").rstrip(".") + "%"
