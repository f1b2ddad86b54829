"""The store's configuration: one frozen, typed settings object read from pos.toml.

Every field carries a docstring; it is the documentation of the key of the same name
(`pos config show` prints it, and docs/configuration.md is generated from it).
Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pos.domain.coupons import Campaign, CouponKind, Purpose
from pos.domain.errors import DomainError
from pos.domain.members import Program, Tier
from pos.domain.money import parse_amount
from pos.domain.scan import EmbeddedRule, ScanRules

DEMO_CHAIN_KID = "chain-demo"
DEMO_CHAIN_PUBLIC_KEY = "O8xE7e0IdmCi0JPleNJLm7zs4z5mwLcYgyuuUn7cpgE"
"""The demo chain's member-code key (cloud.member_codes), trusted by the demo store. A
literal, so reading the settings does not load the crypto library."""

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Section(BaseModel):
    """Base of every table: frozen, no unknown keys; the docstring under a key documents
    it (pos.config.describe.field_docs reads them for `pos config show`)."""

    # Not use_attribute_docstrings: pydantic would then read and parse this module's
    # source for every table on every start (about 18 ms of the till's cold start),
    # for text that only `pos config show` and the technician screen print.
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreSettings(Section):
    """[store]: who is selling."""

    id: str = Field(default="demo-store", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    """Store id in the chain (letters, digits, - and _; at most 32)."""
    name: str = Field(default="演示便利店 Demo Mart", min_length=1, max_length=64)
    """Store name printed at the top of every receipt."""
    address: str = Field(default="上海市静安区南京西路 1 号", max_length=128)
    """Street address printed on receipts."""
    tax_id: str = Field(default="91310000MA1DEMO00X", max_length=32)
    """Taxpayer id (统一社会信用代码) printed on receipts."""
    currency: Literal["CNY"] = "CNY"
    """Currency of every amount; amounts are kept in its minor unit (fen)."""
    locale: Literal["zh-CN", "en"] = "zh-CN"
    """Language of receipts and reports."""
    timezone: str = "Asia/Shanghai"
    """IANA time zone of the store: business days and receipt times are local to it."""
    day_boundary: str = "04:00"
    """Local time (HH:MM) at which one business day ends and the next begins."""

    @field_validator("day_boundary")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be a time of day as HH:MM, e.g. 04:00")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Asia/Shanghai") from None
        return value


class TillSettings(Section):
    """[till]: this device."""

    device_id: str = Field(default="T01", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    """This till's id; every journal event carries it (letters, digits, - and _)."""
    data_dir: Path | None = None
    """Where the ledger lives. Relative paths are relative to pos.toml. Default: the
    user's data directory (e.g. ~/.local/share/pos). `--data DIR` overrides it."""
    receipt_prefix: str = Field(default="T01-", pattern=r"^[A-Za-z0-9-]{0,12}$")
    """Printed before the receipt's running number (T01-000042)."""


class UiSettings(Section):
    """[ui]: the cashier's screen."""

    language: Literal["zh-CN", "en"] = "zh-CN"
    """Language of the screen; a key switches it at the till."""
    theme: str = Field(default="textual-dark", min_length=1)
    """Textual theme name."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: action name = key (e.g. pay_cash = "f12")."""
    wedge_max_gap_ms: int = Field(default=40, ge=5, le=500)
    """A burst of keys this close together ending in Enter is a scan, not typing."""
    wedge_min_length: int = Field(default=6, ge=1, le=64)
    """Shortest burst taken as a scan."""


class EmbeddedRuleSettings(Section):
    """[[scanner.embedded]]: one in-store price- or weight-embedded barcode layout."""

    prefix: str = Field(pattern=r"^\d{1,3}$")
    """Leading digits that mark the layout (e.g. "20")."""
    plu_digits: int = Field(ge=1, le=8)
    """Digits of the scale's PLU after the prefix."""
    value: Literal["price", "weight"]
    """What the next digits hold: the price in fen, or the weight in grams."""
    value_digits: int = Field(ge=1, le=8)
    """Digits of the value."""
    length: int = Field(default=13, ge=8, le=20)
    """Total length of the code."""
    check_digit: bool = True
    """Whether the last digit is a GS1 check digit to verify."""

    def rule(self) -> EmbeddedRule:
        return EmbeddedRule(
            prefix=self.prefix,
            plu_digits=self.plu_digits,
            value=self.value,
            value_digits=self.value_digits,
            length=self.length,
            check_digit=self.check_digit,
        )

    @model_validator(mode="after")
    def _fits(self) -> EmbeddedRuleSettings:
        self.rule()  # EmbeddedRule checks that the parts add up to the length
        return self


