"""Racing and repeated pushToHris calls: ten at once make one push and one HRIS record; Idempotency-Key replays
the first answer, refuses a reused key with another body, and is scoped per organization."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import (
    ats,
    bob_connection,
    call,
    error_code,
    make_application,
    records,
    set_faults,
    simulator,
)

__all__ = ["ats", "simulator"]


@pytest.fixture
def bob_url(ats: httpx.Client, simulator: Callable[[Any], str]) -> str:
    from hirebridge.sandbox.bob.app import create_app

    url = simulator(create_app(read_lag_seconds=0))
    bob_connection(ats, url)
    return url


def _race(count: int, send: Callable[[], httpx.Response]) -> list[httpx.Response]:
    barrier = threading.Barrier(count)
    responses: list[httpx.Response | None] = [None] * count

    def one(index: int) -> None:
        barrier.wait()
        responses[index] = send()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def test_ten_concurrent_calls_make_one_push_and_one_hris_record(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    # Slow enough that every call arrives while the push is still active, fast enough to finish within the wait.
    set_faults(bob_url, latency_ms=1000)
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    responses = _race(10, lambda: ats.post("/candidate.pushToHris", json=body))
    answers = [r.json() for r in responses]
    assert all(a["success"] for a in answers), answers
    assert len({a["results"]["id"] for a in answers}) == 1
    assert {a["results"]["state"] for a in answers} == {"succeeded"}
    assert len(records(bob_url)) == 1
    listed = call(ats, "hrisPush.list", {"applicationId": hiring.application_id})
    assert len(listed["results"]) == 1


def test_same_key_same_body_replays_the_first_answer(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    headers = {"Idempotency-Key": f"push-{uuid.uuid4()}"}
    first = ats.post("/candidate.pushToHris", json=body, headers=headers)
    assert first.json()["success"] is True, first.text
    assert "idempotent-replayed" not in first.headers
    replay = ats.post("/candidate.pushToHris", json=dict(reversed(list(body.items()))), headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert len(records(bob_url)) == 1
    # Without the key the same call is a new push (a re-push that updates the record).
    fresh = call(ats, "candidate.pushToHris", body)
    assert fresh["results"]["id"] != first.json()["results"]["id"]


def test_same_key_other_body_is_refused(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    hiring = make_application(runtime, org.organization_id)
    other = make_application(runtime, org.organization_id)
    headers = {"Idempotency-Key": f"push-{uuid.uuid4()}"}
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    assert call(ats, "candidate.pushToHris", body, headers=headers)["success"] is True
    answer = call(
        ats, "candidate.pushToHris", {"applicationId": other.application_id, "externalSystem": "bob"}, headers=headers
    )
    assert error_code(answer) == "idempotency_key_reused"
    assert error_code(call(ats, "hrisPush.retry", {"pushId": str(uuid.uuid4())}, headers=headers)) == (
        "idempotency_key_reused"
    )
    assert len(records(bob_url)) == 1


def test_business_errors_are_replayed_but_invalid_input_is_not_kept(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    headers = {"Idempotency-Key": f"push-{uuid.uuid4()}"}
    invalid = call(ats, "candidate.pushToHris", {"applicationId": "x", "externalSystem": "bob"}, headers=headers)
    assert error_code(invalid) == "invalid_input"
    missing = {"applicationId": str(uuid.uuid4()), "externalSystem": "bob"}
    first = ats.post("/candidate.pushToHris", json=missing, headers=headers)
    assert error_code(first.json()) == "application_not_found"
    replay = ats.post("/candidate.pushToHris", json=missing, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()


def test_keys_are_scoped_per_organization(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    headers = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    assert call(ats, "candidate.pushToHris", body, headers=headers)["success"] is True
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with httpx.Client(base_url=str(ats.base_url), auth=(other.api_key, ""), timeout=30) as stranger:
        response = stranger.post("/candidate.pushToHris", json=body, headers=headers)
    assert "idempotent-replayed" not in response.headers
    assert error_code(response.json()) == "application_not_found"


def test_concurrent_requests_with_one_key_get_one_answer(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    set_faults(bob_url, latency_ms=800)
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    headers = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    responses = _race(4, lambda: ats.post("/candidate.pushToHris", json=body, headers=headers))
    answers = [r.json() for r in responses]
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["success"] is True
    assert sum(1 for r in responses if r.headers.get("idempotent-replayed") == "true") == 3
    assert len(records(bob_url)) == 1


def test_malformed_key_is_refused(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str) -> None:
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    answer = call(ats, "candidate.pushToHris", body, headers={"Idempotency-Key": "k" * 300})
    assert error_code(answer) == "invalid_input"
    assert "Idempotency-Key" in answer["errorInfo"]["message"]
    assert records(bob_url) == []
