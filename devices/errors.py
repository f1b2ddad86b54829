"""Device failures, worded for the technician; a sale never waits on them."""

from __future__ import annotations

from pos.domain.errors import PosError


class DeviceError(PosError):
    """A device could not be reached or refused the command."""