def _default_embedded() -> tuple[EmbeddedRuleSettings, ...]:
    return (
        EmbeddedRuleSettings(prefix="20", plu_digits=5, value="price", value_digits=5),
        EmbeddedRuleSettings(prefix="21", plu_digits=5, value="weight", value_digits=5),
    )


class ScannerSettings(Section):
    """[scanner]: where scans come from. The keyboard wedge always works besides it."""

    kind: Literal["wedge", "serial", "camera", "evdev", "simulator"] = "wedge"
    """wedge: a USB scanner typing like a keyboard; serial: an RS-232 or USB-CDC scanner
    at `url`; camera: a camera or recorded frames at `source`; evdev: the scanner's
    Linux input device at `device`, grabbed so its keys never reach the screen;
    simulator: scans replayed from the `script` file (the demo and soak tests)."""
    max_length: int = Field(default=256, ge=16, le=4096)
    """Longest scan accepted; longer input is refused with a reason."""
    url: str | None = None
    """Serial scanner: a pyserial URL or device path (/dev/ttyACM0, socket://host:port)."""
    baudrate: int = Field(default=9600, ge=300, le=921600)
    """Serial scanner: bits per second (USB-CDC scanners ignore it)."""
    bytesize: Literal[7, 8] = 8
    """Serial scanner: data bits."""
    parity: Literal["N", "E", "O"] = "N"
    """Serial scanner: parity, none, even or odd."""
    stopbits: Literal[1, 2] = 1
    """Serial scanner: stop bits."""
    prefix: str = Field(default="", max_length=8)
    """Serial and evdev scanners: characters the scanner sends before each code."""
    suffix: Literal["CR", "LF", "CRLF", "TAB"] = "CR"
    """Serial scanner: what ends each code."""
    source: str | None = None
    """Camera: an index (0), a device path (/dev/video0), a video file or an image
    pattern (frames/%04d.png)."""
    hold_off_ms: int = Field(default=1000, ge=50, le=60000)
    """Camera: a code still in view is reported again only after it was gone this long."""
    engines: tuple[Literal["zxing-cpp", "pyzbar"], ...] = Field(
        default=("zxing-cpp", "pyzbar"), min_length=1
    )
    """Camera and `pos devices decode`: decode engines in the order tried (pyzbar is
    used only where the system's libzbar is installed)."""
    device: Path | None = None
    """Evdev: the scanner's input device (/dev/input/by-id/...-event-kbd)."""
    grab: bool = True
    """Evdev: take the device exclusively, so its keys never reach the screen."""
    script: Path | None = None
    """Simulator: a text file, one scan a line, replayed every `interval_ms`."""
    interval_ms: int = Field(default=2000, ge=10, le=600000)
    """Simulator: the pause between replayed scans."""
    embedded: tuple[EmbeddedRuleSettings, ...] = Field(default_factory=_default_embedded)
    """In-store barcode layouts with an embedded price or weight."""

    @model_validator(mode="after")
    def _where_from(self) -> ScannerSettings:
        _require_address(
            self, {"serial": "url", "camera": "source", "evdev": "device", "simulator": "script"}
        )
        return self

    def rules(self, receipt_prefix: str = "R1:") -> ScanRules:
        return ScanRules(
            embedded=tuple(rule.rule() for rule in self.embedded),
            max_length=self.max_length,
            receipt_prefix=receipt_prefix,
        )


