"""The operator's push operations (``hris.operations``) on the real service: pushes made through the ATS API to a
BambooHR simulator on a socket, delivered by the service's own workers, then listed, read, retried and cancelled."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from hirebridge.core.models import Application
from hirebridge.db.types import utcnow
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.errors import AppError, NotFound, ValidationFailed
from hirebridge.hris import operations
from hirebridge.hris.models import HrisPush, PushState
from hirebridge.hris.push import enqueue_push, wait_for_push
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import (
    BAMBOO_CREDENTIALS,
    ats,
    bamboo_connection,
    bamboo_url,
    call,
    make_application,
    records,
    simulator,
)

__all__ = ["ats", "bamboo_url", "simulator"]
WRONG = {**BAMBOO_CREDENTIALS, "apiKey": "not-the-bamboo-key"}


def _push(ats: httpx.Client, application_id: str) -> dict[str, Any]:
    answer = call(ats, "candidate.pushToHris", {"applicationId": application_id, "externalSystem": "bamboohr"})
    if answer["success"]:
        return dict(answer["results"])
    return {"id": answer["errorInfo"]["meta"]["pushId"], "state": answer["errorInfo"]["meta"]["state"]}


def _set_credentials(ats: httpx.Client, connection_id: str, credentials: dict[str, str]) -> None:
    answer = call(ats, "hrisConnection.update", {"hrisConnectionId": connection_id, "credentials": credentials})
    assert answer["success"] is True, answer


def _other_org(runtime: Runtime) -> str:
    with runtime.transaction() as session:
        return create_organization(session, "Other Org").organization_id


def queue_push(runtime: Runtime, application_id: str, connection_id: str, *, due: bool = False) -> str:
    """A queued push and its job, as candidate.pushToHris writes them; unless ``due``, the job waits an hour, so no
    worker takes it meanwhile."""
    with runtime.transaction() as session:
        application = session.get_one(Application, application_id)
        push = HrisPush(
            organization_id=application.organization_id,
            application_id=application.id,
            candidate_id=application.candidate_id,
            connection_id=connection_id,
            state=PushState.QUEUED,
            attempts=0,
            requested_by="test",
        )
        session.add(push)
        session.flush()
        job = enqueue_push(session, push)
        if not due:
            job.next_attempt_at = utcnow() + timedelta(hours=1)
        return push.id


def test_list_filters_pages_and_stays_in_the_organization(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    ada = make_application(runtime, org.organization_id, first_name="Ada", last_name="Lovelace")
    grace = make_application(runtime, org.organization_id, first_name="Grace", last_name="Hopper")
    pushed = [_push(ats, hiring.application_id) for hiring in (ada, grace)]
    assert [p["state"] for p in pushed] == ["succeeded", "succeeded"]

    other = _other_org(runtime)
    with runtime.sessions() as session:
        everything = operations.list_pushes(session, org.organization_id)
        by_name = operations.list_pushes(session, org.organization_id, candidate="hopp")
        by_email = operations.list_pushes(session, org.organization_id, candidate=ada.email.upper())
        by_filters = operations.list_pushes(
            session, org.organization_id, state="succeeded", hris="bamboohr", connection_id=connection_id
        )
        none_failed = operations.list_pushes(session, org.organization_id, state="failed")
        none_other_hris = operations.list_pushes(session, org.organization_id, hris="bob")
        future = operations.list_pushes(session, org.organization_id, since=utcnow() + timedelta(minutes=1))
        past = operations.list_pushes(session, org.organization_id, until=utcnow() - timedelta(days=1))
        first = operations.list_pushes(session, org.organization_id, limit=1)
        assert first.next_cursor is not None
        second = operations.list_pushes(session, org.organization_id, limit=1, cursor=first.next_cursor)
        foreign = operations.list_pushes(session, other)

    assert [p.id for p in everything.items] == [pushed[1]["id"], pushed[0]["id"]]  # newest first
    assert everything.next_cursor is None
    assert [p.candidate_name for p in by_name.items] == ["Grace Hopper"]
    assert [p.candidate_id for p in by_email.items] == [ada.candidate_id]
    assert len(by_filters.items) == 2
    assert none_failed.items == none_other_hris.items == future.items == past.items == []
    assert [p.id for p in first.items + second.items] == [p.id for p in everything.items]
    assert second.next_cursor is None
    assert foreign.items == []
    summary = everything.items[0]
    assert (summary.system, summary.system_name, summary.connection_id) == ("bamboohr", "BambooHR", connection_id)
    assert (summary.state, summary.operation, summary.cancelled) == ("succeeded", "create", False)


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"state": "stuck"}, "state"), ({"limit": 0}, "limit"), ({"cursor": "!!"}, "cursor"), ({"limit": 201}, "limit")],
)
def test_bad_list_filters_name_the_field(
    runtime: Runtime, org: IssuedCredentials, filters: dict[str, Any], field: str
) -> None:
    with runtime.sessions() as session, pytest.raises(ValidationFailed) as raised:
        operations.list_pushes(session, org.organization_id, **filters)
    assert [f.field for f in raised.value.fields] == [field]


def test_an_unknown_organization_is_not_found(runtime: Runtime) -> None:
    with runtime.sessions() as session, pytest.raises(NotFound):
        operations.list_pushes(session, "00000000-0000-4000-8000-000000000000")


def test_show_has_the_attempts_the_payload_sent_and_the_remote_id(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    bamboo_connection(ats, bamboo_url)
    hiring = make_application(runtime, org.organization_id)
    push_id = _push(ats, hiring.application_id)["id"]
    other = _other_org(runtime)

    with runtime.sessions() as session:
        detail = operations.get_push(session, org.organization_id, push_id)
        with pytest.raises(NotFound):
            operations.get_push(session, other, push_id)

    employee = next(r for r in records(bamboo_url) if r.get("workEmail") == hiring.email)
    assert detail.remote_id == str(employee["id"]) == detail.push.remote_id
    assert [(j.state, j.attempts) for j in detail.jobs] == [("succeeded", 1)]
    assert [(a.number, a.outcome, a.http_status) for a in detail.attempts] == [(1, "succeeded", 201)]
    assert detail.payload is not None
    assert (detail.payload["method"], detail.payload["status"], detail.payload["attempt"]) == ("POST", 201, 1)
    assert detail.payload["url"].endswith("/v1/employees/")
    assert detail.payload["body"]["firstName"] == "Ada"
    assert detail.payload["body"]["workEmail"] == hiring.email
    answer = detail.as_json()
    assert answer["payloadSent"]["body"]["lastName"] == "Lovelace"
    assert answer["remoteRecord"] == {"remoteId": detail.remote_id, "kind": "employee"}
    assert BAMBOO_CREDENTIALS["apiKey"] not in str(answer)


def test_a_failed_push_shows_the_hris_message_and_is_retried_after_the_fix(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    _set_credentials(ats, connection_id, WRONG)
    hiring = make_application(runtime, org.organization_id)
    failed = _push(ats, hiring.application_id)
    assert failed["state"] == "failed"
    with runtime.sessions() as session:
        detail = operations.get_push(session, org.organization_id, failed["id"])
    assert detail.push.state == "failed"
    assert detail.attempts[-1].outcome == "auth"
    assert detail.attempts[-1].http_status == 401
    assert detail.push.message == detail.attempts[-1].message == "Invalid API key"  # the simulator's own words

    _set_credentials(ats, connection_id, BAMBOO_CREDENTIALS)
    with runtime.transaction() as session:
        retried = operations.retry_push(session, org.organization_id, failed["id"])
    assert retried.id != failed["id"]
    assert retried.state == "queued"
    done = wait_for_push(runtime, retried.id, timeout=30)

    assert done.state == PushState.SUCCEEDED
    assert [r["workEmail"] for r in records(bamboo_url)] == [hiring.email]
    with runtime.sessions() as session:
        assert operations.get_push(session, org.organization_id, failed["id"]).push.state == "failed"  # kept as is
    with runtime.transaction() as session, pytest.raises(AppError) as refused:
        operations.retry_push(session, org.organization_id, retried.id)
    assert refused.value.code == "hris_push_not_retryable"
    with runtime.transaction() as session, pytest.raises(AppError) as superseded:
        operations.retry_push(session, org.organization_id, failed["id"])
    assert superseded.value.code == "hris_push_superseded"
    assert superseded.value.meta == {"newerPushId": retried.id}
    other = _other_org(runtime)
    with runtime.transaction() as session, pytest.raises(NotFound):
        operations.retry_push(session, other, failed["id"])


def test_cancel_a_queued_push_and_retry_it(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    hiring = make_application(runtime, org.organization_id)
    push_id = queue_push(runtime, hiring.application_id, connection_id)
    other = _other_org(runtime)

    with runtime.transaction() as session, pytest.raises(NotFound):
        operations.cancel_push(session, other, push_id, runtime=runtime)
    with runtime.transaction() as session:
        cancelled = operations.cancel_push(session, org.organization_id, push_id, runtime=runtime)

    assert (cancelled.state, cancelled.cancelled, cancelled.message) == ("failed", True, operations.CANCELLED_MESSAGE)
    with runtime.sessions() as session:
        job = session.scalars(select_job(push_id)).one()
        assert job.state == JobState.CANCELLED
    with runtime.transaction() as session, pytest.raises(AppError) as again:
        operations.cancel_push(session, org.organization_id, push_id, runtime=runtime)
    assert again.value.code == "hris_push_not_cancellable"
    assert records(bamboo_url) == []

    with runtime.transaction() as session:
        retried = operations.retry_push(session, org.organization_id, push_id)
    assert wait_for_push(runtime, retried.id, timeout=30).state == PushState.SUCCEEDED
    assert [r["workEmail"] for r in records(bamboo_url)] == [hiring.email]


def select_job(push_id: str) -> Any:
    from sqlalchemy import select

    return select(DeliveryJob).where(DeliveryJob.subject_id == push_id)


def test_a_push_a_worker_has_claimed_is_not_cancelled(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    """The claim has set the job running but the worker has not marked the push yet: the push still reads queued,
    and the cancel, deciding on the job's row, refuses."""
    connection_id = bamboo_connection(ats, bamboo_url)
    hiring = make_application(runtime, org.organization_id)
    push_id = queue_push(runtime, hiring.application_id, connection_id)
    with runtime.transaction() as session:
        session.execute(
            update(DeliveryJob)
            .where(DeliveryJob.subject_id == push_id)
            .values(state=JobState.RUNNING, lease_owner="elsewhere:1:1", lease_expires_at=utcnow() + timedelta(hours=1))
        )

    with runtime.transaction() as session, pytest.raises(AppError) as refused:
        operations.cancel_push(session, org.organization_id, push_id, runtime=runtime)

    assert refused.value.code == "hris_push_not_cancellable"
    assert "a worker has just taken it" in refused.value.message
    with runtime.sessions() as session:
        assert session.get_one(HrisPush, push_id).state == PushState.QUEUED
    with runtime.transaction() as session:  # hand it back, far in the future, and cancel it for good
        session.execute(
            update(DeliveryJob)
            .where(DeliveryJob.subject_id == push_id)
            .values(state=JobState.PENDING, lease_owner=None, lease_expires_at=None)
        )
        operations.cancel_push(session, org.organization_id, push_id, runtime=runtime)


