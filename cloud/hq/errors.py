"""Errors the HQ answers with: an HTTP status, a stable code and a sentence (JSON)."""

from __future__ import annotations

from pos.errors import PosError


class HQError(PosError):
    """Also a PosError, so the CLI's cloud commands report it like any other."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        acked_through: int | None = None,
    ) -> None:
        super().__init__(code.replace("_", " ").capitalize(), message)
        self.status, self.code = status, code
        self.retry_after = retry_after
        self.acked_through = acked_through
        """For a refused push: how far the device's events are stored all the same."""

    def body(self) -> dict[str, str | int]:
        body: dict[str, str | int] = {"code": self.code, "message": self.message}
        if self.acked_through is not None:
            body["acked_through"] = self.acked_through
        return body