class PrinterSettings(Section):
    """[printer]: the receipt printer (ESC/POS)."""

    kind: Literal["simulator", "network", "serial", "usb", "file"] = "simulator"
    """simulator: a printer inside the till that writes each receipt as text and PNG to
    `out_dir`; network: TCP port 9100 at `url` (host:port); serial: a pyserial URL or
    device path at `url`; usb: the printer's device file at `path` (/dev/usb/lp0);
    file: jobs appended to `path`."""
    url: str | None = None
    """network: host or host:port (port 9100 if omitted); serial: a pyserial URL or path."""
    path: Path | None = None
    """usb: the printer device file; file: the file jobs are appended to."""
    out_dir: Path | None = None
    """simulator: where receipts are written. Default: the receipts folder of the data
    directory."""
    width_mm: Literal[58, 80] = 80
    """Paper width: 58 mm (32 columns) or 80 mm (48 columns)."""
    logo: Path | None = None
    """A picture (PNG, JPEG, ...) printed at the top of every receipt, scaled to the
    paper and dithered to black and white."""
    native_qr: bool = True
    """The printer draws QR codes itself (GS ( k); false sends them as raster images."""
    chinese: bool = True
    """The printer has a Chinese font: Chinese text is sent in GB18030 inside Chinese
    mode. False prints it as '?' (an ASCII-only printer)."""
    baudrate: int = Field(default=19200, ge=300, le=921600)
    """serial: bits per second."""
    timeout_s: float = Field(default=3.0, gt=0, le=60)
    """How long a write or a status request may take before the printer counts as
    not answering."""
    retry_s: float = Field(default=5.0, ge=0.5, le=600)
    """How often queued receipts are retried while the printer is not ready."""

    @model_validator(mode="after")
    def _where_to(self) -> PrinterSettings:
        _require_address(self, {"network": "url", "serial": "url", "usb": "path", "file": "path"})
        return self


class CustomerDisplaySettings(Section):
    """[customer_display]: a screen facing the customer that shows the amount and the
    store's payment QR while a store-QR payment waits."""

    kind: Literal["none", "tty", "file"] = "none"
    """none: no customer display; tty: a second screen attached as a terminal device at
    `path` (/dev/tty2, a serial console); file: customer-display.png and
    customer-display.txt written to `out_dir`, for a kiosk browser or an image viewer."""
    path: Path | None = None
    """tty: the display's terminal device (/dev/tty2, /dev/ttyUSB0)."""
    out_dir: Path | None = None
    """file: where the display's files are written. Default: the customer-display
    folder of the data directory."""
    timeout_s: float = Field(default=1.0, gt=0, le=10)
    """tty: how long the display may take nothing before an update counts as failed
    (the payment goes on without it)."""

    @model_validator(mode="after")
    def _where_to(self) -> CustomerDisplaySettings:
        _require_address(self, {"tty": "path"})
        return self


def _require_address(
    device: ScannerSettings | PrinterSettings | CustomerDisplaySettings, needed: dict[str, str]
) -> None:
    """A device kind that needs an address (url, path, ...) must have it."""
    key = needed.get(device.kind)
    if key is not None and getattr(device, key) is None:
        raise ValueError(f'kind = "{device.kind}" needs {key}')


class DrawerSettings(Section):
    """[drawer]: the cash drawer behind the printer."""

    pin: Literal[2, 5] = 2
    """Drawer kick connector pin."""
    pulse_ms: int = Field(default=100, ge=10, le=500)
    """Length of the opening pulse."""
    denominations: tuple[str, ...] = Field(
        default=("100", "50", "20", "10", "5", "1", "0.5", "0.1"), min_length=1
    )
    """Notes and coins counted at a shift's close, in yuan, largest first (CNY)."""

    @field_validator("denominations")
    @classmethod
    def _amounts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        try:
            fen = [parse_amount(text) for text in value]
        except DomainError as error:
            raise ValueError(error.message) from None
        if any(amount <= 0 for amount in fen) or len(set(fen)) != len(fen):
            raise ValueError('must be distinct amounts above zero, e.g. "100", "0.5"')
        return value

    def denominations_fen(self) -> tuple[int, ...]:
        return tuple(parse_amount(text) for text in self.denominations)


class SecuritySettings(Section):
    """[security]: staff sign-in."""

    max_pin_failures: int = Field(default=5, ge=1, le=20)
    """Wrong PINs in a row before an account locks."""
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    """How long a locked account stays locked."""


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    try:
        port_ok = parts.port != 0
    except ValueError:  # a port that is not a number from 0 to 65535
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and port_ok


