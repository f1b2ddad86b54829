"""Errors the till can show to a person as they are.

Each error carries a short title for the dialog heading and a full sentence for
the body, so the UI never has to invent wording or parse exception text. `PosError`
is the root for every layer (pos.errors adds the adapters' kinds); the TUI and the CLI
each turn it into a notice or an exit message in one place.
"""


class PosError(Exception):
    """An error written for a cashier, manager or technician to read."""

    def __init__(self, title: str, message: str) -> None:
        # Both go to Exception.args so the error pickles and reprs faithfully.
        super().__init__(title, message)
        self.title = title
        self.message = message

    def __str__(self) -> str:
        return self.message


class DomainError(PosError):
    """A rule of the business was broken; the message is written for the user."""


class MoneyError(DomainError):
    """An amount could not be read or is out of range."""


class CartError(DomainError):
    """A cart operation was refused; the cart is left exactly as it was."""
