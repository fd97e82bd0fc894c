"""Fault switches shared by every simulator, and the `/_sandbox/` admin surface.

Switches (all off by default, set with ``PUT /_sandbox/faults``):

- ``latency_ms`` / ``latency_jitter_ms``: every vendor call sleeps latency +- jitter before answering.
- ``error_rate``: fraction of calls answered with a 5xx before anything is written.
- ``throttle_rate``: fraction of calls refused as throttled (the vendor's own status, with ``Retry-After``).
- ``timeout_rate``: fraction of calls that hang for ``timeout_seconds`` before anything is written.
- ``drop_after_commit_rate``: fraction of *writes* that are committed and then lose their response (the
  connection is closed mid-response, so the client sees a transport error and cannot know the outcome).
- ``rate_limit_per_second``: a real token bucket; calls beyond it get the vendor's throttle answer.

``GET /_sandbox/requests`` lists the last vendor calls as received (method, path with query, headers with
``Authorization`` redacted, body text), oldest first, so a test can compare what a client sent with what it meant to.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class FaultSwitches(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latency_ms: float = Field(default=0, ge=0, le=60_000)
    latency_jitter_ms: float = Field(default=0, ge=0, le=60_000)
    error_rate: float = Field(default=0, ge=0, le=1)
    throttle_rate: float = Field(default=0, ge=0, le=1)
    retry_after_seconds: int = Field(default=1, ge=0, le=3600)
    timeout_rate: float = Field(default=0, ge=0, le=1)
    timeout_seconds: float = Field(default=30, ge=0, le=600)
    drop_after_commit_rate: float = Field(default=0, ge=0, le=1)
    rate_limit_per_second: float | None = Field(default=None, gt=0)


class TokenBucket:
    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class DroppedResponse(Exception):
    """Raised by a route after its write is committed: the middleware closes the connection mid-response."""


log = logging.getLogger("hirebridge.sandbox")

JOURNAL_SIZE = 200
JOURNAL_BODY_BYTES = 64 * 1024


class Faults:
    """The switches of one simulator and the decisions they lead to. One instance per simulator app."""

    def __init__(self, seed: int | None = None) -> None:
        self.journal: collections.deque[dict[str, Any]] = collections.deque(maxlen=JOURNAL_SIZE)
        self.switches = FaultSwitches()
        self.random = random.Random(seed)  # fault injection, not security
        self._bucket: TokenBucket | None = None
        self.counters: dict[str, int] = {}

    def configure(self, switches: FaultSwitches) -> None:
        self.switches = switches
        rate = switches.rate_limit_per_second
        self._bucket = TokenBucket(rate) if rate else None

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    def _roll(self, rate: float) -> bool:
        return rate > 0 and self.random.random() < rate

    async def before_call(self) -> str | None:
        """Sleep the configured latency, then decide: None (go on), "error", "throttle" or "timeout"."""
        s = self.switches
        if s.latency_ms or s.latency_jitter_ms:
            delay = s.latency_ms + self.random.uniform(-s.latency_jitter_ms, s.latency_jitter_ms)
            await asyncio.sleep(max(0.0, delay) / 1000)
        if self._bucket is not None and not self._bucket.take():
            self.count("rate_limited")
            return "throttle"
        if self._roll(s.throttle_rate):
            self.count("throttle")
            return "throttle"
        if self._roll(s.error_rate):
            self.count("error")
            return "error"
        if self._roll(s.timeout_rate):
            self.count("timeout")
            await asyncio.sleep(s.timeout_seconds)
            return "timeout"
        return None

    def drop_this_write(self) -> bool:
        """Whether a write that has just been committed should lose its response."""
        if self._roll(self.switches.drop_after_commit_rate):
            self.count("dropped_after_commit")
            return True
        return False


class JournalMiddleware:
    """Notes every vendor call (not ``/_sandbox``) in ``faults.journal`` as it arrived, body included."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope.get("headers", []):
            name = raw_name.decode("latin-1").lower()
            headers[name] = "[redacted]" if name == "authorization" else raw_value.decode("latin-1")
        entry: dict[str, Any] = {
            "method": scope.get("method"),
            "path": scope.get("path", "") + (f"?{query}" if query else ""),
            "headers": headers,
            "body": "",
        }
        self.faults.journal.append(entry)
        chunks: list[bytes] = []

        async def journaled() -> Message:
            message = await receive()
            if message["type"] == "http.request" and sum(map(len, chunks)) < JOURNAL_BODY_BYTES:
                chunks.append(message.get("body", b""))
                entry["body"] = b"".join(chunks)[:JOURNAL_BODY_BYTES].decode("utf-8", errors="replace")
            return message

        await self.app(scope, journaled, send)


class DropResponseMiddleware:
    """Turns ``DroppedResponse`` into a connection closed mid-response.

    The response head promises a body that never comes, and the server then closes the connection, so an HTTP
    client sees "peer closed connection" after the write was committed: the outcome is unknown to it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except DroppedResponse:
            start: Message = {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
            }
            await send(start)
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            log.warning(
                "sandbox: response to %s %s dropped after commit (simulated)", scope.get("method"), scope["path"]
            )
            # Raising after the head was sent makes the server abort the connection instead of answering 500; the
            # server's "Exception in ASGI application" record of it is dropped by _QuietDrops.
            raise SimulatedDrop() from None


class SimulatedDrop(RuntimeError):
    """Raised to uvicorn after a dropped response's head: it closes the connection without an answer."""

    def __init__(self) -> None:
        super().__init__("sandbox: response dropped after commit (simulated)")


class _QuietDrops(logging.Filter):
    """Keeps a deliberate drop out of uvicorn's error log: it was logged as one line when it happened."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SimulatedDrop))


_QUIET_DROPS = _QuietDrops()


def admin_router(
    faults: Faults,
    list_records: Callable[[], list[dict[str, Any]]],
    reset: Callable[[], None],
) -> APIRouter:
    """`/_sandbox/`: list the records the simulator holds, read and set fault switches, reset state."""
    router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])

    @router.get("/records")
    def records() -> dict[str, Any]:
        items = list_records()
        return {"count": len(items), "records": items}

    @router.get("/requests")
    def requests() -> dict[str, Any]:
        calls = list(faults.journal)
        return {"count": len(calls), "requests": calls}

    @router.get("/faults")
    def get_faults() -> dict[str, Any]:
        return {"switches": faults.switches.model_dump(), "counters": faults.counters}

    @router.put("/faults")
    def set_faults(switches: FaultSwitches) -> dict[str, Any]:
        faults.configure(switches)
        return {"switches": faults.switches.model_dump()}

    @router.post("/reset")
    def do_reset() -> dict[str, str]:
        reset()
        faults.configure(FaultSwitches())
        faults.counters.clear()
        faults.journal.clear()
        return {"status": "reset"}

    return router


def install(app: FastAPI, faults: Faults | None = None) -> None:
    """Wrap a simulator app so that routes can raise DroppedResponse, and (given its faults) journal its calls."""
    app.add_middleware(DropResponseMiddleware)
    logging.getLogger("uvicorn.error").addFilter(_QUIET_DROPS)  # the same filter object: added once
    if faults is not None:
        app.add_middleware(JournalMiddleware, faults=faults)