class WechatSettings(Section):
    """[payments.wechat]: WeChat Pay (API v2 micropay) for payment codes scanned at the till."""

    enabled: bool = True
    """False: a scanned WeChat payment code is refused with "take cash"."""
    gateway_url: str = Field(default="sandbox", min_length=1)
    """The gateway's base URL (https://api.mch.weixin.qq.com), or "sandbox": the wallet
    sandbox started inside the till on 127.0.0.1, for the demo and for training."""
    appid: str = Field(default="wx2421b1c4370ec43b", min_length=1, max_length=32)
    """The store's WeChat appid."""
    mch_id: str = Field(default="10000100", min_length=1, max_length=32)
    """The merchant number."""
    api_key: str = Field(default="192006250b4c09247ec02edce69f6a2d", min_length=1)
    """The 32-character API key. Better set in the environment as POS_WECHAT_API_KEY,
    which wins over this; never printed."""
    sign_type: Literal["MD5", "HMAC-SHA256"] = "MD5"
    """The signature algorithm agreed with the gateway."""
    request_timeout_s: float = Field(default=10.0, gt=0, le=60)
    """How long one request may take before its result counts as unknown."""
    deadline_s: float = Field(default=45.0, ge=20, le=300)
    """How long an unclear payment is queried before it is reversed."""
    query_every_s: float = Field(default=5.0, ge=1, le=30)
    """The pause between queries of an unclear payment."""
    probe_every_s: float = Field(default=10.0, ge=1, le=300)
    """How often the till checks that the gateway can be reached (a TCP connect, no
    request). Offline, a scanned payment code is refused at once: take cash."""
    qr_deadline_s: float = Field(default=120.0, ge=30, le=7200)
    """How long the store's payment QR waits for the customer before it is closed."""
    notify_port: int = Field(default=0, ge=0, le=65535)
    """The port the till takes the gateway's payment notifies on (0: any free one)."""
    notify_public_url: str = ""
    """The address the gateway posts notifies to, when it is not the till's own
    (a store behind a reverse proxy); empty: http://127.0.0.1:<port>/wechat/notify."""

    @field_validator("gateway_url")
    @classmethod
    def _gateway(cls, value: str) -> str:
        if value != "sandbox" and not _http_url(value):
            raise ValueError(
                'must be "sandbox" or an http(s) URL with a host, e.g. https://api.mch.weixin.qq.com'
            )
        return value


class PaymentsSettings(Section):
    """[payments]: wallet payments."""

    wechat: WechatSettings = WechatSettings()
    """[payments.wechat]"""


class TierSettings(Section):
    """[[members.tiers]]: a member tier, reached by lifetime points."""

    name_zh: str = Field(min_length=1, max_length=16)
    """The tier's name in Chinese (receipt, member panel)."""
    name_en: str = Field(min_length=1, max_length=24)
    """The tier's name in English."""
    min_points: int = Field(ge=0)
    """Lifetime points that reach it; the first tier starts at 0."""
    discount_percent: float = Field(default=0, ge=0, le=50)
    """Off every sale of a member of this tier, in percent (2 = 2 % off)."""
    points_multiplier: float = Field(default=1.0, ge=1.0, le=10.0)
    """Points earned per yuan are multiplied by this (1.5 = half as many again)."""

    def tier(self) -> Tier:
        return Tier(
            self.name_zh,
            self.name_en,
            self.min_points,
            round(self.discount_percent * 100),
            round(self.points_multiplier * 10_000),
        )


