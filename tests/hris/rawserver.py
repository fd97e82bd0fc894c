"""A TCP server that misbehaves on purpose: it reads the whole request, then drops the answer half-way or hangs."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


class MisbehavingServer:
    def __init__(self, behaviour: str) -> None:
        assert behaviour in ("drop", "hang")
        self.behaviour = behaviour
        self.requests_read = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="misbehaving-server")
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                self._read_request(conn)
                self.requests_read += 1
                if self.behaviour == "drop":
                    conn.sendall(
                        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"
                    )
                else:
                    self._stop.wait(10)

    @staticmethod
    def _read_request(conn: socket.socket) -> None:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()


@contextlib.contextmanager
def misbehaving(behaviour: str) -> Iterator[MisbehavingServer]:
    server = MisbehavingServer(behaviour)
    server._thread.start()
    try:
        yield server
    finally:
        server.close()


def closed_port_url() -> str:
    """A loopback URL on which nothing listens."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
