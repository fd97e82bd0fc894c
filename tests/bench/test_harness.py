"""Smoke test of the benchmark harness (bench/): a second of load on the bare one-INSERT endpoint, through the
statement-counting proxy, gives numbers, and the counts are exact. Nothing here is timed; PostgreSQL only (the
benchmarks are)."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from bench.loadgen import Spec
from bench.procs import (
    ROOT,
    Code,
    admin_url,
    counting_proxy,
    free_port,
    fresh_database,
    libpq_url,
    load,
    python_process,
    through_proxy,
)
from bench.tables import render

from tests.support.databases import backend

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="the benchmarks run on PostgreSQL only")


def test_load_on_the_ceiling_endpoint_is_timed_and_counted() -> None:
    admin_url()  # a PostgreSQL server answers (else this fails, naming how to point at one)
    with counting_proxy() as (proxy_port, control_port), fresh_database() as database_url:
        port = free_port()
        env = dict(
            os.environ,
            PYTHONPATH=Code("after", ROOT).pythonpath(),
            DATABASE_URL=through_proxy(database_url, proxy_port),
        )
        ready = f"http://127.0.0.1:{port}/healthz"
        with python_process(["-m", "bench.ceiling", "--port", str(port)], env, ready_url=ready) as server:
            common: dict[str, Any] = {"port": port, "method": "POST", "path": "/insert", "warmup": 0.2}
            common["cpu_pids"] = [server.pid]
            one = load(Spec(clients=1, seconds=1.0, counter_port=control_port, **common))
            many = load(Spec(clients=4, seconds=0.5, **common))
        with psycopg.connect(libpq_url(database_url)) as conn:
            row = conn.execute("SELECT count(*) FROM bench_rows").fetchone()
    assert row is not None
    stored = row[0]

    assert one["requests"] > 0
    assert one["errors"] == 0
    assert many["requests"] > 0
    assert many["errors"] == 0
    assert one["requests"] + many["requests"] <= stored  # every answered request wrote its row
    assert one["server_cpu_s"] > 0
    assert one["p50_ms"] <= one["p99_ms"]
    # One client: the window's edges fall between requests, so each request's statements are counted exactly.
    kinds = one["counters"]["kinds"]
    assert kinds["insert"] == one["requests"]
    assert kinds["begin"] == one["requests"]
    assert kinds["commit"] == one["requests"]

    table = render(
        {
            "started": "start",
            "finished": "end",
            "machine": "this machine",
            "versions": {"after": {"create@32": many, "count.create": one}},
        }
    )
    per_create = next(line for line in table.splitlines() if line.startswith("| SQL statements per create"))
    assert per_create == f"| SQL statements per create | {one['counters']['statements'] / one['requests']:.1f} |"
