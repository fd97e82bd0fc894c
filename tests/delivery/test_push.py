"""The HRIS push executor against the real simulators on sockets: exactly one record per person, whatever happens."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
    admin: httpx.Client
    records_of: Callable[[dict[str, Any], str], bool]  # does this simulator record belong to this email?

    def records(self, email: str) -> list[dict[str, Any]]:
        response = self.admin.get("/_sandbox/records")
        response.raise_for_status()
        return [r for r in response.json()["records"] if self.records_of(r, email)]

    def faults(self, **switches: Any) -> None:
        self.admin.put("/_sandbox/faults", json=switches).raise_for_status()


def _bob_record_email(record: dict[str, Any], email: str) -> bool:
    return str(record.get("email", "")).lower() == email.lower()


@pytest.fixture
def bob() -> Iterator[Simulator]:
    from hirebridge.sandbox.bob.app import create_app

    # Reads lag writes by 1.5 s here (20 s in Bob's docs); the connection is told 2 s (readLagSeconds).
    with serve(create_app(read_lag_seconds=1.5)) as url, httpx.Client(base_url=url, timeout=10) as admin:
        yield Simulator(
            "bob", url, {"serviceUserId": "SERVICE-USER", "token": "sandbox-token"}, admin, _bob_record_email
        )


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


def test_push_creates_one_employee_and_maps_it(runtime: Runtime, org_id: str, bob: Simulator, worker: Worker) -> None:
    connection_id = _connect(runtime, org_id, bob)
    hire = make_hire(runtime, org_id)
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    assert (push.state, push.operation, push.outcome_unknown, push.error_message) == (
        PushState.SUCCEEDED,
        "create",
        False,
        None,
    )
    [record] = bob.records(hire.email)
    assert str(record["id"]) == push.remote_id
    assert [r.remote_id for r in _remote_records(runtime, hire, connection_id)] == [push.remote_id]
    [attempt] = _job_attempts(runtime, push.id)
    assert attempt.outcome == "succeeded"
    assert [e["method"] for e in attempt.exchanges] == ["POST"]
    assert "sandbox-token" not in str(attempt.exchanges)


def test_a_second_push_updates_the_same_record(runtime: Runtime, org_id: str, bob: Simulator, worker: Worker) -> None:
    connection_id = _connect(runtime, org_id, bob)
    hire = make_hire(runtime, org_id)
    first = _finished(runtime, start_push(runtime, hire, connection_id))
    second = _finished(runtime, start_push(runtime, hire, connection_id))

    assert (first.operation, second.operation) == ("create", "update")
    assert second.state == PushState.SUCCEEDED
    assert second.remote_id == first.remote_id
    assert len(bob.records(hire.email)) == 1
    assert len(_remote_records(runtime, hire, connection_id)) == 1


def test_a_lost_response_after_the_hris_committed_is_adopted_after_the_read_lag_not_duplicated(
    runtime: Runtime, org_id: str, bob: Simulator, worker: Worker
) -> None:
    # Every write's response is lost after Bob committed it, and Bob's search shows it only 1.5 s later: an executor
    # that re-created, or looked up before the lag had passed, would leave two (or more) employees.
    bob.faults(drop_after_commit_rate=1.0)
    connection_id = _connect(runtime, org_id, bob, readLagSeconds=2.0)
    hire = make_hire(runtime, org_id)
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    [record] = bob.records(hire.email)
    assert (push.state, push.operation, push.remote_id) == (PushState.SUCCEEDED, "adopt", str(record["id"]))
    assert push.outcome_unknown is False
    outcomes = [a.outcome for a in _job_attempts(runtime, push.id)]
    assert outcomes[0] == "unknown"
    assert outcomes[-1] == "succeeded"
    assert [r.remote_id for r in _remote_records(runtime, hire, connection_id)] == [push.remote_id]


def test_a_refusal_fails_the_push_with_the_hris_message(
    runtime: Runtime, org_id: str, bob: Simulator, worker: Worker
) -> None:
    connection_id = _connect(runtime, org_id, bob)
    hire = make_hire(runtime, org_id, location="Atlantis")
    push = _finished(runtime, start_push(runtime, hire, connection_id))

    assert push.state == PushState.FAILED
    assert push.error_message is not None
    assert "Atlantis" in push.error_message
    assert push.outcome_unknown is False
    assert bob.records(hire.email) == []
    assert _remote_records(runtime, hire, connection_id) == []
    [attempt] = _job_attempts(runtime, push.id)
    assert (attempt.outcome, attempt.http_status) == ("rejected", 400)


def test_wrong_credentials_fail_the_push_as_an_auth_failure(
    runtime: Runtime, org_id: str, bob: Simulator, worker: Worker
) -> None:
    bob.credentials = {"serviceUserId": "SERVICE-USER", "token": "wrong"}
    connection_id = _connect(runtime, org_id, bob)
    push = _finished(runtime, start_push(runtime, make_hire(runtime, org_id), connection_id))
    assert push.state == PushState.FAILED
    [attempt] = _job_attempts(runtime, push.id)
    assert (attempt.outcome, attempt.http_status) == ("auth", 401)


def test_throttled_pushes_are_retried_until_they_succeed(
    runtime: Runtime, org_id: str, bob: Simulator, worker: Worker
) -> None:
    bob.faults(rate_limit_per_second=1.0)
    connection_id = make_connection(
        runtime, org_id, system="bob", base_url=bob.url, credentials=bob.credentials, rate_limit_per_second=50
    )
    hires = [make_hire(runtime, org_id) for _ in range(4)]
    push_ids = [start_push(runtime, hire, connection_id) for hire in hires]
    pushes = [_finished(runtime, push_id) for push_id in push_ids]

    assert {(p.state, p.operation) for p in pushes} == {(PushState.SUCCEEDED, "create")}
    assert all(len(bob.records(hire.email)) == 1 for hire in hires)
    statuses = [a.http_status for p in pushes for a in _job_attempts(runtime, p.id)]
    assert 429 in statuses, "the simulator never throttled: the test proves nothing"


def test_the_connections_rate_limit_keeps_pushes_under_the_hris_limit(
    runtime: Runtime, org_id: str, bob: Simulator, worker: Worker
) -> None:
    bob.faults(rate_limit_per_second=3.0)
    connection_id = make_connection(
        runtime, org_id, system="bob", base_url=bob.url, credentials=bob.credentials, rate_limit_per_second=1.0
    )
    hires = [make_hire(runtime, org_id) for _ in range(4)]
    push_ids = [start_push(runtime, hire, connection_id) for hire in hires]
    pushes = [_finished(runtime, push_id) for push_id in push_ids]

    assert {p.state for p in pushes} == {PushState.SUCCEEDED}
    assert [p.attempts for p in pushes] == [1, 1, 1, 1], "a push was throttled by the HRIS"
