"""candidate.pushToHris to Workday end to end: the real API and its workers, the Workday simulator on a socket.
The pre-hire becomes an employee, the mapping keeps both ids, a re-push updates instead of creating again,
candidate.info finds the candidate by either id, and the password never reaches the attempt log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.hris.models import RemoteRecord
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import ats, call, error_code, make_application, set_faults, simulator
from tests.hris.workday_helpers import HIRE_SETTINGS, WORKDAY_CREDENTIALS, records

__all__ = ["ats", "simulator"]


@pytest.fixture
def workday_url(simulator: Callable[[Any], str]) -> str:
    from hirebridge.sandbox.workday.app import create_app

    return simulator(create_app(seed=11))


def workday_connection(ats: httpx.Client, base_url: str, settings: dict[str, Any]) -> str:
    body = {
        "system": "workday",
        "name": "Workday sandbox",
        "baseUrl": base_url,
        "credentials": WORKDAY_CREDENTIALS,
        "settings": settings,
        "rateLimitPerSecond": 50,
    }
    answer = call(ats, "hrisConnection.create", body)
    assert answer["success"] is True, answer
    return str(answer["results"]["id"])


def push(ats: httpx.Client, application_id: str) -> dict[str, Any]:
    answer = call(ats, "candidate.pushToHris", {"applicationId": application_id, "externalSystem": "workday"})
    assert answer["success"] is True, answer
    results: dict[str, Any] = answer["results"]
    return results


def test_a_push_hires_the_candidate_and_a_re_push_updates_the_same_employee(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, workday_url: str
) -> None:
    connection_id = workday_connection(ats, workday_url, HIRE_SETTINGS)
    hiring = make_application(runtime, org.organization_id)
    first = push(ats, hiring.application_id)
    assert (first["state"], first["operation"], first["system"]) == ("succeeded", "create", "workday")
    [worker] = records(workday_url, "worker")
    [pre_hire] = records(workday_url, "pre_hire")
    assert first["remoteId"] == worker["employeeId"]
    assert worker["applicantId"] == pre_hire["applicantId"]

    with runtime.sessions() as session:
        [mapping] = session.scalars(select(RemoteRecord).where(RemoteRecord.connection_id == connection_id)).all()
        assert (mapping.remote_id, mapping.remote_kind, mapping.pre_hire_id) == (
            worker["employeeId"],
            "employee",
            pre_hire["applicantId"],
        )

    second = push(ats, hiring.application_id)
    assert (second["state"], second["operation"], second["remoteId"]) == ("succeeded", "update", first["remoteId"])
    assert len(records(workday_url, "worker")) == 1
    assert len(records(workday_url, "pre_hire")) == 1
    with runtime.sessions() as session:
        [mapping] = session.scalars(select(RemoteRecord).where(RemoteRecord.connection_id == connection_id)).all()
        assert mapping.pre_hire_id == pre_hire["applicantId"]  # an update keeps the pre-hire's id

    for external_id in (worker["employeeId"], pre_hire["applicantId"]):
        found = call(ats, "candidate.info", {"externalMappingId": external_id})
        assert found["success"] is True, found
        assert found["results"]["id"] == hiring.candidate_id

    log = call(ats, "hrisPush.info", {"pushId": first["id"]})["results"]["attemptLog"]
    sent = [exchange["request_body"] or "" for attempt in log for exchange in attempt["exchanges"]]
    assert sent
    assert all("sandbox-password" not in body and "[redacted]" in body for body in sent)


def test_a_pre_hire_pushed_first_becomes_the_employee_when_the_connection_starts_hiring(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, workday_url: str
) -> None:
    connection_id = workday_connection(ats, workday_url, {})
    hiring = make_application(runtime, org.organization_id)
    first = push(ats, hiring.application_id)
    [pre_hire] = records(workday_url, "pre_hire")
    assert first["remoteId"] == pre_hire["applicantId"]
    assert records(workday_url, "worker") == []

    updated = call(ats, "hrisConnection.update", {"hrisConnectionId": connection_id, "settings": HIRE_SETTINGS})
    assert updated["success"] is True, updated
    second = push(ats, hiring.application_id)
    [worker] = records(workday_url, "worker")
    assert (second["operation"], second["remoteId"]) == ("update", worker["employeeId"])
    assert len(records(workday_url, "pre_hire")) == 1
    with runtime.sessions() as session:
        mapping = session.scalars(select(RemoteRecord).where(RemoteRecord.connection_id == connection_id)).one()
        assert (mapping.remote_kind, mapping.pre_hire_id) == ("employee", pre_hire["applicantId"])


def test_server_errors_and_throttling_are_retried_until_the_pre_hire_is_put(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, workday_url: str
) -> None:
    workday_connection(ats, workday_url, {})
    set_faults(workday_url, error_rate=0.5, throttle_rate=0.3, retry_after_seconds=0)
    hiring = make_application(runtime, org.organization_id)
    answer = push(ats, hiring.application_id)
    from tests.ats.hris_helpers import wait_for

    def finished() -> dict[str, Any] | None:
        pushed = call(ats, "hrisPush.info", {"pushId": answer["id"]})["results"]
        return pushed if pushed["state"] in ("succeeded", "failed") else None

    done = wait_for(finished, timeout=120)
    assert done["state"] == "succeeded", done
    assert len(records(workday_url, "pre_hire")) == 1


def test_a_refusal_fails_the_push_with_workdays_message_and_xpath(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, workday_url: str
) -> None:
    workday_connection(ats, workday_url, HIRE_SETTINGS | {"positionId": "P-99999"})
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "workday"})
    assert error_code(answer) == "candidate_hris_push_failed"
    assert answer["errorInfo"]["meta"]["state"] == "failed"
    message = answer["errorInfo"]["message"]
    assert "Invalid ID value. 'P-99999' is not a valid ID value for type = 'Position_ID'" in message
    assert "(at /wd:Hire_Employee_Request[1]/" in message
    assert len(records(workday_url, "pre_hire")) == 1  # put before the hire was refused; a re-push reuses it


def test_connection_settings_are_checked_field_by_field(ats: httpx.Client, workday_url: str) -> None:
    body = {"system": "workday", "name": "Workday", "baseUrl": workday_url, "credentials": WORKDAY_CREDENTIALS}
    refused = call(ats, "hrisConnection.create", body | {"settings": {"hireOnPush": True, "employeeTypeId": "R"}})
    assert error_code(refused) == "invalid_input"
    assert "positionId or jobRequisitionId" in str(refused["errorInfo"])
    refused = call(ats, "hrisConnection.create", body | {"settings": {"countryCode": "usa"}})
    assert error_code(refused) == "invalid_input"
    assert "settings.countryCode" in str(refused["errorInfo"])
    refused = call(ats, "hrisConnection.create", body | {"credentials": {"tenant": "demo", "username": "x"}})
    assert "credentials.password" in str(refused["errorInfo"])
