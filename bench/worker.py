"""Push-worker figures of one code version: pushes/s, worker CPU and statements per push, 1 vs 2 processes.

For each run: a new BambooHR connection with the run's rate limit, ``hires`` accepted hires, their pushes queued
through ``candidate.pushToHris`` (a server with ``--workers 0``), and only then ``processes`` x ``hirebridge worker
--threads N`` started, connected through the counting proxy. The measured window runs from the moment a third of the
pushes (at least 50) have finished, past the processes' start and the tokens the rate-limit bucket saved while they
started (it starts full, and a surplus spent inside the window would show as more than the limit), to the last
one: pushes/s, the workers' CPU (their process trees, from /proc) per push, and the statements, transactions
(``BEGIN``s) and round trips they sent per push. The simulator answers every call after ``latency_ms`` and, when
``hris_limit`` is set, enforces that rate itself (throttled calls are counted).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from bench.api import ats_headers, create_connection, create_org, push_bodies, seed_hires
from bench.loadgen import Spec, counter_diff, pg_stat_diff, pg_stat_sample, tree_cpu_seconds
from bench.pgcount import read_counters
from bench.procs import Code, admin_url, libpq_url, load, stop, through_proxy


@dataclass
class WorkerRun:
    name: str
    limit: float
    threads: int
    processes: int
    hires: int
    latency_ms: float
    hris_limit: float | None = None


def _finished(database_url: str, connection_id: str) -> tuple[int, int]:
    with psycopg.connect(libpq_url(database_url)) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE state IN ('succeeded', 'failed')), count(*) FILTER (WHERE state = 'failed')"
            " FROM hris_pushes WHERE connection_id = %s",
            (connection_id,),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _rate(database_url: str, connection_id: str, skip: int) -> float:
    """Pushes per second from the pushes' own finishing times: from the ``skip``-th finished push to the last."""
    with psycopg.connect(libpq_url(database_url)) as conn:
        times = [
            row[0]
            for row in conn.execute(
                "SELECT finished_at FROM hris_pushes WHERE connection_id = %s AND finished_at IS NOT NULL"
                " ORDER BY finished_at",
                (connection_id,),
            )
        ]
    if len(times) <= skip:
        return float("nan")
    seconds = (times[-1] - times[skip - 1]).total_seconds()
    return (len(times) - skip) / seconds if seconds > 0 else float("nan")


def one_run(
    code: Code,
    env: dict[str, str],
    api: tuple[str, int],
    sim_url: str,
    proxy: tuple[int, int],
    run: WorkerRun,
) -> dict[str, Any]:
    """One run, in an organization of its own (one BambooHR connection per organization)."""
    url, port = api
    org = create_org(code, env)
    headers, organization_id = ats_headers(org), org["organization_id"]
    database_url = env["DATABASE_URL"]
    httpx.post(f"{sim_url}/_sandbox/reset", timeout=30).raise_for_status()
    faults = {"latency_ms": run.latency_ms, "rate_limit_per_second": run.hris_limit}
    httpx.put(f"{sim_url}/_sandbox/faults", json=faults, timeout=30).raise_for_status()
    httpx.put(f"{sim_url}/_sandbox/settings", json={"enforce_unique_work_email": False}, timeout=30)
    connection_id = create_connection(url, headers, sim_url, run.limit)
    ids = seed_hires(code, env, organization_id, run.hires)
    queued = load(
        Spec(
            port=port,
            method="POST",
            path="/candidate.pushToHris",
            headers=headers,
            bodies=push_bodies(ids),
            clients=8,
            warmup=0,
            seconds=600,
            must_contain='"success":true',
        )
    )
    if queued["requests"] != run.hires:
        raise RuntimeError(f"{run.name}: {queued['errors']} pushes not queued: {queued['error_sample']}")
    worker_env = dict(env, DATABASE_URL=through_proxy(database_url, proxy[0]))
    workers = [
        subprocess.Popen(
            [*code.hirebridge(), "worker", "--threads", str(run.threads)],
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(run.processes)
    ]
    pids = [w.pid for w in workers]
    window_from = max(50, run.hires // 3)
    pg = (admin_url(), database_url.rsplit("/", 1)[1])
    start: tuple[float, float, dict[str, Any], int, dict[str, float]] | None = None
    deadline = time.monotonic() + 60 + 4 * run.hires / min(run.limit, run.threads * run.processes / 0.25)
    try:
        while True:
            done, failed = _finished(database_url, connection_id)
            now = time.monotonic()
            if start is None and done >= window_from:
                start = (now, tree_cpu_seconds(pids), read_counters(proxy[1]), done, pg_stat_sample(*pg))
            if done >= run.hires:
                end = (now, tree_cpu_seconds(pids), read_counters(proxy[1]), done, pg_stat_sample(*pg))
                break
            if now > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError(f"{code.label} {run.name}: {done}/{run.hires} pushes finished before giving up")
            time.sleep(0.05)
    finally:
        for w in workers:
            stop(w)
    assert start is not None
    pushes = end[3] - start[3]
    seconds = end[0] - start[0]
    counters = {k: end[2][k] - start[2][k] for k in ("statements", "round_trips", "connections")}
    texts = counter_diff(end[2], start[2])["texts"]
    begins = sum(n for text, n in texts.items() if text.upper().startswith("BEGIN"))
    pg_used = pg_stat_diff(end[4], start[4])
    sim = httpx.get(f"{sim_url}/_sandbox/faults", timeout=30).json()["counters"]
    return {
        "pushes": pushes,
        "seconds": seconds,
        "rate": _rate(database_url, connection_id, window_from),
        "limit": run.limit,
        "cpu_ms_per_push": (end[1] - start[1]) / pushes * 1000 if pushes else float("nan"),
        "statements_per_push": counters["statements"] / pushes if pushes else float("nan"),
        "round_trips_per_push": counters["round_trips"] / pushes if pushes else float("nan"),
        "transactions_per_push": begins / pushes if pushes else float("nan"),
        "pg_cpu_ms_per_push": pg_used["backend_cpu_s"] / pushes * 1000 if pushes else float("nan"),
        "new_connections": counters["connections"],
        "statements": dict(sorted(texts.items(), key=lambda item: -item[1])),
        "failed": failed,
        "hris_throttled": sim.get("rate_limited", 0),
    }


def worker_figures(
    code: Code,
    env: dict[str, str],
    api: tuple[str, int],
    sim_url: str,
    proxy: tuple[int, int],
    runs: list[WorkerRun],
) -> dict[str, Any]:
    return {run.name: one_run(code, env, api, sim_url, proxy, run) for run in runs}