class CampaignSettings(Section):
    """[[members.campaigns]]: a coupon campaign (what a coupon is worth, who gets it)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    """The campaign id printed in its coupons' codes; the same at every store."""
    name_zh: str = Field(min_length=1, max_length=24)
    """Its name in Chinese (coupon panel, receipt)."""
    name_en: str = Field(min_length=1, max_length=32)
    """Its name in English."""
    kind: Literal["amount_off", "percent_off", "fixed_price", "free_gift"]
    """amount_off: `amount` yuan off (满100减20 with min_spend); percent_off: `percent`
    off; fixed_price: up to `max_units` of `sku` at `price`; free_gift: `sku` free."""
    amount: str = "0"
    """Yuan off, for amount_off (e.g. "20")."""
    percent: float = Field(default=0, ge=0, le=100)
    """Percent off, for percent_off (e.g. 10)."""
    sku: str = ""
    """The item, for fixed_price and free_gift."""
    price: str = "0"
    """Yuan per unit, for fixed_price."""
    max_units: int = Field(default=1, ge=1, le=99)
    """Units at the fixed price or free."""
    min_spend: str = "0"
    """The sale must reach this many yuan before coupons."""
    stackable: bool = False
    """Can be combined with other stackable coupons (otherwise used alone)."""
    member_bound: bool = True
    """Only the member it was issued to may use it (false for referral gifts)."""
    stores: tuple[str, ...] = ()
    """Store ids where it can be used; empty for every store of the chain."""
    valid_days: int = Field(default=30, ge=1, le=3650)
    """How long a coupon this till issues stays valid (to the end of that day)."""
    issue: Literal["none", "welcome", "next_visit", "referral", "reward"] = "none"
    """When the till issues it: none (the chain does), welcome (every new member),
    next_visit (a member's sale of `issue_threshold` or more, 满100送20), referral (a
    gift each new member gets to pass on), reward (to the giver of a redeemed referral)."""
    issue_threshold: str = "0"
    """For next_visit: the sale (yuan, after coupons) that earns the coupon."""
    reward: str = ""
    """For referral: the id of the campaign whose coupon the giver gets."""
    offline: Literal["lease", "flag"] = "flag"
    """Another till's coupon of this campaign, whose earlier use this till cannot see
    until the cloud arbitrates: lease (use a redemption leased to this till) or flag
    (accept it, worth at most `flag_limit`, and flag it)."""
    flag_limit: str = "20"
    """The most, in yuan, a flagged coupon may take off a sale."""

    @field_validator("amount", "price", "min_spend", "issue_threshold", "flag_limit")
    @classmethod
    def _yuan(cls, value: str) -> str:
        parse_amount(value)
        return value

    def document(self) -> dict[str, object]:
        """The campaign as the cloud sends it and the journal keeps it (campaign.
        published): these settings as JSON, the percentage as text, since a ledger
        holds no floats."""
        return {**self.model_dump(mode="json"), "percent": f"{self.percent:g}"}

    def campaign(self) -> Campaign:
        try:
            return Campaign(
                campaign_id=self.id,
                name_zh=self.name_zh,
                name_en=self.name_en,
                kind=CouponKind(self.kind),
                amount=parse_amount(self.amount),
                percent_bp=round(self.percent * 100),
                sku=self.sku,
                price=parse_amount(self.price),
                max_units=self.max_units,
                min_spend=parse_amount(self.min_spend),
                stackable=self.stackable,
                member_bound=self.member_bound,
                stores=self.stores,
                valid_days=self.valid_days,
                purpose=Purpose(self.issue),
                issue_threshold=parse_amount(self.issue_threshold),
                reward_campaign=self.reward,
                offline=self.offline,
                flag_limit=parse_amount(self.flag_limit),
            )
        except DomainError as error:
            raise ValueError(error.message) from None


def _demo_tiers() -> tuple[TierSettings, ...]:
    return (
        TierSettings(name_zh="普通会员", name_en="Member", min_points=0),
        TierSettings(
            name_zh="银卡",
            name_en="Silver",
            min_points=1000,
            discount_percent=2,
            points_multiplier=1.2,
        ),
        TierSettings(
            name_zh="金卡",
            name_en="Gold",
            min_points=5000,
            discount_percent=5,
            points_multiplier=1.5,
        ),
    )


def _demo_campaigns() -> tuple[CampaignSettings, ...]:
    return (
        CampaignSettings(
            id="WELCOME10",
            name_zh="新会员礼券",
            name_en="Welcome coupon",
            kind="amount_off",
            amount="10",
            min_spend="50",
            issue="welcome",
        ),
        CampaignSettings(
            id="NEXT20",
            name_zh="满100送20",
            name_en="Next visit 20 off",
            kind="amount_off",
            amount="20",
            min_spend="100",
            issue="next_visit",
            issue_threshold="100",
        ),
        CampaignSettings(
            id="GIFT15",
            name_zh="好友礼券",
            name_en="Friend's gift",
            kind="amount_off",
            amount="15",
            min_spend="60",
            member_bound=False,
            issue="referral",
            reward="THANKS10",
            valid_days=60,
        ),
        CampaignSettings(
            id="THANKS10",
            name_zh="推荐奖励",
            name_en="Referral reward",
            kind="amount_off",
            amount="10",
            min_spend="50",
            issue="reward",
        ),
    )