def test_cancel_racing_the_workers_either_stops_the_push_or_lets_it_finish(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    """A due push and a cancel race the service's own workers: whoever wins, the hire reaches the HRIS exactly when
    the cancel was refused."""
    connection_id = bamboo_connection(ats, bamboo_url)
    outcomes = []
    for _ in range(8):
        hiring = make_application(runtime, org.organization_id)
        push_id = queue_push(runtime, hiring.application_id, connection_id, due=True)
        code = None
        try:
            with runtime.transaction() as session:
                operations.cancel_push(session, org.organization_id, push_id, runtime=runtime)
        except AppError as exc:
            code = exc.code
        assert code in (None, "hris_push_not_cancellable")
        cancelled = code is None
        final = wait_for_push(runtime, push_id, timeout=30)
        sent = [r for r in records(bamboo_url) if r.get("workEmail") == hiring.email]
        if cancelled:
            assert (final.state, final.error_message, sent) == (PushState.FAILED, operations.CANCELLED_MESSAGE, [])
        else:
            assert final.state == PushState.SUCCEEDED
            assert len(sent) == 1
        outcomes.append(cancelled)
    assert len(outcomes) == 8


def test_retry_every_failed_hire_of_a_connection(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    _set_credentials(ats, connection_id, WRONG)
    hires = [make_application(runtime, org.organization_id) for _ in range(3)]
    failed = [_push(ats, h.application_id) for h in hires]
    assert {p["state"] for p in failed} == {"failed"}
    _set_credentials(ats, connection_id, BAMBOO_CREDENTIALS)
    seen: list[tuple[int, int, str, str | None]] = []

    result = operations.retry_failed_for_connection(
        runtime.sessions, org.organization_id, connection_id, progress=lambda *args: seen.append(args)
    )

    assert [(done, total) for done, total, _, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(old for old, _ in result.retried) == sorted(p["id"] for p in failed)
    assert result.refused == []
    for _, new_id in result.retried:
        assert wait_for_push(runtime, new_id, timeout=30).state == PushState.SUCCEEDED
    assert sorted(r["workEmail"] for r in records(bamboo_url)) == sorted(h.email for h in hires)
    again = operations.retry_failed_for_connection(runtime.sessions, org.organization_id, connection_id)
    assert again.total == 0  # each hire's latest push succeeded
    with pytest.raises(NotFound):
        operations.retry_failed_for_connection(runtime.sessions, _other_org(runtime), connection_id)


def test_show_redacts_the_token_request_a_push_made(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, simulator: Any
) -> None:
    """Personio's token request carries the client secret in its body and its answer carries the token: the attempt
    log as shown has neither."""
    from hirebridge.sandbox.personio.app import create_app

    url = simulator(create_app())
    secret = "sandbox-client-secret"
    body = {
        "system": "personio",
        "name": "Personio sandbox",
        "baseUrl": url,
        "credentials": {"clientId": "sandbox-client-id", "clientSecret": secret},
        "requiresAcceptedOffer": False,
        "rateLimitPerSecond": 50,
    }
    assert call(ats, "hrisConnection.create", body)["success"] is True
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "personio"})
    assert answer["success"] is True, answer

    with runtime.sessions() as session:
        detail = operations.get_push(session, org.organization_id, answer["results"]["id"])

    exchanges = [e for a in detail.attempts for e in a.exchanges]
    token_calls = [e for e in exchanges if e["url"].endswith("/v1/auth")]
    assert token_calls, exchanges
    assert json.loads(token_calls[0]["request_body"])["client_secret"] == "[redacted]"
    assert "papi-" not in str(detail.as_json())  # the simulator's tokens
    assert secret not in str(detail.as_json())
    assert detail.payload is not None
    assert detail.payload["url"].endswith("/v1/company/employees")
    assert detail.payload["body"]["employee"]["first_name"] == "Ada"
