"""An ``Idempotency-Key`` request whose API process died mid-request: the retry with the same key and body is
answered from the push the dead request started (or, if it started none, takes the key over and starts one), and the
HRIS sees exactly one create either way.

Real processes over real sockets (tests/fault/cluster.py): `hirebridge serve --workers 0` accepts the push and then
waits for a verdict no worker gives, so the request is stalled after its push row committed; the test SIGKILLs that
process, starts a worker and a new API process, and retries. BambooHR's simulator journals every call it gets.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.ats import idempotency
from hirebridge.ats.models import IdempotencyRecord
from hirebridge.ats.pushes import PushToHrisBody
from hirebridge.db.migrate import upgrade
from hirebridge.hris.models import HrisPush
from hirebridge.orgs.service import IssuedCredentials, create_organization
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, Hiring, make_application, wait_for
from tests.fault.cluster import Cluster
from tests.hardening import sensitive
from tests.support.databases import fresh_database
from tests.support.servers import serve

ENDPOINT = "candidate.pushToHris"
PUSH_WAIT_SECONDS = 30.0  # how long the first request waits for a verdict that, with no worker, never comes


@pytest.fixture
def cluster(tmp_path: Any) -> Iterator[Cluster]:
    with fresh_database() as url:
        upgrade(url)
        deployment = Cluster(url, tmp_path, lease_seconds=60.0, push_wait_seconds=PUSH_WAIT_SECONDS)
        try:
            yield deployment
        finally:
            deployment.close()


@pytest.fixture
def bamboo() -> Iterator[str]:
    from hirebridge.sandbox.bamboohr.app import create_app

    app = create_app(company_domain=BAMBOO_CREDENTIALS["companyDomain"], api_key=BAMBOO_CREDENTIALS["apiKey"])
    with serve(app) as url:
        yield url


def _organization(cluster: Cluster, api_url: str, sim_url: str) -> tuple[IssuedCredentials, Hiring]:
    with cluster.runtime.transaction() as session:
        org = create_organization(session, "Dead API process")
    sensitive.SENSITIVE.add("api key", org.api_key)
    hiring = make_application(cluster.runtime, org.organization_id)
    created = httpx.post(
        f"{api_url}/hrisConnection.create",
        auth=(org.api_key, ""),
        json={
            "system": "bamboohr",
            "name": "BambooHR",
            "baseUrl": sim_url,
            "credentials": BAMBOO_CREDENTIALS,
            "rateLimitPerSecond": 100,
        },
        timeout=30,
    ).json()
    assert created["success"] is True, created
    return org, hiring


def _push(api_url: str, org: IssuedCredentials, body: dict[str, Any], key: str) -> httpx.Response:
    return httpx.post(
        f"{api_url}/{ENDPOINT}",
        json=body,
        auth=(org.api_key, ""),
        headers={idempotency.HEADER: key},
        timeout=PUSH_WAIT_SECONDS * 3,
    )


def _record(cluster: Cluster, org: IssuedCredentials, key: str) -> IdempotencyRecord | None:
    with cluster.runtime.sessions() as session:
        record = session.scalars(
            select(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == org.organization_id, IdempotencyRecord.key == key
            )
        ).first()
        if record is not None:
            session.expunge(record)
        return record


def _pushes(cluster: Cluster, hiring: Hiring) -> list[str]:
    with cluster.runtime.sessions() as session:
        return list(session.scalars(select(HrisPush.id).where(HrisPush.application_id == hiring.application_id)))


def _creates(sim_url: str) -> list[dict[str, Any]]:
    """The simulator's journal of calls that create an employee (POST .../v1/employees/, not an update)."""
    calls: list[dict[str, Any]] = httpx.get(f"{sim_url}/_sandbox/requests", timeout=10).json()["requests"]
    return [c for c in calls if c["method"] == "POST" and c["path"].split("?")[0].rstrip("/").endswith("/employees")]


