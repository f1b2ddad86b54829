"""Payment codes as the sandbox's wallet sees them: their format, their payer, and
how that payer behaves.

A WeChat payment code is 18 digits with a prefix 10-15 (reference §1.9). The
sandbox reads two things from the digits, so a test can pick a customer by
writing a code:

- the payer is the last 6 digits: codes sharing them are the same customer, and
  get the same `openid` under an appid (the membership key, reference §3);
- the behaviour is the third digit (the one after the prefix):

  ===== ============ ==========================================================
  digit behaviour    what the payer does
  ===== ============ ==========================================================
  0-3   INSTANT      pays at once; types a password (then pays) above the
                     password threshold
  4     BANK_DOWN    the bank never answers: BANKERROR, NOTPAY, CLOSED at the
                     deadline
  5     BANK_SLOW    the bank answers late: BANKERROR, NOTPAY, SUCCESS after the
                     password delay
  6     PASSWORD     always asked for a password; types it: USERPAYING, then
                     SUCCESS after the password delay
  7     CANCELS      asked for a password, cancels: USERPAYING, then PAYERROR
  8     SILENT       asked, never answers: USERPAYING until the auto-revoke
  9     NO_FUNDS     not enough money: NOTENOUGH at once
  ===== ============ ==========================================================

`WalletState.set_payer` overrides the behaviour of one exact code.
"""

from __future__ import annotations

import base64
import hashlib
import re
from enum import StrEnum

CODE_PATTERN = re.compile(r"1[0-5][0-9]{16}")
PAYER_DIGITS = 6


class Payer(StrEnum):
    INSTANT = "instant"
    BANK_DOWN = "bank_down"
    BANK_SLOW = "bank_slow"
    PASSWORD = "password"
    CANCELS = "cancels"
    SILENT = "silent"
    NO_FUNDS = "no_funds"


_BY_DIGIT = {
    "4": Payer.BANK_DOWN,
    "5": Payer.BANK_SLOW,
    "6": Payer.PASSWORD,
    "7": Payer.CANCELS,
    "8": Payer.SILENT,
    "9": Payer.NO_FUNDS,
}

ASKS_PASSWORD = frozenset({Payer.PASSWORD, Payer.CANCELS, Payer.SILENT})
BANK_PENDING = frozenset({Payer.BANK_DOWN, Payer.BANK_SLOW})


def is_wechat_code(code: str) -> bool:
    return CODE_PATTERN.fullmatch(code) is not None


def behaviour(code: str) -> Payer:
    """The behaviour the code's third digit selects (see the module docstring)."""
    return _BY_DIGIT.get(code[2], Payer.INSTANT)


def openid(appid: str, code: str) -> str:
    """The payer's stable id under `appid`: 28 characters starting with "o", like
    the real ones, derived from the appid and the code's last 6 digits (so a payer's
    6 digits alone, as a customer scanning a store QR gives them, name the same one)."""
    digest = hashlib.sha256(f"{appid}:{code[-PAYER_DIGITS:]}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def make_code(payer: str, behaviour_digit: str = "0", serial: int = 0, prefix: str = "13") -> str:
    """A well-formed code for `payer` (6 digits): what a test scans as that customer."""
    return f"{prefix}{behaviour_digit}{serial:09d}{payer}"
