"""The HRIS push executor against the real simulators on sockets: exactly one record per person, whatever happens."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.delivery.models import DeliveryJob
from hirebridge.delivery.worker import Worker
from hirebridge.hris.models import HrisPush, PushState, RemoteRecord
from hirebridge.hris.push import KIND, wait_for_push
from hirebridge.runtime import Runtime
from tests.delivery.helpers import load_attempts
from tests.delivery.pushdata import HireRecords, make_connection, make_hire, start_push
from tests.support.servers import serve


@dataclass
class Simulator:
    system: str
    url: str
    credentials: dict[str, Any]
    wrong_credentials: dict[str, Any]
    email_field: str  # where the simulator's records keep the work email
    throttle_status: int
    admin: httpx.Client

    def records(self, email: str) -> list[dict[str, Any]]:
        response = self.admin.get("/_sandbox/records")
        response.raise_for_status()
        return [r for r in response.json()["records"] if str(r.get(self.email_field, "")).lower() == email.lower()]

    def faults(self, **switches: Any) -> None:
        self.admin.put("/_sandbox/faults", json=switches).raise_for_status()


@contextlib.contextmanager
def _bob() -> Iterator[Simulator]:
    from hirebridge.sandbox.bob.app import create_app

    # Reads lag writes by 1.5 s here (20 s in Bob's docs); connections that lose a response are told 2 s.
    with serve(create_app(read_lag_seconds=1.5)) as url, httpx.Client(base_url=url, timeout=10) as admin:
        yield Simulator(
            "bob",
            url,
            {"serviceUserId": "SERVICE-USER", "token": "sandbox-token"},
            {"serviceUserId": "SERVICE-USER", "token": "wrong-token"},
            "email",
            429,
            admin,
        )


@contextlib.contextmanager
def _bamboohr() -> Iterator[Simulator]:
    from hirebridge.sandbox.bamboohr.app import create_app

    with serve(create_app(company_domain="acme")) as url, httpx.Client(base_url=url, timeout=10) as admin:
        yield Simulator(
            "bamboohr",
            url,
            {"companyDomain": "acme", "apiKey": "sandbox-key"},
            {"companyDomain": "acme", "apiKey": "wrong-key"},
            "workEmail",
            429,  # BambooHR throttles with 429 + Retry-After (since 2026-09)
            admin,
        )


@pytest.fixture(params=["bob", "bamboohr"])
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    with _bob() if request.param == "bob" else _bamboohr() as simulator:
        yield simulator


@pytest.fixture
def worker(runtime: Runtime) -> Iterator[Worker]:
    w = Worker(runtime, 2, lease_seconds=30, idle_sleep=0.05, kinds=[KIND])
    w.start()
    yield w
    w.stop()


def _connect(runtime: Runtime, org_id: str, sim: Simulator, **settings: Any) -> str:
    return make_connection(
        runtime, org_id, system=sim.system, base_url=sim.url, credentials=sim.credentials, settings=settings
    )


def _finished(runtime: Runtime, push_id: str) -> HrisPush:
    push = wait_for_push(runtime, push_id, timeout=60)
    assert push.state in (PushState.SUCCEEDED, PushState.FAILED), f"push still {push.state}"
    return push


def _remote_records(runtime: Runtime, hire: HireRecords, connection_id: str) -> list[RemoteRecord]:
    with runtime.transaction() as session:
        return list(
            session.scalars(
                select(RemoteRecord).where(
                    RemoteRecord.connection_id == connection_id, RemoteRecord.candidate_id == hire.candidate_id
                )
            )
        )


def _job_attempts(runtime: Runtime, push_id: str) -> list[Any]:
    with runtime.transaction() as session:
        job = session.scalars(select(DeliveryJob).where(DeliveryJob.subject_id == push_id)).one()
    return load_attempts(runtime, job.id)


def test_push_creates_one_employee_and_maps_it(runtime: Runtime, org_id: str, sim: Simulator, worker: Worker) -> None:
    connection_id = _connect(runtime, org_id, sim)
    hire = make_hire(runtime, org_id)
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    assert (push.state, push.operation, push.outcome_unknown, push.error_message) == (
        PushState.SUCCEEDED,
        "create",
        False,
        None,
    )
    [record] = sim.records(hire.email)
    assert str(record["id"]) == push.remote_id
    assert [r.remote_id for r in _remote_records(runtime, hire, connection_id)] == [push.remote_id]
    [attempt] = _job_attempts(runtime, push.id)
    assert attempt.outcome == "succeeded"
    assert [e["method"] for e in attempt.exchanges] == ["POST"]
    assert all(str(secret) not in str(attempt.exchanges) for secret in sim.credentials.values() if secret != "acme")


def test_a_second_push_updates_the_same_record(runtime: Runtime, org_id: str, sim: Simulator, worker: Worker) -> None:
    connection_id = _connect(runtime, org_id, sim)
    hire = make_hire(runtime, org_id)
    first = _finished(runtime, start_push(runtime, hire, connection_id))
    second = _finished(runtime, start_push(runtime, hire, connection_id))

    assert (first.operation, second.operation) == ("create", "update")
    assert second.state == PushState.SUCCEEDED
    assert second.remote_id == first.remote_id
    assert len(sim.records(hire.email)) == 1
    assert len(_remote_records(runtime, hire, connection_id)) == 1


def test_a_lost_response_after_the_hris_committed_is_adopted_after_the_read_lag_not_duplicated(
    runtime: Runtime, org_id: str, sim: Simulator, worker: Worker
) -> None:
    # Every write's response is lost after the HRIS committed it (and Bob's search shows it only 1.5 s later): an
    # executor that re-created, or looked up before the lag had passed, would leave two (or more) employees.
    sim.faults(drop_after_commit_rate=1.0)
    connection_id = _connect(runtime, org_id, sim, readLagSeconds=2.0)
    hire = make_hire(runtime, org_id)
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    [record] = sim.records(hire.email)
    assert (push.state, push.operation, push.remote_id) == (PushState.SUCCEEDED, "adopt", str(record["id"]))
    assert push.outcome_unknown is False
    outcomes = [a.outcome for a in _job_attempts(runtime, push.id)]
    assert outcomes[0] == "unknown"
    assert outcomes[-1] == "succeeded"
    assert [r.remote_id for r in _remote_records(runtime, hire, connection_id)] == [push.remote_id]


def _refused_hire(runtime: Runtime, org_id: str, sim: Simulator) -> tuple[HireRecords, str]:
    """A hire the HRIS refuses, and a phrase of the HRIS's own refusal."""
    if sim.system == "bob":
        return make_hire(runtime, org_id, location="Atlantis"), "Atlantis"
    # BambooHR refuses a second employee with a work email it already has (someone added by hand, say).
    hire = make_hire(runtime, org_id)
    sim.admin.post(
        "/api/gateway.php/acme/v1/employees/",
        json={"firstName": "Someone", "lastName": "Else", "workEmail": hire.email},
        auth=("sandbox-key", "x"),
    ).raise_for_status()
    return hire, "Duplicate email"


