"""Push throughput of one `hirebridge worker` process against a slow HRIS, and our own CPU time per push.

    .venv/bin/python -m bench.push_throughput [--hires 1000] [--threads 32] [--latency-ms 200] [--rate 50]

On a fresh PostgreSQL database: the BambooHR simulator runs in its own process with every call taking
``--latency-ms``; `hirebridge serve --workers 0` takes the pushes (``candidate.pushToHris`` over HTTP, answered at
once as queued) for ``--hires`` accepted hires; then ONE `hirebridge worker --threads N` process delivers them all.
Figures are taken in the steady window, from the 50th finished push to the last:

- pushes/s, and that rate as a share of the connection's rate limit (the target is 90% at 50/s);
- the worker's CPU seconds (utime + stime from /proc) in that window per push: what our own work costs;
- p50/p99 of one attempt (claim to recorded outcome), which the HRIS's latency dominates.

Two runs in the same invocation, same process settings: the connection limited to ``--rate`` per second, and, as
the baseline, to the highest limit a connection may have (100/s), which shows how far one process gets when the
limit is not what holds it back (its own CPU is: our work runs under one interpreter lock).

Threads matter because each attempt waits on the HRIS: at 200 ms a thread delivers at most ~2.5 pushes/s once our
own database work is added, so filling 50/s takes ~32 threads (`hirebridge worker --threads 32`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from sqlalchemy import func, select

from bench.common import HIREBRIDGE, ROOT, create_org, free_port, postgres_database, running_service, service_env

BAMBOO = {"companyDomain": "demo", "apiKey": "sandbox-key"}  # what `hirebridge sandbox bamboohr` accepts
WINDOW_FROM = 50


@dataclass
class Run:
    name: str
    limit: float
    threads: int
    pushes: int
    seconds: float
    cpu_seconds: float
    attempt_ms: list[float]
    failed: int

    @property
    def rate(self) -> float:
        return self.pushes / self.seconds


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_simulator(latency_ms: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    process = subprocess.Popen(
        [HIREBRIDGE, "sandbox", "bamboohr", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(f"{url}/_sandbox/records", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    httpx.put(f"{url}/_sandbox/faults", json={"latency_ms": latency_ms}, timeout=5).raise_for_status()
    httpx.put(f"{url}/_sandbox/settings", json={"enforce_unique_work_email": False}, timeout=5).raise_for_status()
    return url, process


def one_run(name: str, env: dict[str, str], api: str, sim: str, hires: int, threads: int, limit: float) -> Run:
    from tests.ats.hris_helpers import make_application

    from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
    from hirebridge.hris.models import HrisPush, PushState
    from hirebridge.runtime import Runtime
    from hirebridge.settings import Settings

    issued = create_org(env, f"Bench {name}")
    runtime = Runtime.from_settings(Settings())
    ats = httpx.Client(base_url=api, auth=(issued["api_key"], ""), timeout=60)
    created = ats.post(
        "/hrisConnection.create",
        json={
            "system": "bamboohr",
            "name": name,
            "baseUrl": sim,
            "credentials": BAMBOO,
            "rateLimitPerSecond": limit,
            "requiresAcceptedOffer": False,
        },
    ).json()
    assert created["success"], created
    connection_id = created["results"]["id"]
    print(f"  {name}: creating {hires} hires and queueing their pushes ...", file=sys.stderr)
    applications = [make_application(runtime, issued["organization_id"]).application_id for _ in range(hires)]

    def push(application_id: str) -> None:
        answer = ats.post("/candidate.pushToHris", json={"applicationId": application_id, "externalSystem": "bamboohr"})
        assert answer.json()["success"], answer.text

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(push, applications))

    worker = subprocess.Popen(
        [HIREBRIDGE, "worker", "--threads", str(threads)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    window_start: tuple[float, float] | None = None
    last_done = 0
    interactive = sys.stderr.isatty()
    try:
        while True:
            with runtime.sessions() as session:
                done = session.scalar(
                    select(func.count())
                    .select_from(HrisPush)
                    .where(
                        HrisPush.connection_id == connection_id,
                        HrisPush.state.in_([PushState.SUCCEEDED, PushState.FAILED]),
                    )
                )
            now, cpu = time.monotonic(), cpu_seconds(worker.pid)
            done = done or 0
            if window_start is None and done >= WINDOW_FROM:
                window_start, first_done = (now, cpu), done
            # A live counter on a terminal; in a log, one line per tenth of the run.
            if done != last_done and (interactive or done * 10 // hires != last_done * 10 // hires):
                line = f"  {name}: {done}/{hires} pushed"
                print(f"\r{line}" if interactive else line, end="" if interactive else "\n", file=sys.stderr)
                last_done = done
            if done >= hires:
                break
            time.sleep(0.05)
        if interactive:
            print(file=sys.stderr)
        assert window_start is not None
        with runtime.sessions() as session:
            pushes = list(session.scalars(select(HrisPush).where(HrisPush.connection_id == connection_id)))
            finished = sorted(p.finished_at for p in pushes if p.finished_at is not None)
            failed = sum(1 for p in pushes if p.state == PushState.FAILED)
            attempts = session.execute(
                select(DeliveryAttempt.started_at, DeliveryAttempt.finished_at)
                .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
                .join(HrisPush, HrisPush.id == DeliveryJob.subject_id)
                .where(HrisPush.connection_id == connection_id)
            ).all()
        seconds = (finished[-1] - finished[first_done - 1]).total_seconds()
        return Run(
            name=name,
            limit=limit,
            threads=threads,
            pushes=hires - first_done,
            seconds=seconds,
            cpu_seconds=cpu - window_start[1],
            attempt_ms=[(f - s).total_seconds() * 1000 for s, f in attempts if f is not None],
            failed=failed,
        )
    finally:
        worker.terminate()
        worker.wait(30)
        ats.close()
        runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hires", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    with postgres_database() as url:
        env = service_env(url, HIREBRIDGE_PUSH_WAIT_SECONDS="0")
        os.environ.update({k: v for k, v in env.items() if k.startswith(("HIREBRIDGE_", "DATABASE_URL"))})
        sim, sim_process = start_simulator(args.latency_ms)
        try:
            with running_service(env, "--workers", "0") as (api, _):
                runs = [
                    one_run("limited", env, api, sim, args.hires, args.threads, args.rate),
                    one_run("baseline", env, api, sim, args.hires, args.threads, 100.0),
                ]
        finally:
            sim_process.terminate()
            sim_process.wait(30)

    print(
        f"\none worker process, HRIS latency {args.latency_ms} ms, {args.hires} pushes per run "
        f"(PostgreSQL, {os.cpu_count()} CPUs shared by the worker, database, simulator and this script)"
    )
    print(
        f"{'run':<10} {'limit/s':>8} {'threads':>8} {'pushes/s':>9} {'of limit':>9} "
        f"{'CPU ms/push':>12} {'attempt p50':>12} {'p99 ms':>8} {'failed':>7}"
    )
    for r in runs:
        quantiles = statistics.quantiles(r.attempt_ms, n=100, method="inclusive")
        print(
            f"{r.name:<10} {r.limit:>8.0f} {r.threads:>8} {r.rate:>9.1f} {r.rate / r.limit:>8.0%} "
            f"{r.cpu_seconds / r.pushes * 1000:>12.2f} {quantiles[49]:>12.0f} {quantiles[98]:>8.0f} {r.failed:>7}"
        )
    limited, baseline = runs
    # The connection's bucket starts full (its burst is one second of the limit), so over a finite window the limit
    # allows a little more than the rate itself.
    allowed = limited.limit + limited.limit / limited.seconds
    print(
        f"the limit allows at most {allowed:.1f}/s over the limited run's {limited.seconds:.1f} s window "
        f"(the bucket starts with {limited.limit:.0f} tokens)"
    )
    print(
        f"limited run at {limited.rate / limited.limit:.0%} of its limit (target 90%); "
        f"one process's ceiling {baseline.rate:.1f} pushes/s ({limited.rate / baseline.rate:.0%} of it used)"
    )


if __name__ == "__main__":
    main()
