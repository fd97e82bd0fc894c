"""API figures of one code version: /healthz, candidate create and candidate.pushToHris, under load and counted.

Throughput runs talk to a server connected straight to PostgreSQL; the statement counts come from a second
server of the same code connected through the counting proxy (``bench.pgcount``) and driven by one client, so the
proxy never slows the throughput figures and the counts per request are exact. Both servers run with
``--workers 0`` (no delivery threads polling beside the requests) and ``HIREBRIDGE_PUSH_WAIT_SECONDS=0``
(``candidate.pushToHris`` answers "queued" at once, so it is the API's own work).
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.loadgen import Spec
from bench.pgcount import read_counters
from bench.procs import (
    PYTHON,
    Code,
    admin_url,
    fresh_database,
    load,
    run_json,
    service,
    service_env,
    through_proxy,
)

DESCRIPTION = "We are hiring engineers who care about data that arrives exactly once. " * 6
BAMBOO = {"companyDomain": "demo", "apiKey": "sandbox-key"}  # what the BambooHR simulator accepts
ATS_OK = '"success":true'


@dataclass
class Knobs:
    seconds: float = 5.0  # each measured window
    warmup: float = 1.5
    count_seconds: float = 3.0  # each one-client counting window
    push_hires: int = 1200  # hires seeded for the pushToHris load (each pushed once)
    clients: int = 32


@dataclass
class Tenant:
    organization_id: str
    partner_headers: dict[str, str]
    ats_headers: dict[str, str]
    connection_id: str


def create_tenant(code: Code, env: dict[str, str], url: str, sim_url: str, rate: float = 100.0) -> Tenant:
    """An organization, a partner token, a published job and a BambooHR connection, through the real API."""
    org = create_org(code, env)
    with httpx.Client(base_url=url, timeout=60) as client:
        answer = client.post(
            "/partner/oauth2/token",
            json={"grant_type": "client_credentials"},
            auth=(org["client_id"], org["client_secret"]),
        )
        if answer.status_code != 200:
            raise RuntimeError(f"{code.label}: partner token: {answer.status_code} {answer.text[:300]}")
        token = answer.json()["access_token"]
        partner = {"Authorization": f"Bearer {token}"}
        job = {"title": "Engineer", "description": DESCRIPTION, "external_job_id": "BENCH-JOB"}
        client.post("/partner/v1.0/workday/jobs", json=job, headers=partner).raise_for_status()
        client.post("/partner/v1.0/workday/jobs/BENCH-JOB/publish", headers=partner).raise_for_status()
    ats = ats_headers(org)
    connection_id = create_connection(url, ats, sim_url, rate)
    return Tenant(org["organization_id"], partner, ats, connection_id)


def create_org(code: Code, env: dict[str, str]) -> dict[str, str]:
    """`hirebridge orgs create --json`: organization_id, client_id, client_secret, api_key."""
    org: dict[str, str] = run_json(
        code, env, [*code.hirebridge(), "orgs", "create", f"Bench {secrets.token_hex(3)}", "--json"]
    )
    return org


def ats_headers(org: dict[str, str]) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{org['api_key']}:".encode()).decode()}


def create_connection(url: str, ats_headers: dict[str, str], sim_url: str, rate: float) -> str:
    body = {
        "system": "bamboohr",
        "name": f"bench {secrets.token_hex(3)}",
        "baseUrl": sim_url,
        "credentials": BAMBOO,
        "rateLimitPerSecond": rate,
        "requiresAcceptedOffer": False,
    }
    answer = httpx.post(f"{url}/hrisConnection.create", json=body, headers=ats_headers, timeout=60).json()
    if not answer.get("success"):
        raise RuntimeError(f"hrisConnection.create: {answer}")
    connection_id: str = answer["results"]["id"]
    return connection_id


def seed_hires(code: Code, env: dict[str, str], organization_id: str, count: int) -> list[str]:
    ids: list[str] = run_json(code, env, [PYTHON, "-m", "bench.seed", organization_id, str(count)])
    return ids


def create_body() -> str:
    """A Workday partner candidate; "{n}" makes each request a new candidate and application."""
    run = secrets.token_hex(4)
    body = {
        "ext_job_id": "BENCH-JOB",
        "ext_candidate_id": f"C-{run}-N",
        "ext_application_id": f"A-{run}-N",
        "email": f"candidate.{run}.N@example.com",
        "first_name": "Bench",
        "last_name": "Candidate N",
        "work_experiences": [{"role": "Engineer", "organization": "Acme", "is_current": True, "start_date": "2020-01"}],
    }
    return json.dumps(body).replace("-N", "-{n}").replace(".N@", ".{n}@").replace(" N", " {n}")


def push_bodies(application_ids: list[str]) -> list[str]:
    return [json.dumps({"applicationId": a, "externalSystem": "bamboohr"}) for a in application_ids]


def loads(
    port: int, pids: list[int], tenant: Tenant, knobs: Knobs, push_ids: list[str] | None, pg_stat: list[str]
) -> dict[str, Any]:
    """healthz, creates at 1 and 32 clients, pushToHris at 32 clients (if hires are given) on a direct server."""
    common: dict[str, Any] = {
        "port": port,
        "cpu_pids": pids,
        "warmup": knobs.warmup,
        "seconds": knobs.seconds,
        "pg_stat": pg_stat,
    }
    create: dict[str, Any] = {
        "method": "POST",
        "path": "/partner/v1.0/workday/candidates",
        "headers": tenant.partner_headers,
    }
    out: dict[str, Any] = {}
    out["healthz@32"] = load(Spec(path="/healthz", clients=knobs.clients, **common))
    out["create@1"] = load(Spec(body=create_body(), clients=1, **create, **common))
    out["create@32"] = load(Spec(body=create_body(), clients=knobs.clients, **create, **common))
    if push_ids:
        out["push_api@32"] = load(
            Spec(
                method="POST",
                path="/candidate.pushToHris",
                headers=tenant.ats_headers,
                bodies=push_bodies(push_ids),
                clients=knobs.clients,
                must_contain=ATS_OK,
                **common,
            )
        )
    return out


def api_figures(code: Code, database_url: str, sim_url: str, knobs: Knobs, proxy: tuple[int, int]) -> dict[str, Any]:
    env = service_env(code, database_url)
    pg_stat = [admin_url(), database_url.rsplit("/", 1)[1]]
    out: dict[str, Any] = {}
    with service(code, env, "--workers", "0") as (url, port, process):
        tenant = create_tenant(code, env, url, sim_url)
        push_ids = seed_hires(code, env, tenant.organization_id, knobs.push_hires)
        out.update(loads(port, [process.pid], tenant, knobs, push_ids, pg_stat))
    if "--processes" in code.help("serve"):
        try:
            with service(code, env, "--workers", "0", "--processes", "2") as (url, port, process):
                out["scale2"] = loads(port, [process.pid], tenant, knobs, None, pg_stat)
        except RuntimeError as exc:  # the rest of the run still counts; the table says why this row is missing
            out["scale2_error"] = str(exc)[-500:]
            print(f"   {code.label}: serve --processes 2 failed: {exc}", flush=True)
    out.update(counted(code, env, database_url, sim_url, knobs, proxy))
    return out


def counted(
    code: Code, env: dict[str, str], database_url: str, sim_url: str, knobs: Knobs, proxy: tuple[int, int]
) -> dict[str, Any]:
    """Statements per request (one client, through the proxy), and what an idle `serve` runs per second."""
    port_, control = proxy
    proxied = dict(env, DATABASE_URL=through_proxy(database_url, port_))
    out: dict[str, Any] = {}
    common: dict[str, Any] = {"clients": 1, "warmup": 0.5, "seconds": knobs.count_seconds, "counter_port": control}
    common["pg_stat"] = [admin_url(), database_url.rsplit("/", 1)[1]]
    with service(code, proxied, "--workers", "0") as (url, port, process):
        tenant = create_tenant(code, proxied, url, sim_url)
        push_ids = seed_hires(code, env, tenant.organization_id, 1000)
        common.update(port=port, cpu_pids=[process.pid])
        out["count.healthz"] = load(Spec(path="/healthz", **common))
        out["count.create"] = load(
            Spec(
                method="POST",
                path="/partner/v1.0/workday/candidates",
                headers=tenant.partner_headers,
                body=create_body(),
                **common,
            )
        )
        # Under load: PostgreSQL connections opened per create (a pool smaller than the concurrency opens and closes
        # them); the statement count here is an average over overlapping requests, the one-client one is exact.
        out["count.create@32"] = load(
            Spec(
                method="POST",
                path="/partner/v1.0/workday/candidates",
                headers=tenant.partner_headers,
                body=create_body(),
                **dict(common, clients=knobs.clients),
            )
        )
        out["count.push_api"] = load(
            Spec(
                method="POST",
                path="/candidate.pushToHris",
                headers=tenant.ats_headers,
                bodies=push_bodies(push_ids),
                must_contain=ATS_OK,
                **common,
            )
        )
    out["idle_serve_statements_per_s"] = idle_serve(code, proxy, max(2.0, knobs.count_seconds))
    return out


def idle_serve(code: Code, proxy: tuple[int, int], seconds: float) -> float:
    """Statements per second of a `serve` with its default delivery threads and nothing to deliver."""
    with fresh_database() as database_url:
        env = service_env(code, through_proxy(database_url, proxy[0]))
        with service(code, env):
            time.sleep(2)
            before, t0 = read_counters(proxy[1]), time.monotonic()
            time.sleep(seconds)
            after, t1 = read_counters(proxy[1]), time.monotonic()
    return float(after["statements"] - before["statements"]) / (t1 - t0)
