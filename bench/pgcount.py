"""A counting PostgreSQL proxy: every statement a client sends, counted on the wire protocol.

    .venv/bin/python -m bench.pgcount --port 6544 --control-port 6545 [--upstream 127.0.0.1:5432]

Bytes are forwarded unchanged both ways; the client's messages are parsed on the side. A statement is one simple
``Query`` ('Q') or one extended-protocol ``Execute`` ('E') message, so it counts what reaches PostgreSQL whatever
sent it (the ORM, Core, a pool pre-ping, psycopg's implicit ``BEGIN``, a raw ``LISTEN``), in any number of client
processes. ``Sync`` and ``Query`` messages are the round trips (a pipeline sends several statements per ``Sync``).
Each statement is classified by its first keyword (Execute by the ``Parse`` its portal was bound from), and the
first 90 characters of its text are tallied, which tells what a request spends its statements on.

The control port answers one JSON object with the counters (cumulative since start) to any connection, then closes;
callers take differences. The client must not use TLS (``sslmode=disable``), or there is nothing to parse.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import re
from collections.abc import Coroutine
from typing import Any, cast

SSL_OR_GSS_REQUEST = (80877103, 80877104)
KINDS = ("begin", "commit", "rollback", "select", "insert", "update", "delete", "listen", "notify")
_SPACE = re.compile(r"\s+")


class Counters:
    def __init__(self) -> None:
        self.connections = 0
        self.statements = 0
        self.round_trips = 0
        self.kinds: collections.Counter[str] = collections.Counter()
        self.texts: collections.Counter[str] = collections.Counter()

    def statement(self, sql: str) -> None:
        self.statements += 1
        text = _SPACE.sub(" ", sql.strip())[:90]
        first = text.split(" ", 1)[0].lower() if text else ""
        self.kinds[first if first in KINDS else "other"] += 1
        self.texts[text] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "statements": self.statements,
            "round_trips": self.round_trips,
            "kinds": dict(self.kinds),
            "texts": dict(self.texts),
        }


def _cstring(data: bytes, start: int) -> tuple[str, int]:
    end = data.index(0, start)
    return data[start:end].decode("utf-8", "replace"), end + 1


class FrontendParser:
    """Parses the client's side of one connection; keeps prepared statements and portals to classify Execute."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.buffer = bytearray()
        self.startup = True
        self.prepared: dict[str, str] = {}
        self.portals: dict[str, str] = {}

    def feed(self, data: bytes) -> None:
        buf = self.buffer
        buf += data
        offset = 0
        while True:
            if self.startup:  # untyped messages: SSLRequest/GSSENCRequest, then the StartupMessage
                if len(buf) - offset < 8:
                    break
                length = int.from_bytes(buf[offset : offset + 4], "big")
                if len(buf) - offset < length:
                    break
                code = int.from_bytes(buf[offset + 4 : offset + 8], "big")
                self.startup = code in SSL_OR_GSS_REQUEST
                offset += length
                continue
            if len(buf) - offset < 5:
                break
            kind = buf[offset]
            length = int.from_bytes(buf[offset + 1 : offset + 5], "big")
            end = offset + 1 + length
            if len(buf) < end:
                break
            if kind in b"QPBES":
                self._message(kind, bytes(buf[offset + 5 : end]))
            offset = end
        del buf[:offset]

    def _message(self, kind: int, body: bytes) -> None:
        c = self.counters
        if kind == ord("Q"):
            c.round_trips += 1
            c.statement(_cstring(body, 0)[0])
        elif kind == ord("P"):
            name, at = _cstring(body, 0)
            self.prepared[name] = _cstring(body, at)[0]
        elif kind == ord("B"):
            portal, at = _cstring(body, 0)
            self.portals[portal] = self.prepared.get(_cstring(body, at)[0], "")
        elif kind == ord("E"):
            c.statement(self.portals.get(_cstring(body, 0)[0], ""))
        elif kind == ord("S"):
            c.round_trips += 1


class _Pipe(asyncio.Protocol):
    """One direction's sink: writes what the other side received, with back-pressure both ways."""

    def __init__(self, peer: asyncio.Transport | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer = peer
        self.pending: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses

    def data_received(self, data: bytes) -> None:
        if self.peer is not None:
            self.peer.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self.peer.close()


class _Client(asyncio.Protocol):
    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.parser = FrontendParser(proxy.counters)
        self.transport: asyncio.Transport | None = None
        self.upstream: asyncio.Transport | None = None
        self.early: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses
        self.proxy.counters.connections += 1
        self.transport.pause_reading()
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        try:
            upstream, _ = await loop.create_connection(
                lambda: _Pipe(self.transport), self.proxy.upstream_host, self.proxy.upstream_port
            )
        except OSError:
            self.transport.close()
            return
        self.upstream = upstream
        for data in self.early:
            upstream.write(data)
        self.early.clear()
        self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.upstream is None:
            self.early.append(data)  # arrived before the upstream connection was up
        else:
            self.upstream.write(data)
        self.parser.feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.upstream is not None:
            self.upstream.close()


class Proxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.counters = Counters()

    async def control(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(json.dumps(self.counters.as_json()).encode())
        await writer.drain()
        writer.close()

    async def serve(self, port: int, control_port: int) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Client(self), "127.0.0.1", port)
        control = await asyncio.start_server(self.control, "127.0.0.1", control_port)
        print("ready", flush=True)
        async with server, control:
            await asyncio.gather(server.serve_forever(), control.serve_forever())


def run_fast(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop (uvicorn[standard] brings it), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def read_counters(control_port: int) -> dict[str, Any]:
    """The proxy's counters (blocking; for the harness)."""
    import socket

    with socket.create_connection(("127.0.0.1", control_port), timeout=10) as sock:
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    result: dict[str, Any] = json.loads(b"".join(chunks))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--upstream", default="127.0.0.1:5432")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    run_fast(Proxy(host, int(port)).serve(args.port, args.control_port))


if __name__ == "__main__":
    main()
