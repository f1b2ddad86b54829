"""The HQ's HTTP API (FastAPI; OpenAPI at /docs and /openapi.json).

`POST /v1/enrollments` {code, device_id} -> {device_id, store_id, token}
`POST /v1/devices/{device_id}/events` {events: [...]} with `Authorization: Bearer` ->
    {acked_through, stored, duplicates, held}
`GET /v1/devices/{device_id}` -> {device_id, store_id, acked_through}
`GET /v1/health` -> {ok}

Every error is JSON `{code, message}` with a fitting status: 401 (unknown or revoked
token), 403, 409 (a fork: the device is quarantined), 411/413 (no length, too large),
422 (malformed), 429 with Retry-After (too many requests from one device).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from cloud.hq import devices, feed
from cloud.hq.errors import HQError
from cloud.hq.ingest import Inexact, IngestResult, ingest
from cloud.hq.wire import parse_body
from pos.ledger.chain import format_ts
from pos.ledger.database import utc_now

MAX_BODY = 8 << 20
"""Bytes in one request at most (a till's batch is at most its [sync] batch_bytes, 4 MiB
by default and never more than this)."""


class EnrollmentRequest(BaseModel):
    code: str = Field(description="The one-time code from `pos cloud enroll-code`.")
    device_id: str = Field(description="The till's [till] device_id.")


class Enrollment(BaseModel):
    device_id: str
    store_id: str
    token: str = Field(description="The device's bearer token; shown once.")


class EventsPush(BaseModel):
    events: list[dict[str, Any]] = Field(
        description="Journal events in the export form (docs/ledger.md), in seq order."
    )


class PushAnswer(BaseModel):
    acked_through: int = Field(description="The highest contiguous seq stored.")
    stored: int
    duplicates: int
    held: int = Field(description="Events kept past a gap until it fills.")


class FeedChange(BaseModel):
    kind: str = Field(description="What changed, e.g. coupon.redemption_rejected.")
    body: dict[str, Any]


class FeedAnswer(BaseModel):
    changes: list[FeedChange]
    cursor: str = Field(description="Opaque; send it back to get what came after.")
    more: bool = Field(description="Another page is waiting.")


class DeviceState(BaseModel):
    device_id: str
    store_id: str
    acked_through: int


@dataclass
class RateLimit:
    """A token bucket per device: `rate` requests a second, bursts of `burst`."""

    rate: float = 50.0
    burst: float = 100.0

    def __post_init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, since = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - since) * self.rate)
            if tokens < 1:
                wait = max(1, round((1 - tokens) / self.rate + 0.5))
                self._buckets[key] = (tokens, now)
                raise HQError(
                    429, "rate_limited", "Too many requests from this till.", retry_after=wait
                )
            self._buckets[key] = (tokens - 1, now)


def create_app(engine: Engine, *, rate_limit: RateLimit | None = None) -> FastAPI:
    app = FastAPI(
        title="pos HQ",
        version="1",
        description="The chain's cloud: till enrollment and journal ingest.",
    )
    limiter = rate_limit or RateLimit()

    @app.exception_handler(HQError)
    async def _hq_error(_request: Request, error: HQError) -> Response:
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return JSONResponse(error.body(), status_code=error.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, error: StarletteHTTPException) -> Response:
        # Routing's own refusals (no such path, a method the path lacks) in the same
        # {code, message} shape as every other error, not Starlette's {detail}.
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(
            {"code": code, "message": str(error.detail)},
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> Response:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return JSONResponse({"code": "bad_request", "message": message}, status_code=422)

    @app.middleware("http")
    async def _limit_size(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None:
                return _error(HQError(411, "length_required", "Send a Content-Length."))
            if not length.isdigit() or int(length) > MAX_BODY:
                return _error(HQError(413, "too_large", f"A request is at most {MAX_BODY} bytes."))
        return await call_next(request)

    @app.get("/v1/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/v1/enrollments", status_code=201, response_model=Enrollment)
    def enroll(body: EnrollmentRequest) -> Enrollment:
        with engine.begin() as conn:
            store_id, token = devices.enroll(conn, body.code, body.device_id, utc_now())
        return Enrollment(device_id=body.device_id, store_id=store_id, token=token)

    @app.get("/v1/feed", response_model=FeedAnswer)
    def read_feed(request: Request, cursor: str = "", limit: int = feed.PAGE) -> FeedAnswer:
        """The changes for the calling till after `cursor`, oldest first: nothing is
        skipped or repeated however the cursor is used."""
        token = _bearer(request)
        limiter.take(devices.digest(token))
        with engine.connect() as conn:
            row = devices.authenticate_token(conn, token)
            page = feed.read(
                conn, row["device_id"], row["store_id"], cursor, max(1, min(limit, feed.PAGE))
            )
        return FeedAnswer(
            changes=[FeedChange(**change) for change in page.changes],
            cursor=page.cursor,
            more=page.more,
        )

    @app.get("/v1/devices/{device_id}", response_model=DeviceState)
    def device_state(device_id: str, request: Request) -> DeviceState:
        with engine.connect() as conn:
            row = devices.authenticate(conn, _bearer(request), device_id, lock=False)
        return DeviceState(
            device_id=row["device_id"], store_id=row["store_id"], acked_through=row["head_seq"]
        )

    @app.post(
        "/v1/devices/{device_id}/events",
        response_model=PushAnswer,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": EventsPush.model_json_schema()}},
            }
        },
    )
    async def push(device_id: str, request: Request) -> PushAnswer:
        # The body is parsed here rather than by a pydantic model: ingest checks every
        # event's fields itself, and validating thousands of nested objects twice was
        # most of a push's time on the server.
        token = _bearer(request)
        # By token, not by the device id in the path: nobody can use up a till's
        # allowance without holding its token.
        limiter.take(devices.digest(token))
        body = await request.body()
        return await run_in_threadpool(_store, device_id, token, body)

    def _store(device_id: str, token: str, body: bytes) -> PushAnswer:
        now = format_ts(utc_now())
        try:
            result = _ingest_body(device_id, token, body, now, exact=False)
        except Inexact:  # the fast reading is kept only if all of it is accepted
            result = _ingest_body(device_id, token, body, now, exact=True)
        if result.fork is not None:
            raise HQError(
                409, "fork", f"Quarantined: {result.fork}.", acked_through=result.acked_through
            )
        return PushAnswer(
            acked_through=result.acked_through,
            stored=result.stored,
            duplicates=result.duplicates,
            held=result.held,
        )

    def _ingest_body(
        device_id: str, token: str, body: bytes, now: str, *, exact: bool
    ) -> IngestResult:
        # Parsed here, off the event loop (a push is a megabyte), and before the
        # transaction, which holds the device's row (on SQLite, the database).
        events = _events_of(body, exact=exact)
        with engine.begin() as conn:
            row = devices.authenticate(conn, token, device_id, lock=True)
            return ingest(conn, row, events, now, exact=exact)

    return app


def _events_of(body: bytes, *, exact: bool) -> list[Any]:
    try:
        parsed = parse_body(body, exact=exact)
    except (ValueError, UnicodeDecodeError):
        raise HQError(422, "bad_request", "The body is not JSON.") from None
    events = parsed.get("events") if isinstance(parsed, dict) else None
    if not isinstance(events, list):
        raise HQError(422, "bad_request", 'The body is {"events": [...]}.')
    return events


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HQError(401, "no_token", "Send the till's token as Authorization: Bearer.")
    return token.strip()


def _error(error: HQError) -> Response:
    return JSONResponse(error.body(), status_code=error.status)
