"""Candidate-create throughput of the partner API on PostgreSQL, beside the same server's trivial endpoint.

    .venv/bin/python -m bench.partner_candidates [--clients 32] [--seconds 10]

Starts `hirebridge serve` on a fresh PostgreSQL database (one uvicorn process, log level WARNING), creates an
organization, a published job and a token through the real API, then drives 32 closed-loop clients at
`GET /healthz` (which does one `SELECT 1`) and at `POST /partner/v1.0/workday/candidates` (every request a new
application: validation, three upserts, an invitation). The ratio shows what our own work costs per request.
The load generator runs on the same machine, so absolute figures are a floor; the ratio is the point.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid

import httpx

from bench.common import closed_loop, create_org, postgres_database, print_table, running_service, service_env

DESCRIPTION = "We are hiring engineers who care about data that arrives exactly once. " * 6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    args = parser.parse_args()

    with postgres_database() as database_url:
        env = service_env(database_url)
        with running_service(env) as (url, _process):
            org = create_org(env)
            token = httpx.post(
                f"{url}/partner/oauth2/token",
                json={"grant_type": "client_credentials"},
                auth=(org["client_id"], org["client_secret"]),
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            job = {"title": "Engineer", "description": DESCRIPTION, "external_job_id": "BENCH-JOB"}
            httpx.post(f"{url}/partner/v1.0/workday/jobs", json=job, headers=headers).raise_for_status()
            httpx.post(f"{url}/partner/v1.0/workday/jobs/BENCH-JOB/publish", headers=headers).raise_for_status()
            run = uuid.uuid4().hex[:8]

            async def health(client: httpx.AsyncClient, _n: int) -> httpx.Response:
                return await client.get("/healthz")

            async def create_candidate(client: httpx.AsyncClient, n: int) -> httpx.Response:
                body = {
                    "ext_job_id": "BENCH-JOB",
                    "ext_candidate_id": f"C-{run}-{n}",
                    "ext_application_id": f"A-{run}-{n}",
                    "email": f"candidate{n}@example.com",
                    "first_name": "Bench",
                    "last_name": f"Candidate {n}",
                    "work_experiences": [
                        {"role": "Engineer", "organization": "Acme", "is_current": True, "start_date": "2020-01"}
                    ],
                }
                return await client.post("/partner/v1.0/workday/candidates", json=body, headers=headers)

            common = {"base_url": url, "clients": args.clients, "seconds": args.seconds, "warmup": args.warmup}
            baseline = asyncio.run(closed_loop("GET /healthz (baseline)", health, **common))  # type: ignore[arg-type]
            creates = asyncio.run(
                closed_loop("POST .../workday/candidates", create_candidate, **common)  # type: ignore[arg-type]
            )
    print(f"PostgreSQL, {args.clients} concurrent clients, {args.seconds:.0f} s per endpoint", end="")
    print(f" after {args.warmup:.0f} s warm-up")
    print_table([baseline, creates], baseline)


if __name__ == "__main__":
    main()
