"""candidate.pushToHris end to end: real simulators over sockets, the HRIS's verdict in Ashby's envelope,
hrisPush.info/list for what happened, hrisPush.retry for a failed push."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update as sa_update

from hirebridge.core.models import Candidate
from hirebridge.db.types import utcnow
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import (
    ats,
    bamboo_connection,
    bamboo_url,
    bob_connection,
    call,
    error_code,
    make_application,
    records,
    set_faults,
    simulator,
    wait_for,
)

__all__ = ["ats", "bamboo_url", "simulator"]


@pytest.fixture
def bob_url(simulator: Callable[[Any], str]) -> str:
    from hirebridge.sandbox.bob.app import create_app

    return simulator(create_app(read_lag_seconds=0))


def _candidate_by_remote_id(ats: httpx.Client, remote_id: str) -> dict[str, Any] | None:
    answer = call(ats, "candidate.info", {"externalMappingId": remote_id})
    if answer.get("errorInfo", {}).get("code") == "endpoint_not_found":
        pytest.skip("candidate.info is not built yet")
    return answer


def test_push_to_bob_creates_one_employee_and_stores_its_id(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    bob_connection(ats, bob_url)
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bob"})
    assert answer["success"] is True, answer
    push = answer["results"]
    assert push["state"] == "succeeded"
    assert push["operation"] == "create"
    assert push["system"] == "bob"
    assert push["attempts"] == 1
    employees = records(bob_url)
    assert len(employees) == 1
    assert push["remoteId"] == str(employees[0]["id"])
    found = _candidate_by_remote_id(ats, push["remoteId"])
    assert found is not None
    assert found["results"]["id"] == hiring.candidate_id
    log = call(ats, "hrisPush.info", {"pushId": push["id"]})["results"]["attemptLog"]
    assert [(a["outcome"], a["httpStatus"]) for a in log] == [("succeeded", 200)]


def test_push_to_bamboohr_creates_one_employee_and_stores_its_id(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    bamboo_connection(ats, bamboo_url)
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bamboohr"})
    assert answer["success"] is True, answer
    push = answer["results"]
    assert (push["state"], push["operation"], push["system"]) == ("succeeded", "create", "bamboohr")
    employees = records(bamboo_url)
    assert len(employees) == 1
    assert push["remoteId"] == str(employees[0]["id"])
    found = _candidate_by_remote_id(ats, push["remoteId"])
    assert found is not None
    assert found["results"]["id"] == hiring.candidate_id
    # BambooHR answers a create with 201 and the id in Location; the attempt log keeps that status.
    log = call(ats, "hrisPush.info", {"pushId": push["id"]})["results"]["attemptLog"]
    assert [(a["outcome"], a["httpStatus"]) for a in log] == [("succeeded", 201)]


def test_bamboohr_refusal_is_candidate_hris_push_failed_with_the_hris_message(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    bamboo_connection(ats, bamboo_url)
    first = make_application(runtime, org.organization_id)
    twin = make_application(runtime, org.organization_id, first_name="Augusta", email=first.email)
    assert call(ats, "candidate.pushToHris", {"applicationId": first.application_id, "externalSystem": "bamboohr"})[
        "success"
    ]
    answer = call(ats, "candidate.pushToHris", {"applicationId": twin.application_id, "externalSystem": "bamboohr"})
    assert error_code(answer) == "candidate_hris_push_failed"
    push = call(ats, "hrisPush.info", {"pushId": answer["errorInfo"]["meta"]["pushId"]})["results"]
    assert push["attemptLog"][-1]["httpStatus"] == 409
    # The HRIS's own words (BambooHR's error header) reach the caller.
    assert "an employee with this workEmail already exists" in answer["errorInfo"]["message"]
    assert push["errorMessage"] in answer["errorInfo"]["message"]
    assert len(records(bamboo_url)) == 1


def test_a_second_push_updates_the_same_record(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    bob_connection(ats, bob_url)
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    first = call(ats, "candidate.pushToHris", body)["results"]
    second = call(ats, "candidate.pushToHris", body)["results"]
    assert second["id"] != first["id"]
    assert (second["state"], second["operation"], second["remoteId"]) == ("succeeded", "update", first["remoteId"])
    assert len(records(bob_url)) == 1
    log = call(ats, "hrisPush.info", {"pushId": second["id"]})["results"]["attemptLog"]
    # Bob answers an update that changes nothing with 304, as its API documents.
    assert [(a["outcome"], a["httpStatus"]) for a in log] == [("succeeded", 304)]
    with runtime.transaction() as session:
        session.execute(
            sa_update(Candidate)
            .where(Candidate.id == hiring.candidate_id)
            .values(last_name="Byron", updated_at=utcnow())
        )
    third = call(ats, "candidate.pushToHris", body)["results"]
    assert (third["state"], third["operation"], third["remoteId"]) == ("succeeded", "update", first["remoteId"])
    log = call(ats, "hrisPush.info", {"pushId": third["id"]})["results"]["attemptLog"]
    assert [(a["outcome"], a["httpStatus"]) for a in log] == [("succeeded", 200)]
    assert len(records(bob_url)) == 1


def test_hris_validation_error_is_candidate_hris_push_failed_with_the_hris_message(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    connection_id = bob_connection(ats, bob_url, settings={"defaultSite": "Atlantis"})
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bob"})
    assert error_code(answer) == "candidate_hris_push_failed"
    assert "Atlantis" in answer["errorInfo"]["message"], answer
    push_id = answer["errorInfo"]["meta"]["pushId"]
    assert records(bob_url) == []

    info = call(ats, "hrisPush.info", {"pushId": push_id})["results"]
    assert info["state"] == "failed"
    assert "Atlantis" in info["errorMessage"]
    last = info["attemptLog"][-1]
    assert last["httpStatus"] == 400
    assert last["outcome"] == "rejected"
    assert last["exchanges"], "the attempt keeps the HRIS exchange"
    assert last["durationMs"] is not None

    # Retrying a failed push after fixing the cause: a new push, which succeeds.
    call(ats, "hrisConnection.update", {"hrisConnectionId": connection_id, "settings": {"defaultSite": "London"}})
    retried = call(ats, "hrisPush.retry", {"pushId": push_id})
    assert retried["success"] is True, retried
    assert retried["results"]["id"] != push_id
    assert retried["results"]["state"] == "succeeded"
    assert len(records(bob_url)) == 1
    assert call(ats, "hrisPush.info", {"pushId": push_id})["results"]["state"] == "failed"
    again = call(ats, "hrisPush.retry", {"pushId": retried["results"]["id"]})
    assert error_code(again) == "hris_push_not_retryable"


def test_slow_hris_answers_with_the_push_which_completes_in_the_background(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    bob_connection(ats, bob_url)
    set_faults(bob_url, latency_ms=(runtime.settings.push_wait_seconds + 2) * 1000)
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bob"})
    assert answer["success"] is True, answer
    push = answer["results"]
    assert push["state"] in ("queued", "running")
    assert any("hris_push_in_progress" in w for w in answer["warnings"])

    def finished() -> dict[str, Any] | None:
        current = call(ats, "hrisPush.info", {"pushId": push["id"]})["results"]
        return current if current["state"] == "succeeded" else None

    done = wait_for(finished, timeout=60)
    assert done["remoteId"] == str(records(bob_url)[0]["id"])


def test_push_info_and_list_are_scoped_to_the_organization(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob_url: str
) -> None:
    from hirebridge.orgs.service import create_organization

    bob_connection(ats, bob_url)
    first = make_application(runtime, org.organization_id)
    second = make_application(runtime, org.organization_id)
    ids = []
    for hiring in (first, second):
        body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
        ids.append(call(ats, "candidate.pushToHris", body)["results"]["id"])

    listed = call(ats, "hrisPush.list", {"limit": 1})
    assert [p["id"] for p in listed["results"]] == [ids[1]]
    assert listed["moreDataAvailable"] is True
    rest = call(ats, "hrisPush.list", {"limit": 1, "cursor": listed["nextCursor"]})
    assert [p["id"] for p in rest["results"]] == [ids[0]]
    assert rest["moreDataAvailable"] is False
    other_filters = call(ats, "hrisPush.list", {"limit": 1, "cursor": listed["nextCursor"], "state": "failed"})
    assert error_code(other_filters) == "invalid_input"
    assert error_code(call(ats, "hrisPush.list", {"cursor": listed["nextCursor"][:-2] + "xx"})) == "invalid_input"
    only_first = call(ats, "hrisPush.list", {"applicationId": first.application_id, "state": "succeeded"})
    assert [p["id"] for p in only_first["results"]] == [ids[0]]
    assert call(ats, "hrisPush.list", {"state": "failed"})["results"] == []
    assert error_code(call(ats, "hrisPush.list", {"state": "exploded"})) == "invalid_input"

    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with httpx.Client(base_url=str(ats.base_url), auth=(other.api_key, ""), timeout=30) as stranger:
        assert error_code(call(stranger, "hrisPush.info", {"pushId": ids[0]})) == "hris_push_not_found"
        assert error_code(call(stranger, "hrisPush.retry", {"pushId": ids[0]})) == "hris_push_not_found"
        assert call(stranger, "hrisPush.list", {})["results"] == []
