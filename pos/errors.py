"""Errors that reach a person: each has a short title and a message that says what to do.

Adapters raise these; the TUI and the CLI turn them into notices or exit messages in
one place each, so no layer formats its own error dialogs.
"""

from __future__ import annotations


class PosError(Exception):
    """An error meant for a cashier, manager or technician to read."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


class ConfigError(PosError):
    """pos.toml (or an option) is wrong; nothing was started."""


class LedgerError(PosError):
    """The ledger could not be read or written; nothing was half-written."""


class LedgerTampered(LedgerError):
    """The journal or its projections do not verify."""
