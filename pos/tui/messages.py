"""Messages the screens send up to the app (named for what happened)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from pos.domain.staff import StaffMember
    from pos.shifts import Shift


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


class WedgeScanned(Message):
    """A keyboard-wedge scanner delivered a code (whatever had the focus)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class WedgeFlushDue(Message):
    """The flush timer fired; handled in turn with the keys so none overtakes another."""
