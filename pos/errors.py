"""The errors adapters raise, all `PosError`s with a title and a message for a person.

Adapters raise these; the TUI and the CLI turn them into notices or exit messages in
one place each, so no layer formats its own error dialogs.
"""

from __future__ import annotations

from pos.domain.errors import PosError

__all__ = ["ConfigError", "LedgerError", "PosError"]


class ConfigError(PosError):
    """pos.toml (or an option) is wrong; nothing was started."""


class LedgerError(PosError):
    """The ledger could not be read or written; nothing was half-written."""
