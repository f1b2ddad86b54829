"""Who may do what at the till, and how their PINs are kept.

PINs are short, so they are stored only as a slow, salted scrypt hash: a copied
database must not give away every cashier's PIN in seconds.
"""

import enum
import hashlib
import hmac
import os
from dataclasses import dataclass

from pos.domain.errors import DomainError

_SCHEME = "scrypt"
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 32
_HASH_BYTES = 32
# Bounds on parameters read back from storage, so a tampered row cannot make a
# login burn minutes of CPU; they leave room to raise the cost later.
_MAX_N, _MAX_R, _MAX_P, _MAX_HASH_BYTES = 2**20, 32, 16, 64


class Role(enum.StrEnum):
    """What a signed-in person may do; the values are what config and the ledger store.

    Cashiers sell; managers also approve refunds, overrides and day close;
    technicians configure devices and pos.toml.
    """

    CASHIER = "cashier"
    MANAGER = "manager"
    TECHNICIAN = "technician"


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """Hash `pin` as "scrypt$N$r$p$<salt hex>$<hash hex>", keeping the parameters with it.

    Storing the parameters lets `verify_pin` accept old hashes after the cost is
    raised; `salt` is only for reproducible tests.
    """
    salt = os.urandom(_SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_HASH_BYTES)
    return f"{_SCHEME}${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, encoded: str) -> bool:
    """Whether `pin` matches `encoded`; a malformed encoding is simply not a match.

    The comparison is constant-time so response timing reveals nothing about
    how much of the hash matched.
    """
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        return False
    n_text, r_text, p_text, salt_hex, hash_hex = parts[1:]
    if not all(text.isascii() and text.isdigit() for text in (n_text, r_text, p_text)):
        return False
    n, r, p = int(n_text), int(r_text), int(p_text)
    if not (1 < n <= _MAX_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return False
    try:
        salt, expected = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
        if not 0 < len(expected) <= _MAX_HASH_BYTES:
            return False
        actual = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=len(expected))
    except ValueError:  # bad hex, or parameters scrypt refuses (n not a power of 2)
        return False
    return hmac.compare_digest(actual, expected)


def validate_pin(pin: str) -> None:
    """Refuse a PIN that is not 4 to 8 digits, the most a cashier will type quickly."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise DomainError("Invalid PIN", "A PIN is 4 to 8 digits.")


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_no: str
    name: str
    role: Role
