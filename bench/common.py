"""Shared bench plumbing: a fresh PostgreSQL database, the service in its own process, and a closed-loop load
generator (N concurrent clients, each sending its next request when the last one answered)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
HIREBRIDGE = str(Path(sys.executable).parent / "hirebridge")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    os.environ["HIREBRIDGE_TEST_BACKEND"] = "postgresql"
    sys.path.insert(0, str(ROOT))
    from tests.support.databases import fresh_database

    with fresh_database() as url:
        yield url


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        HIREBRIDGE_SECRET_KEY="bench-" + "k" * 32,
        HIREBRIDGE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        HIREBRIDGE_LOG_LEVEL="WARNING",
        HIREBRIDGE_ALLOW_PRIVATE_NETWORK="true",  # the simulator listens on 127.0.0.1
    )
    env.update(extra)
    return env


@contextlib.contextmanager
def running_service(env: dict[str, str], *args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`hirebridge serve` in its own process; yields its base URL and the process (for CPU accounting)."""
    port = free_port()
    process = subprocess.Popen(
        [HIREBRIDGE, "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"service did not start:\n{err[-2000:]}")
        time.sleep(0.2)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(30)


def create_org(env: dict[str, str], name: str = "Bench Org") -> dict[str, str]:
    out = subprocess.run(
        [HIREBRIDGE, "orgs", "create", name, "--json"], env=env, check=True, capture_output=True
    ).stdout
    result: dict[str, str] = json.loads(out)
    return result


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def quantile(self, q: float) -> float:
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q * 100) - 1]


async def closed_loop(
    name: str,
    send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    base_url: str,
    clients: int,
    seconds: float,
    warmup: float,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code == 200,
) -> LoadResult:
    """`clients` concurrent loops for warmup + seconds; only requests that start after the warmup count."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    errors = 0
    counter = 0
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        stop_at = measure_from + seconds

        async def loop() -> None:
            nonlocal errors, counter
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                counter += 1
                t0 = time.perf_counter()
                response = await send(client, counter)
                elapsed = (time.perf_counter() - t0) * 1000
                if t0 >= measure_from:
                    if ok(response):
                        latencies.append(elapsed)
                    else:
                        errors += 1

        await asyncio.gather(*(loop() for _ in range(clients)))
    return LoadResult(name, len(latencies), errors, seconds, latencies)


def print_table(results: list[LoadResult], baseline: LoadResult) -> None:
    print(f"{'endpoint':<34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs baseline':>12}")
    for r in results:
        print(
            f"{r.name:<34} {r.rps:>9.1f} {r.quantile(0.5):>8.1f} {r.quantile(0.99):>8.1f} {r.errors:>7} "
            f"{r.rps / baseline.rps:>11.2f}x"
        )
