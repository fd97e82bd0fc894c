"""A worker process SIGKILLed mid-push: within seconds its push reads "worker lost, will be retried at ...", and
another worker takes the job over well before the lease would have let it, without a second record in the HRIS.

Real processes over real sockets, as in test_exactly_once: the API (`serve --workers 0`), `hirebridge worker`
processes, and BambooHR's simulator answering slowly, so that the kill lands while the push's create is in flight.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.db.migrate import upgrade
from hirebridge.db.types import utcnow
from hirebridge.delivery.heartbeat import LOST_AFTER_SECONDS
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob, JobState
from hirebridge.orgs.service import create_organization
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, make_application
from tests.fault.cluster import Cluster
from tests.support.databases import fresh_database
from tests.support.servers import serve

LEASE_SECONDS = 120.0  # long, so that only the heartbeat can explain a quick takeover
LOST_SHOWN_WITHIN_SECONDS = 10.0
LATENCY_MS = 1500  # each call to the simulator takes this long: the kill lands mid-call


@pytest.fixture
def cluster(tmp_path: Any) -> Iterator[Cluster]:
    with fresh_database() as url:
        upgrade(url)
        deployment = Cluster(url, tmp_path, lease_seconds=LEASE_SECONDS, push_wait_seconds=0.5)
        try:
            deployment.start_api()
            yield deployment
        finally:
            deployment.close()


def _info(client: httpx.Client, push_id: str) -> dict[str, Any]:
    answer = client.post("/hrisPush.info", json={"pushId": push_id}).json()
    assert answer["success"] is True, answer
    result: dict[str, Any] = answer["results"]
    return result


@pytest.mark.slow
def test_a_killed_workers_push_shows_worker_lost_within_seconds_and_succeeds_after_takeover(cluster: Cluster) -> None:
    from hirebridge.sandbox.bamboohr.app import create_app

    with cluster.runtime.transaction() as session:
        org = create_organization(session, "Worker lost")
    hiring = make_application(cluster.runtime, org.organization_id)
    app = create_app(company_domain=BAMBOO_CREDENTIALS["companyDomain"], api_key=BAMBOO_CREDENTIALS["apiKey"])
    with (
        serve(app) as sim_url,
        httpx.Client(base_url=cluster.api_url, auth=(org.api_key, ""), timeout=30) as client,
    ):
        assert httpx.put(f"{sim_url}/_sandbox/faults", json={"latency_ms": LATENCY_MS}).status_code == 200
        created = client.post(
            "/hrisConnection.create",
            json={
                "system": "bamboohr",
                "name": "BambooHR, slow",
                "baseUrl": sim_url,
                "credentials": BAMBOO_CREDENTIALS,
                "rateLimitPerSecond": 100,
            },
        ).json()
        assert created["success"] is True, created
        victim = cluster.start_worker(2)
        try:
            answer = client.post(
                "/candidate.pushToHris", json={"applicationId": hiring.application_id, "externalSystem": "bamboohr"}
            ).json()
            assert answer["success"] is True, answer
            push_id = answer["results"]["id"]

            # Kill the worker while it holds the push's lease (its call to the HRIS is in flight).
            prefix = cluster.lease_prefix(victim)
            deadline = time.monotonic() + 60
            while True:
                with cluster.runtime.sessions() as session:
                    job = session.scalars(select(DeliveryJob).where(DeliveryJob.subject_id == push_id)).one()
                    session.expunge(job)
                if job.state == JobState.RUNNING and (job.lease_owner or "").startswith(prefix):
                    break
                assert time.monotonic() < deadline, "the worker never took the push"
                time.sleep(0.01)
            time.sleep(LATENCY_MS / 2000)  # into the call
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(30)
            killed_at = time.monotonic()
            lease_ends = job.lease_expires_at
            assert lease_ends is not None

            # No worker is alive: the push says its worker was lost, within seconds, instead of 'running' silently.
            while True:
                info = _info(client, push_id)
                message = info["errorMessage"] or ""
                if "worker lost" in message:
                    break
                assert info["state"] == "running", info
                assert time.monotonic() - killed_at < LOST_SHOWN_WITHIN_SECONDS, f"no 'worker lost' in {info}"
                time.sleep(0.2)
            shown_after = time.monotonic() - killed_at
            assert info["state"] == "running"
            assert "will be retried" in message, message

            # A new worker takes the job over at once (the heartbeat, not the lease), and the push succeeds once.
            cluster.start_worker(2)
            while info["state"] not in ("succeeded", "failed"):
                assert utcnow() < lease_ends - timedelta(seconds=LEASE_SECONDS / 2), "not taken over before the lease"
                time.sleep(0.2)
                info = _info(client, push_id)
            taken_over_after = time.monotonic() - killed_at
            records = httpx.get(f"{sim_url}/_sandbox/records").json()["records"]
        finally:
            cluster.stop_workers()

    assert info["state"] == "succeeded", info
    assert info["errorMessage"] is None
    assert [r["workEmail"].lower() for r in records] == [hiring.email.lower()], "not exactly one employee"
    with cluster.runtime.sessions() as session:
        outcomes = list(
            session.scalars(
                select(DeliveryAttempt.outcome)
                .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
                .where(DeliveryJob.subject_id == push_id)
                .order_by(DeliveryAttempt.number)
            )
        )
    assert (outcomes[0], outcomes[-1]) == ("interrupted", "succeeded"), outcomes
    print(  # noqa: T201 - the figures of this run, shown with -s
        f"\nworker lost shown {shown_after:.1f} s after the kill (heartbeat lost after {LOST_AFTER_SECONDS} s); "
        f"succeeded {taken_over_after:.1f} s after the kill (lease {LEASE_SECONDS:.0f} s); attempts {outcomes}"
    )