class MembersSettings(Section):
    """[members]: the membership program and coupon campaigns (pay-to-become-member)."""

    enabled: bool = True
    """Members and coupons at this till; false sells without them."""
    points_per_yuan: int = Field(default=1, ge=0, le=100)
    """Points a member earns per whole yuan paid (not counting points or coupons)."""
    point_value: str = "0.01"
    """What one point is worth when paying with points, in yuan."""
    tiers: tuple[TierSettings, ...] = Field(default_factory=_demo_tiers)
    """The tiers, lowest first."""
    campaigns: tuple[CampaignSettings, ...] = Field(default_factory=_demo_campaigns)
    """The coupon campaigns this till knows (the demo has welcome, 满100送20, referral)."""
    trusted_keys: dict[str, str] = Field(
        default_factory=lambda: {DEMO_CHAIN_KID: DEMO_CHAIN_PUBLIC_KEY}
    )
    """Key id = public key (base64url Ed25519) of the chain keys whose member and coupon
    codes this till accepts, besides its own key (the demo trusts the demo chain key)."""

    @field_validator("point_value")
    @classmethod
    def _point_value(cls, value: str) -> str:
        if parse_amount(value) < 1:
            raise ValueError("a point is worth at least 0.01 yuan")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MembersSettings:
        try:
            self.program()
        except DomainError as error:
            raise ValueError(error.message) from None
        ids = [campaign.id for campaign in self.campaigns]
        for campaign in self.campaigns:
            if ids.count(campaign.id) > 1:
                raise ValueError(f"campaign {campaign.id} is listed twice")
            if campaign.reward and campaign.reward not in ids:
                raise ValueError(
                    f"campaign {campaign.id}: reward {campaign.reward} is not a campaign"
                )
            campaign.campaign()
        return self

    def program(self) -> Program:
        return Program(
            self.points_per_yuan,
            parse_amount(self.point_value),
            tuple(tier.tier() for tier in self.tiers),
        )

    def campaign_map(self) -> dict[str, Campaign]:
        return {c.id: c.campaign() for c in self.campaigns}


class SyncSettings(Section):
    """[sync]: pushing the journal to the chain's cloud (the till enrolls once with
    `pos sync enroll`; until then it sells alone and nothing is pushed)."""

    batch_events: int = Field(default=2000, ge=1, le=5000)
    """Events in one push at most. Each push costs the cloud a durable commit (a disk
    flush of about 10 ms on SQLite) and the till one more, whatever its size, so a
    backlog drains in few large pushes; 2000 sales are about 3 MiB, well inside the
    cloud's 8 MiB request limit, and a push sent again after a timeout is that much."""
    batch_bytes: int = Field(default=4 << 20, ge=1024, le=8 << 20)
    """Bytes of one push's request body at most (the cloud refuses more than 8 MiB);
    one event always goes."""
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    """How long one push may take before it is sent again (the same batch)."""
    idle_s: float = Field(default=5.0, gt=0, le=3600)
    """How often the background pusher looks for new events when caught up."""
    backoff_base_s: float = Field(default=0.5, gt=0, le=60)
    """The first retry waits up to this long (full jitter), doubling each failure."""
    backoff_cap_s: float = Field(default=300.0, gt=0, le=3600)
    """The longest wait between retries."""


class Settings(Section):
    """Everything pos.toml can say. Missing tables take the demo store's defaults."""

    store: StoreSettings = StoreSettings()
    """[store]"""
    till: TillSettings = TillSettings()
    """[till]"""
    ui: UiSettings = UiSettings()
    """[ui]"""
    scanner: ScannerSettings = ScannerSettings()
    """[scanner]"""
    printer: PrinterSettings = PrinterSettings()
    """[printer]"""
    drawer: DrawerSettings = DrawerSettings()
    """[drawer]"""
    customer_display: CustomerDisplaySettings = CustomerDisplaySettings()
    """[customer_display]"""
    security: SecuritySettings = SecuritySettings()
    """[security]"""
    payments: PaymentsSettings = PaymentsSettings()
    """[payments]"""
    members: MembersSettings = MembersSettings()
    """[members]"""
    sync: SyncSettings = SyncSettings()
    """[sync]"""
