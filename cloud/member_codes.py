"""Dynamic member codes, as the chain's member app shows them on a customer's phone.

A static member card printed on a receipt can be photographed and used by anyone,
so the app shows a code that expires within a minute or so: the cloud signs a fresh
one for the logged-in member and the app displays it as a QR code. The private key
stays in the cloud; tills verify the codes offline with its public key (DESIGN.md
sections 5 and 7) and refuse one replayed after its window.
"""

from __future__ import annotations

from pos.domain.codes import MemberClaims, encode_code, member_payload
from pos.signing import SigningKey

__all__ = [
    "DEMO_CHAIN_KEY",
    "DEMO_CHAIN_KID",
    "DEMO_CHAIN_PUBLIC_KEY",
    "dynamic_member_code",
]

DEMO_CHAIN_KID = "chain-demo"
DEMO_CHAIN_KEY = SigningKey.from_seed(b"pos DEMO chain key, never real!!", DEMO_CHAIN_KID)
"""The demo store's chain key. DEMO ONLY: its seed is printed above, so anyone can
sign member codes and coupons with it. It exists so the demo store and the tests have
codes to scan; a real chain makes its own key in the cloud and configures its tills
to trust that key's public half instead, never this one."""

DEMO_CHAIN_PUBLIC_KEY = "O8xE7e0IdmCi0JPleNJLm7zs4z5mwLcYgyuuUn7cpgE"
"""`public_key_text` of DEMO_CHAIN_KEY, written out so the till's demo configuration
can trust it without importing the cloud (a test keeps the two in step)."""


def dynamic_member_code(key: SigningKey, member_no: str, now: int, window_s: int = 60) -> str:
    """A member code for `member_no` that tills accept until `now + window_s` (epoch s).

    ValueError for a window that is not positive or a member number a code cannot
    carry.
    """
    if window_s <= 0:
        raise ValueError(f"window_s must be positive, got {window_s}")
    claims = MemberClaims(member_no=member_no, expires=now + window_s)
    return encode_code("member", key.kid, member_payload(claims), key.sign)
