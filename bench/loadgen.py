"""The load generator: closed-loop HTTP/1.1 clients on raw asyncio streams (uvloop), in a process of its own.

    .venv/bin/python -m bench.loadgen spec.json      # prints one JSON object

Each of ``clients`` keep-alive connections sends its next request when the last one answered. Requests that start
in the measured window (after ``warmup``, for ``seconds``) count; ``bodies`` (a list, each sent once) end the run
early when used up. At the window's edges it samples the CPU time of the server's process trees (``cpu_pids``: the
roots, their children included, from /proc) and the counters of the statement-counting proxy (``counter_port``), so
the figures cover exactly the window. With one client the edges fall between two requests, so statement counts per
request are exact. Its own CPU time is reported too: it must stay well below the server's for the figures to mean
anything on a shared machine. A spec is a JSON object; see ``Spec``.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.pgcount import read_counters, run_fast

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Spec:
    port: int
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None  # "{n}" is replaced by the request's sequence number
    bodies: list[str] | None = None
    clients: int = 1
    warmup: float = 1.0
    seconds: float = 5.0
    ok: list[int] = field(default_factory=lambda: [200, 201])
    must_contain: str | None = None  # an answer with an ok status but without this text is an error too
    cpu_pids: list[int] = field(default_factory=list)
    counter_port: int | None = None
    pg_stat: list[str] | None = None  # [admin libpq URL, database name]: sample pg_stat_database at the edges


@dataclass
class Result:
    requests: int
    errors: int
    statuses: dict[str, int]
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_s: float | None
    loadgen_cpu_s: float
    counters: dict[str, Any] | None
    pg_stat: dict[str, float] | None = None
    error_sample: str = ""


def tree_cpu_seconds(roots: list[int]) -> float:
    """utime + stime of the given processes and all their descendants alive now."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    wanted = set(roots)
    grew = True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        grew = bool(more)
        wanted |= more
    return sum(times.get(pid, 0.0) for pid in wanted)


