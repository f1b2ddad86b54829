"""Messages the screens send up to the app (named for what happened)."""

from __future__ import annotations

from textual.message import Message

from pos.shifts import Shift
from pos.staff import StaffMember


class SignedIn(Message):
    def __init__(self, member: StaffMember) -> None:
        super().__init__()
        self.member = member


class ShiftOpened(Message):
    def __init__(self, shift: Shift) -> None:
        super().__init__()
        self.shift = shift


class SignedOut(Message):
    """The cashier left the till; the sale in progress stays saved."""


class LanguageSwitched(Message):
    """The cashier switched the screen's language."""