@pytest.mark.slow
def test_a_retry_after_the_api_process_died_answers_from_the_push_it_started(cluster: Cluster, bamboo: str) -> None:
    api_url = cluster.start_api()
    victim = cluster.processes[-1]
    org, hiring = _organization(cluster, api_url, bamboo)
    body = {"applicationId": hiring.application_id, "externalSystem": "bamboohr"}
    key = f"push-{uuid.uuid4()}"

    first: dict[str, Any] = {}

    def send_first() -> None:
        try:
            first["response"] = _push(api_url, org, body, key)
        except httpx.HTTPError as exc:
            first["error"] = exc

    thread = threading.Thread(target=send_first)
    thread.start()
    # The request's push row is committed (and linked to the key); it now waits for a verdict.
    linked = wait_for(lambda: (r := _record(cluster, org, key)) is not None and r.subject_id is not None and r)
    assert linked.subject_id in _pushes(cluster, hiring)
    # A live request renews its lease: longer than one lease later, the claim is still its own.
    time.sleep(idempotency.LEASE_SECONDS + idempotency.RENEW_SECONDS)
    renewed = _record(cluster, org, key)
    assert renewed is not None
    assert renewed.owner == linked.owner
    assert renewed.lease_expires_at is not None
    assert linked.lease_expires_at is not None
    assert renewed.lease_expires_at > linked.lease_expires_at

    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(30)
    thread.join(60)
    assert "error" in first, f"the killed process answered: {first}"
    assert _creates(bamboo) == [], "nothing was sent before a worker ran"

    cluster.start_worker(2)
    api_url = cluster.start_api()
    started = time.monotonic()
    retried = _push(api_url, org, body, key)
    answered_after = time.monotonic() - started
    assert retried.status_code == 200, retried.text
    answer = retried.json()
    assert answer["success"] is True, answer
    assert answer["results"]["id"] == linked.subject_id
    assert answer["results"]["state"] == "succeeded"
    assert answer["results"]["operation"] == "create"
    assert _pushes(cluster, hiring) == [linked.subject_id]
    assert len(_creates(bamboo)) == 1
    assert len(httpx.get(f"{bamboo}/_sandbox/records", timeout=10).json()["records"]) == 1

    # That answer is the key's from now on: replayed byte for byte.
    replayed = _push(api_url, org, body, key)
    assert replayed.headers.get(idempotency.REPLAYED_HEADER) == "true"
    assert replayed.json() == answer
    assert len(_creates(bamboo)) == 1
    print(f"\nretry answered {answered_after:.1f} s after it was sent (lease {idempotency.LEASE_SECONDS:.0f} s)")  # noqa: T201


@pytest.mark.slow
def test_a_key_whose_dead_owner_started_nothing_is_taken_over_and_pushed_once(cluster: Cluster, bamboo: str) -> None:
    api_url = cluster.start_api()
    cluster.start_worker(2)
    org, hiring = _organization(cluster, api_url, bamboo)
    body = {"applicationId": hiring.application_id, "externalSystem": "bamboohr"}
    key = f"push-{uuid.uuid4()}"
    # What a request that claimed the key and died before its push committed leaves behind: the claim alone (its
    # push transaction rolled back with its process). Made with the service's own claim, and never renewed.
    canonical = PushToHrisBody.model_validate(body).model_dump(mode="json")
    dead = idempotency.claim(
        cluster.runtime,
        organization_id=org.organization_id,
        key=key,
        endpoint=ENDPOINT,
        request_sha256=idempotency.fingerprint({"endpoint": ENDPOINT, "body": canonical}),
        wait_seconds=0,
    )
    assert dead.record_id is not None

    retried = _push(api_url, org, body, key)
    assert retried.status_code == 200, retried.text
    answer = retried.json()
    assert answer["success"] is True, answer
    assert answer["results"]["state"] == "succeeded"
    assert _pushes(cluster, hiring) == [answer["results"]["id"]]
    assert len(_creates(bamboo)) == 1
    record = _record(cluster, org, key)
    assert record is not None
    assert record.id == dead.record_id
    assert record.subject_id == answer["results"]["id"]
    assert record.status_code == 200