def counter_diff(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            old = before.get(key, {})
            out[key] = {k: v - old.get(k, 0) for k, v in value.items() if v - old.get(k, 0)}
        else:
            out[key] = value - before.get(key, 0)
    return out


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Snapshot:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.at = time.perf_counter()
        self.cpu = tree_cpu_seconds(spec.cpu_pids) if spec.cpu_pids else None
        self.counters = read_counters(spec.counter_port) if spec.counter_port else None
        self.pg_stat = pg_stat_sample(*spec.pg_stat) if spec.pg_stat else None
        usage = resource.getrusage(resource.RUSAGE_SELF)
        self.own_cpu = usage.ru_utime + usage.ru_stime


def pg_stat_sample(admin_url: str, database: str) -> dict[str, float]:
    """Sessions opened and transactions ended in ``database`` so far (PostgreSQL's statistics, flushed by each
    backend at most once a second, so a window's edges are fuzzy by that much), and the CPU seconds of the backends
    connected to it now (from /proc: this machine's server)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT sessions, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (database,)
        ).fetchone()
        pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,))]
    out: dict[str, float] = {"sessions": int(row[0]), "transactions": int(row[1])} if row else {}
    cpu: dict[str, float] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        cpu[f"backend_cpu_s.{pid}"] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    out.update(cpu)
    return out


def pg_stat_diff(last: dict[str, float], first: dict[str, float]) -> dict[str, float]:
    """Counters' differences; the backends' CPU summed over those connected at both edges (a pooled connection
    lives through the window; one opened or closed inside it is missed, which the sessions figure shows)."""
    out = {k: v - first.get(k, 0) for k, v in last.items() if not k.startswith("backend_cpu_s.")}
    out["backend_cpu_s"] = sum(v - first[k] for k, v in last.items() if k.startswith("backend_cpu_s.") and k in first)
    return out


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    keep_alive = b"connection: close" not in lower
    at = lower.find(b"content-length:")
    if at >= 0:
        length = int(lower[at + 15 : lower.index(b"\r\n", at)])
        return status, await reader.readexactly(length), keep_alive
    if b"transfer-encoding: chunked" in lower:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(parts), keep_alive
            parts.append(chunk[:-2])
    return status, await reader.read(), False


async def run(spec: Spec) -> Result:
    host = "127.0.0.1"
    base_headers = "".join(f"{k}: {v}\r\n" for k, v in spec.headers.items())
    body_iter = iter(spec.bodies) if spec.bodies is not None else None
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    errors = 0
    error_sample = ""
    sequence = 0
    start = time.perf_counter()
    measure_from = start + spec.warmup
    stop_at = measure_from + spec.seconds
    single = spec.clients == 1
    needle = spec.must_contain.encode() if spec.must_contain else None
    edges: list[Snapshot] = []

    def request_bytes() -> bytes | None:
        nonlocal sequence
        sequence += 1
        if body_iter is not None:
            body: str | None = next(body_iter, None)
            if body is None:
                return None
        else:
            body = spec.body.replace("{n}", str(sequence)) if spec.body is not None else None
        payload = body.encode() if body is not None else b""
        extra = f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n" if body is not None else ""
        return f"{spec.method} {spec.path} HTTP/1.1\r\nHost: {host}\r\n{base_headers}{extra}\r\n".encode() + payload

    async def client() -> None:
        nonlocal errors, error_sample
        reader, writer = await asyncio.open_connection(host, spec.port)
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                if single and not edges and t0 >= measure_from:
                    edges.append(Snapshot(spec))
                    t0 = time.perf_counter()
                request = request_bytes()
                if request is None:
                    return
                writer.write(request)
                status, body, keep_alive = await _read_response(reader)
                elapsed = (time.perf_counter() - t0) * 1000
                if measure_from <= t0 < stop_at:
                    statuses[str(status)] = statuses.get(str(status), 0) + 1
                    if status in spec.ok and (needle is None or needle in body):
                        latencies.append(elapsed)
                    else:
                        errors += 1
                        error_sample = error_sample or body[:300].decode("utf-8", "replace")
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, spec.port)
        finally:
            writer.close()

    async def edges_by_clock() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
        edges.append(Snapshot(spec))

    clock = None if single else asyncio.get_running_loop().create_task(edges_by_clock())
    tasks = [asyncio.get_running_loop().create_task(client()) for _ in range(spec.clients)]
    if single:
        await tasks[0]
    else:
        done, _ = await asyncio.wait(tasks, timeout=max(0.0, stop_at - time.perf_counter()))
        for task in done:
            task.result()  # a client that failed fails the run
    end = Snapshot(spec) if edges else None  # the window's end: now, with the last requests still in flight
    await asyncio.gather(*tasks)
    if clock is not None:
        await clock
    first = edges[0] if edges else Snapshot(spec)
    last = end or Snapshot(spec)
    seconds = max(1e-9, last.at - first.at)
    return Result(
        requests=len(latencies),
        errors=errors,
        statuses=statuses,
        seconds=seconds,
        rps=len(latencies) / seconds,
        p50_ms=quantile(latencies, 0.50),
        p99_ms=quantile(latencies, 0.99),
        server_cpu_s=None if first.cpu is None or last.cpu is None else last.cpu - first.cpu,
        loadgen_cpu_s=last.own_cpu - first.own_cpu,
        counters=None
        if first.counters is None or last.counters is None
        else counter_diff(last.counters, first.counters),
        pg_stat=None if first.pg_stat is None or last.pg_stat is None else pg_stat_diff(last.pg_stat, first.pg_stat),
        error_sample=error_sample,
    )


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = Spec(**json.load(f))
    result: list[Result] = []

    async def go() -> None:
        result.append(await run(spec))

    run_fast(go())
    print(json.dumps(asdict(result[0])))


if __name__ == "__main__":
    main()
