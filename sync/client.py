"""The till's HTTP client for the cloud's API (cloud/hq/app.py).

A push either succeeds (the cloud's `acked_through`), fails for now (`Unreachable`: no
connection, a timeout, a 5xx, a 429; try again later, honouring `retry_after`), or is
refused (`Refused`: revoked, a fork, a malformed event; retrying cannot help, so the
pusher halts and a person is told).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from sync.credentials import Credentials, SyncError


class Unreachable(SyncError):
    """The push may or may not have arrived; send the same batch again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__("Cloud unreachable", message)
        self.retry_after = retry_after


class Refused(SyncError):
    """The cloud said no, for a reason retrying cannot change."""

    def __init__(self, code: str, message: str, acked_through: int | None = None) -> None:
        super().__init__("Refused by the cloud", f"{message} ({code})")
        self.code = code
        self.acked_through = acked_through
        """How far the cloud stored this till's events all the same, if it said."""


class CloudClient:
    def __init__(self, credentials: Credentials, *, timeout_s: float = 10.0) -> None:
        self.credentials = credentials
        self._http = httpx.Client(
            base_url=credentials.cloud_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {credentials.token}"},
        )

    def close(self) -> None:
        self._http.close()

    def push(self, events: Sequence[dict[str, Any]]) -> int:
        """Send events; the cloud's acked_through."""
        return self.push_body(json.dumps({"events": events}, ensure_ascii=False).encode())

    def push_body(self, body: bytes) -> int:
        """Send a batch already in its wire form (sync.outbox.Batch.body)."""
        answer = _post(self._http, f"/v1/devices/{self.credentials.device_id}/events", content=body)
        return int(answer["acked_through"])

    def feed(self, cursor: str) -> tuple[list[dict[str, Any]], str, bool]:
        """The cloud's changes for this till after `cursor`: (changes, cursor, more)."""
        try:
            response = self._http.get("/v1/feed", params={"cursor": cursor})
        except httpx.HTTPError as error:
            raise Unreachable(_describe(error)) from None
        body = _answer(response)
        return list(body["changes"]), str(body["cursor"]), bool(body["more"])

    def acked_through(self) -> int:
        try:
            response = self._http.get(f"/v1/devices/{self.credentials.device_id}")
        except httpx.HTTPError as error:
            raise Unreachable(_describe(error)) from None
        return int(_answer(response)["acked_through"])


def enroll(cloud_url: str, code: str, device_id: str, *, timeout_s: float = 10.0) -> Credentials:
    """Exchange a one-time enrollment code for this till's credentials."""
    with httpx.Client(base_url=cloud_url.rstrip("/"), timeout=timeout_s) as http:
        body = _post(http, "/v1/enrollments", payload={"code": code, "device_id": device_id})
    return Credentials(cloud_url.rstrip("/"), device_id, str(body["store_id"]), str(body["token"]))


def _post(
    http: httpx.Client, path: str, *, payload: object = None, content: bytes | None = None
) -> dict[str, Any]:
    """POST `payload` as JSON, or `content` that already is JSON."""
    headers = {"Content-Type": "application/json"} if content is not None else None
    try:
        response = http.post(path, json=payload, content=content, headers=headers)
    except httpx.HTTPError as error:
        raise Unreachable(_describe(error)) from None
    return _answer(response)


def _answer(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.is_success:
        return body
    code = str(body.get("code", f"http_{response.status_code}"))
    message = str(body.get("message", response.reason_phrase))
    if response.status_code == 429 or response.status_code >= 500:
        return_after = response.headers.get("retry-after", "")
        retry_after = float(return_after) if return_after.isdigit() else None
        raise Unreachable(f"HTTP {response.status_code}: {message}", retry_after)
    acked = body.get("acked_through")
    raise Refused(code, message, acked if isinstance(acked, int) else None)


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return "no answer in time (the batch is sent again)"
    if isinstance(error, httpx.ConnectError):
        return "cannot connect"
    return f"{type(error).__name__}: {error}"
