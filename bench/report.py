"""Before/after benchmark of the API and the push worker on PostgreSQL, from one run: one command, one table.

    .venv/bin/python -m bench.report [--before 3ccc400] [--seconds 5] [--json-out FILE]     (or ./scripts/bench)

"before" is a git worktree of ``--before`` under /tmp (created if missing), "after" is this working tree; each runs
its own ``hirebridge`` (its ``src`` first on PYTHONPATH, the same .venv) on its own fresh database
(``bench_<random>``, migrated by its own ``serve``, dropped afterwards). One BambooHR simulator (this tree's) and one
statement-counting proxy serve both. The ceiling (a bare one-INSERT FastAPI endpoint, ``bench.ceiling``) runs once.
How each figure is measured: docs/performance.md. The raw results are written as JSON too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.api import Knobs, api_figures
from bench.loadgen import Spec
from bench.procs import (
    ROOT,
    Code,
    admin_url,
    counting_proxy,
    free_port,
    fresh_database,
    load,
    python_process,
    service,
    service_env,
    through_proxy,
)
from bench.tables import render
from bench.worker import WorkerRun, worker_figures


def worktree(commit: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"hb-before-{commit[:12]}"
    if not (path / "src" / "hirebridge").is_dir():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True)
    return path


@contextlib.contextmanager
def simulator() -> Iterator[str]:
    port = free_port()
    code = Code("after", ROOT)
    env = dict(os.environ, PYTHONPATH=code.pythonpath(), HIREBRIDGE_LOG_LEVEL="WARNING")
    url = f"http://127.0.0.1:{port}"
    args = ["-c", "from hirebridge.cli import main; main()", "sandbox", "bamboohr", "--port", str(port)]
    with python_process(args, env, ready_url=f"{url}/_sandbox/faults"):
        yield url


def ceiling(knobs: Knobs, proxy: tuple[int, int]) -> dict[str, Any]:
    """The bare one-INSERT endpoint: throughput direct, statements through the proxy."""
    out: dict[str, Any] = {}
    env = dict(os.environ, PYTHONPATH=Code("after", ROOT).pythonpath())
    with fresh_database() as database_url:
        for via_proxy in (False, True):
            port = free_port()
            url = database_url
            if via_proxy:
                url = through_proxy(database_url, proxy[0])
            args = ["-m", "bench.ceiling", "--port", str(port)]
            ready = f"http://127.0.0.1:{port}/healthz"
            with python_process(args, dict(env, DATABASE_URL=url), ready_url=ready) as process:
                common: dict[str, Any] = {"port": port, "method": "POST", "path": "/insert", "cpu_pids": [process.pid]}
                if via_proxy:
                    common["pg_stat"] = [admin_url(), database_url.rsplit("/", 1)[1]]
                    out["count.insert"] = load(
                        Spec(clients=1, warmup=0.5, seconds=knobs.count_seconds, counter_port=proxy[1], **common)
                    )
                else:
                    timing: dict[str, Any] = {"warmup": knobs.warmup, "seconds": knobs.seconds}
                    out["insert@1"] = load(Spec(clients=1, **timing, **common))
                    out["insert@32"] = load(Spec(clients=knobs.clients, **timing, **common))
    return out


def worker_runs(knobs: Knobs, hires: int) -> list[WorkerRun]:
    scale = max(100, hires // 2)
    return [
        WorkerRun("limited", limit=50, threads=32, processes=1, hires=hires, latency_ms=200, hris_limit=50),
        WorkerRun("scale1", limit=100, threads=8, processes=1, hires=scale, latency_ms=200),
        WorkerRun("scale2", limit=100, threads=8, processes=2, hires=scale, latency_ms=200),
    ]


def version(code: Code, knobs: Knobs, sim_url: str, proxy: tuple[int, int], hires: int) -> dict[str, Any]:
    print(f"== {code.label}: {code.root}", flush=True)
    started = time.monotonic()
    with fresh_database() as database_url:
        out = api_figures(code, database_url, sim_url, knobs, proxy)
        out["has_processes"] = "--processes" in code.help("serve")
        env = service_env(code, database_url)
        with service(code, env, "--workers", "0") as (url, port, _process):
            out["workers"] = worker_figures(code, env, (url, port), sim_url, proxy, worker_runs(knobs, hires))
    print(f"   {code.label} took {time.monotonic() - started:.0f} s", flush=True)
    return out


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="3ccc400", help="the commit measured as 'before'")
    parser.add_argument("--only", choices=["before", "after"], help="measure one version only")
    parser.add_argument("--seconds", type=float, default=5.0, help="each measured throughput window")
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--hires", type=int, default=750, help="pushes in the 50/s worker run")
    parser.add_argument("--push-hires", type=int, default=1500, help="hires for the pushToHris load")
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args()
    knobs = Knobs(
        seconds=args.seconds, warmup=args.warmup, count_seconds=min(3.0, args.seconds), push_hires=args.push_hires
    )

    started = datetime.now(UTC)
    codes = [] if args.only == "after" else [Code(f"before ({args.before})", worktree(args.before))]
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, check=False)
    if args.only != "before":
        codes.append(Code(f"after ({head.stdout.decode().strip()}+tree)", ROOT))
    results: dict[str, Any] = {"started": started.isoformat(timespec="seconds"), "machine": machine()}
    with counting_proxy() as proxy, simulator() as sim_url:
        results["ceiling"] = ceiling(knobs, proxy)
        results["versions"] = {code.label: version(code, knobs, sim_url, proxy, args.hires) for code in codes}
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    out = args.json_out or Path(tempfile.gettempdir()) / f"hirebridge-bench-{started:%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=1))
    print()
    print(render(results))
    print(f"\n(raw results: {out})")


if __name__ == "__main__":
    main()
