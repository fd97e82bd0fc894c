"""Run an ASGI app on a real socket in a background thread: demo simulators, tests and benches."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn


class ServerThread:
    def __init__(self, app: Any, *, host: str = "127.0.0.1", port: int = 0, **config: Any) -> None:
        config.setdefault("log_level", "warning")
        config.setdefault("access_log", False)
        config.setdefault("lifespan", "on")
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, **config))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="test-server")
        self.host = host
        self.port = port
        self.scheme = "https" if config.get("ssl_certfile") else "http"

    def start(self, timeout: float = 15.0) -> str:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("test server thread died during start-up")
            if time.monotonic() > deadline:
                raise TimeoutError("test server did not start")
            time.sleep(0.01)
        sockets = self.server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self.url

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def stop(self, timeout: float = 15.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


@contextlib.contextmanager
def serve(app: Any, **config: Any) -> Iterator[str]:
    """`with serve(app) as base_url:` the app answers on base_url until the block ends."""
    thread = ServerThread(app, **config)
    url = thread.start()
    try:
        yield url
    finally:
        thread.stop()
