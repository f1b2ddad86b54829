"""Every string the till shows, in zh-CN and en.

Screens ask for text by key; `Strings` formats it in the current language. A key
missing from a language is a test failure (tests/tui/test_i18n.py), never a blank label.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh-CN", "en")

_TEXT: dict[str, tuple[str, str]] = {
    # sign-in and shift
    "sign_in.title": ("收银员登录", "Cashier sign-in"),
    "sign_in.staff_no": ("工号", "Staff number"),
    "sign_in.pin": ("密码", "PIN"),
    "sign_in.hint": ("输入工号和密码后按 Enter", "Enter your number and PIN, then Enter"),
    "sign_in.checking": ("正在验证…", "Checking…"),
    "shift.title": ("开班", "Open shift"),
    "shift.float": ("备用金（元）", "Opening float (yuan)"),
    "shift.hint": ("输入钱箱里的备用金后按 Enter", "Count the float in the drawer, then Enter"),
    "shift.opened": ("已开班，备用金 {amount}", "Shift open, float {amount}"),
    # status bar
    "status.cashier": ("收银员", "Cashier"),
    "status.shift": ("班次", "Shift"),
    "status.offline": ("离线", "Offline"),
    "status.online": ("在线", "Online"),
    "status.backlog": ("未同步 {count}", "Unsynced {count}"),
    "status.printer": ("打印机", "Printer"),
    "status.scanner": ("扫码枪", "Scanner"),
    "device.ready": ("就绪", "ready"),
    "device.offline": ("离线", "offline"),
    "device.paper_out": ("缺纸", "paper out"),
    "device.paper_low": ("纸将尽", "paper low"),
    "device.cover_open": ("开盖", "cover open"),
    "device.error": ("故障", "error"),
    "device.starting": ("…", "…"),
    "status.waiting": ("待打 {count}", "{count} waiting"),
    "status.backlog_short": ("待传 {count}", "↑{count}"),
    "status.printer_short": ("打印", "Prn"),
    "status.scanner_short": ("扫码", "Scan"),
    # sale screen
    "cart.item": ("商品", "Item"),
    "cart.qty": ("数量", "Qty"),
    "cart.price": ("单价", "Price"),
    "cart.discount": ("优惠", "Disc."),
    "cart.total": ("金额", "Total"),
    "cart.empty": ("扫码或输入条码 / 货号开始销售", "Scan or type a barcode / SKU to start a sale"),
    "totals.items": ("件数", "Items"),
    "totals.subtotal": ("小计", "Subtotal"),
    "totals.discount": ("优惠", "Discount"),
    "totals.tax": ("含税 {rate}", "VAT {rate}"),
    "totals.due": ("应收", "Due"),
    "member.none": ("未识别会员", "No member"),
    "member.hint": (
        "扫会员码/优惠券，Ctrl+Y 手机号查会员",
        "Scan a member code or coupon; Ctrl+Y finds by phone",
    ),
    "member.points": ("积分 {points}", "{points} points"),
    "member.found": ("会员 {member}", "Member {member}"),
    "member.find_title": ("查找会员", "Find a member"),
    "member.find_prompt": ("顾客手机号", "Customer's mobile number"),
    "member.enroll_prompt": (
        "{phone} 还不是会员。注册为会员？(Y/N)",
        "{phone} is not a member yet. Enroll them? (Y/N)",
    ),
    "member.enrolled": ("新会员 {member}，已发放礼券", "New member {member}, welcome coupons issued"),
    "member.none_for_points": ("请先识别会员", "Find the member first"),
    "coupon.added": ("已加入优惠券 {campaign}", "Coupon {campaign} added"),
    "coupon.min_spend": ("未达到使用门槛", "Minimum spend not reached"),
    "coupon.not_stackable": ("不可与已选券叠加", "Does not stack with the chosen coupon"),
    "coupon.not_better": ("已选更优惠的券", "A better coupon was chosen"),
    "coupon.same_campaign": ("同一活动每单限用一张", "One coupon per campaign per sale"),
    "coupon.item_missing": ("缺少指定商品", "The coupon's item is not in the sale"),
    "coupon.no_member": ("需先识别券的会员", "Find the coupon's member first"),
    "coupon.other_member": ("属于其他会员", "Belongs to another member"),
    "points.title": ("积分抵现", "Pay with points"),
    "points.prompt": (
        "抵扣金额（元），会员积分 {points}，应收 {due}",
        "Amount (yuan) to pay with points; member has {points}, due {due}",
    ),
    "entry.placeholder": ("扫码 / 输入条码、货号；3*条码 = 3 件", "Scan / type code or SKU; 3*code = 3"),
    "last.change": ("找零", "Change"),
    "last.paid": ("已收款 {receipt}", "Paid {receipt}"),
    # actions (footer and help)
    "action.help": ("帮助", "Help"),
    "action.quantity": ("数量", "Qty"),
    "action.lookup": ("查价", "Lookup"),
    "action.discount": ("折扣", "Discount"),
    "action.price": ("改价", "Price"),
    "action.suspend": ("挂单", "Suspend"),
    "action.resume": ("取单", "Resume"),
    "action.remove": ("删行", "Remove"),
    "action.reprint": ("重印", "Reprint"),
    "action.no_sale": ("开钱箱", "No sale"),
    "action.clear": ("清单", "Clear"),
    "action.pay_cash": ("现金", "Cash"),
    "action.split": ("分笔付款", "Split payment"),
    "action.returns": ("退货", "Return"),
    "action.member": ("会员", "Member"),
    "action.points": ("积分抵现", "Pay with points"),
    "action.language": ("English", "中文"),
    "action.sign_out": ("退出登录", "Sign out"),
    # help
    "help.title": ("按键说明", "Keys"),
    "help.close": ("按 Esc 关闭", "Esc closes"),
    # tender
    "tender.title": ("现金收款", "Cash payment"),
    "tender.due": ("应收 {amount}", "Due {amount}"),
    "tender.amount": ("实收金额（元），空 = 正好", "Amount tendered (yuan), empty = exact"),
    "tender.notes": ("F1 ¥10  F2 ¥20  F3 ¥50  F4 ¥100  Enter 确认  Esc 返回",
                     "F1 ¥10  F2 ¥20  F3 ¥50  F4 ¥100  Enter pay  Esc back"),
    "tender.short": ("实收 {given} 少于应收 {due}", "Tendered {given} is less than {due} due"),
    # prompts
    "quantity.title": ("修改数量", "Change quantity"),
    "quantity.prompt": ("{item} 的数量", "Quantity of {item}"),
    "discount.title": ("行折扣", "Line discount"),
    "discount.prompt": ("减免金额（元）或百分比（如 10%）", "Amount off (yuan) or percent (e.g. 10%)"),
    "price.title": ("改价", "Price override"),
    "price.prompt": ("{item} 的新单价（元）", "New unit price of {item} (yuan)"),
    "manager.title": ("需要经理授权", "Manager approval"),
    "manager.prompt": ("{action}：请经理输入工号和密码", "{action}: a manager enters number and PIN"),
    "confirm.clear": ("清空当前销售？(Y/N)", "Clear the whole sale? (Y/N)"),
    "confirm.clear_parts": ("已部分付款：退回已付款项并清空？(Y/N)", "Part paid: give the payments back and clear? (Y/N)"),
    "notice.parts_given_back": ("已清空，微信部分已退回；请退还现金 {amount}", "Cleared; WeChat parts given back; hand back {amount} cash"),
    "notice.part_taken": ("已收{tender} {amount}，还需 {due}", "{tender} {amount} taken, {due} left to pay"),
    "notice.split": ("下一笔付款 {amount}：收现金或扫付款码", "Next payment {amount}: take cash or scan a payment code"),
    "tender_name.cash": ("现金", "cash"),
    "tender_name.wechat": ("微信", "WeChat Pay"),
    "tender_name.points": ("积分", "points"),
    "split.title": ("分笔付款", "Split payment"),
    "split.prompt": ("这一笔付多少（元）？应收 {due}", "How much is this payment (yuan)? {due} due"),
    "totals.paid": ("已付", "Paid"),
    "totals.left": ("还需", "Left"),
    "totals.next": ("本笔", "This payment"),
    "refused.payment_started": ("已部分付款，商品不能再改", "Part paid: the goods are fixed"),
    "return.ask_title": ("退货", "Return"),
    "return.ask": ("扫小票二维码或输入小票号", "Scan the receipt's QR code or type its number"),
    "return.title": ("退货 · 小票 {receipt}", "Return · receipt {receipt}"),
    "return.item": ("商品", "Item"),
    "return.sold": ("购买", "Sold"),
    "return.paid": ("实付", "Paid"),
    "return.left": ("可退", "Left"),
    "return.back": ("退回", "Back"),
    "return.hint": ("↑↓ 选行 · +/- 数量 · A 全退 · Enter 确认（需店长） · F9 重印 · Esc 返回", "↑↓ line · +/- quantity · A all · Enter confirm (manager) · F9 copy · Esc back"),
    "return.refund": ("退款 {amount}", "Refund {amount}"),
    "return.nothing": ("请选择要退的商品和数量", "Pick the items and quantities coming back"),
    "return.done": ("退货完成 {receipt}，退款 {amount}", "Returned {receipt}, refund {amount}"),
    "return.cash_back": ("退现金", "Cash back"),
    "return.in_cash": ("微信拒绝退款（{reason}），已改退现金", "WeChat refused the refund ({reason}); paid in cash"),
    "lookup.title": ("查价（不加入销售）", "Price lookup (not added)"),
    "lookup.prompt": ("名称、货号或条码", "Name, SKU or barcode"),
    "resume.title": ("取回挂单", "Resume a suspended sale"),
    "resume.none": ("没有挂单", "No suspended sales"),
    "receipt.title": ("小票预览", "Receipt preview"),
    "receipt.copy_title": ("重印小票（副本）", "Receipt reprint (copy)"),
    # notices
    "notice.suspended": ("已挂单", "Sale suspended"),
    "notice.resumed": ("已取回挂单", "Sale resumed"),
    "notice.cleared": ("已清空", "Sale cleared"),
    "notice.removed": ("已删除 {item}", "Removed {item}"),
    "notice.no_line": ("请先选择一行", "Select a line first"),
    "notice.nothing_to_pay": ("请先扫码", "Scan something first"),
    "notice.no_receipt": ("还没有小票", "No receipt yet"),
    "notice.drawer_opened": ("钱箱已打开（{who}）", "Drawer opened ({who})"),
    "tech.title": ("技术员", "Technician"),
    "tech.devices": ("设备", "Devices"),
    "tech.scans": ("扫码监视（只显示，不销售）", "Scan monitor (shown, not sold)"),
    "tech.config": ("配置（只读）：{source}", "Configuration (read-only): {source}"),
    "tech.demo": ("内置演示门店", "built-in demo store"),
    "tech.camera": ("摄像头", "Camera"),
    "tech.key": ("键", "Key"),
    "tech.value": ("值", "Value"),
    "tech.origin": ("来源", "From"),
    "tech.test_printed": ("测试页已发送到打印机", "Test page sent to the printer"),
    "tech.drawer_opened": ("钱箱已打开（已记录）", "Drawer opened (recorded)"),
    "tech.key.test_print": ("测试打印", "Test print"),
    "tech.key.drawer": ("钱箱", "Drawer"),
    "tech.key.language": ("中/EN", "中/EN"),
    "tech.key.sign_out": ("退出", "Sign out"),
    "wallet.title": ("微信支付", "WeChat Pay"),
    "wallet.sending": ("正在扣款…", "Charging the code…"),
    "wallet.waiting_for_password": ("请顾客在手机上输入支付密码", "The customer enters their password on the phone"),
    "wallet.querying": ("正在查询支付结果…", "Asking the gateway for the result…"),
    "wallet.reversing": ("正在撤销订单…", "Reversing the order…"),
    "wallet.cancel_hint": ("Esc 取消（自动撤销）· {seconds} 秒", "Esc cancels (the order is reversed) · {seconds} s"),
    "wallet.paid": ("微信支付成功 {receipt}", "Paid by WeChat Pay {receipt}"),
    "wallet.not_paid": ("未支付：{reason}，请换码或收现金", "Not paid: {reason}; try another code or take cash"),
    "wallet.reversed": ("已撤销，未扣款", "Reversed; nothing was charged"),
    "wallet.unresolved": ("支付结果未确认，请手工查单：{order}", "Payment unconfirmed; check order {order} by hand"),
    "wallet.settled": ("开机时处理了 {count} 笔未完成的扫码付款或退款", "{count} unfinished wallet payment(s) or refund(s) settled at start"),
    "qr.title": ("微信收款码", "WeChat Pay QR"),
    "qr.creating": ("正在生成收款码…", "Creating the QR code…"),
    "qr.waiting": ("请顾客用微信扫码付款", "The customer scans the QR with WeChat and pays"),
    "qr.querying": ("正在查询支付结果…", "Asking the gateway for the result…"),
    "qr.closing": ("正在关闭订单…", "Closing the order…"),
    "qr.cancel_hint": ("Esc 取消（自动关单）· {seconds} 秒", "Esc cancels (the order is closed) · {seconds} s"),
    "action.store_qr": ("收款码", "Store QR"),
    "notice.printer_title": ("打印机", "Printer"),
    "notice.printer_blocked": ("打印机{state}：{count} 张小票等待打印，恢复后自动补打；可以继续销售", "Printer {state}: {count} receipt(s) waiting; they print when it is back. Keep selling."),
    "notice.dialog_open": ("请先完成或关闭当前对话框，再扫码", "Finish or close the dialog, then scan again"),
    "notice.bad_amount": ("金额无效", "Not a valid amount"),
    "notice.bad_quantity": ("数量无效", "Not a valid quantity"),
    # refusals of scans, by reason (the detail follows in the message)
    "refused.title": ("无法识别", "Not accepted"),
    "refused.no_members": ("本机未开通会员", "No member program at this till"),
    "refused.bad_member_code": ("会员码无法识别", "Damaged member code"),
    "refused.bad_coupon_code": ("优惠券码无法识别", "Damaged coupon code"),
    "refused.unknown_product": ("商品不存在：{code}", "Not in the catalog: {code}"),
    "refused.unknown_plu": ("称重商品 PLU 不存在", "Unknown scale PLU"),
    "refused.needs_weight": ("称重商品，请扫电子秤标签", "Sold by weight: scan the scale label"),
    "refused.wallet_unavailable": ("暂不支持扫码付款，请收现金", "Wallet payments unavailable: take cash"),
    "refused.wallet_offline": ("离线，请收现金", "Offline, take cash"),
    "wallet.gateway_unreachable": ("无法连接微信支付，未扣款", "WeChat Pay cannot be reached; nothing was charged"),
    "refused.nothing_to_pay": ("没有要付款的商品", "Nothing to pay"),
    "refused.bad_check_digit": ("条码校验位错误", "Barcode check digit is wrong"),
    "refused.control_characters": ("含有控制字符，已拒绝", "Contains control characters"),
    "refused.too_long": ("内容过长，已拒绝", "Too long"),
    "refused.empty": ("空输入", "Nothing entered"),
    "refused.unknown_format": ("不是本机能识别的条码", "Not a code this till reads"),
    "refused.wallet_prefix": ("不是有效的付款码", "Not a valid payment code"),
    "refused.wallet_length": ("付款码位数不对", "Payment code has the wrong length"),
    "refused.bad_quantity": ("数量无效", "Not a valid quantity"),
    "refused.cart": ("无法加入", "Could not add"),
}  # fmt: skip


class Strings:
    """Text in one language; `strings("totals.due")` or with fields, `strings(key, n=3)`."""

    def __init__(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}")
        self.lang = lang
        self._index = LANGUAGES.index(lang)

    def __call__(self, key: str, **fields: object) -> str:
        text = _TEXT[key][self._index]
        return text.format(**fields) if fields else text

    def has(self, key: str) -> bool:
        return key in _TEXT

    def other(self) -> Strings:
        """The other language, for the switch key."""
        return Strings(LANGUAGES[1 - self._index])


def all_keys() -> list[str]:
    return list(_TEXT)