def test_a_refusal_fails_the_push_with_the_hris_message(
    runtime: Runtime, org_id: str, sim: Simulator, worker: Worker
) -> None:
    connection_id = _connect(runtime, org_id, sim)
    hire, phrase = _refused_hire(runtime, org_id, sim)
    before = len(sim.records(hire.email))
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    assert push.state == PushState.FAILED
    assert push.error_message is not None
    assert phrase in push.error_message
    assert push.outcome_unknown is False
    assert len(sim.records(hire.email)) == before
    assert _remote_records(runtime, hire, connection_id) == []
    [attempt] = _job_attempts(runtime, push.id)
    assert attempt.outcome == "rejected"
    assert attempt.http_status in (400, 409)


def test_wrong_credentials_fail_the_push_as_an_auth_failure(
    runtime: Runtime, org_id: str, sim: Simulator, worker: Worker
) -> None:
    sim.credentials = sim.wrong_credentials
    connection_id = _connect(runtime, org_id, sim)
    push = _finished(runtime, start_push(runtime, make_hire(runtime, org_id), connection_id))
    assert push.state == PushState.FAILED
    [attempt] = _job_attempts(runtime, push.id)
    assert (attempt.outcome, attempt.http_status) == ("auth", 401)


def test_throttled_pushes_are_retried_until_they_succeed(
    runtime: Runtime, org_id: str, sim: Simulator, worker: Worker
) -> None:
    sim.faults(rate_limit_per_second=1.0)
    connection_id = make_connection(
        runtime, org_id, system=sim.system, base_url=sim.url, credentials=sim.credentials, rate_limit_per_second=50
    )
    hires = [make_hire(runtime, org_id) for _ in range(4)]
    push_ids = [start_push(runtime, hire, connection_id) for hire in hires]
    pushes = [_finished(runtime, push_id) for push_id in push_ids]

    assert {(p.state, p.operation) for p in pushes} == {(PushState.SUCCEEDED, "create")}
    assert all(len(sim.records(hire.email)) == 1 for hire in hires)
    statuses = [a.http_status for p in pushes for a in _job_attempts(runtime, p.id)]
    assert sim.throttle_status in statuses, "the simulator never throttled: the test proves nothing"


def test_the_connections_rate_limit_keeps_pushes_under_the_hris_limit(
    runtime: Runtime, org_id: str, sim: Simulator, worker: Worker
) -> None:
    sim.faults(rate_limit_per_second=3.0)
    connection_id = make_connection(
        runtime, org_id, system=sim.system, base_url=sim.url, credentials=sim.credentials, rate_limit_per_second=1.0
    )
    hires = [make_hire(runtime, org_id) for _ in range(4)]
    push_ids = [start_push(runtime, hire, connection_id) for hire in hires]
    pushes = [_finished(runtime, push_id) for push_id in push_ids]

    assert {p.state for p in pushes} == {PushState.SUCCEEDED}
    assert [p.attempts for p in pushes] == [1, 1, 1, 1], "a push was throttled by the HRIS"
