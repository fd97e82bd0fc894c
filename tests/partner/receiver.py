"""A webhook receiver on a real socket that records what it is sent (the test's stand-in for Workday)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import serve


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, path: str | None = None, timeout: float = 30.0) -> list[Received]:
        """The first ``count`` requests (to ``path``), once they have arrived; fails after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                matching = [r for r in self.requests if path is None or r.path == path]
            if len(matching) >= count or time.monotonic() > deadline:
                assert len(matching) >= count, f"expected {count} deliveries to {path}, got {len(matching)}"
                return matching[:count]
            time.sleep(0.05)


@contextlib.contextmanager
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []

    async def record(request: Request) -> JSONResponse:
        holder[0].requests.append(
            Received(request.url.path, {k.lower(): v for k, v in request.headers.items()}, await request.body())
        )
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])
    with serve(app) as url:
        holder.append(Receiver(url))
        yield holder[0]
