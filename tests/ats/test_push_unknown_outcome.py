"""A lost create of a hire that cannot be looked up: the push fails rather than duplicate, and an operator settles it
with `hirebridge pushes resolve` before retrying. Real BambooHR simulator over a socket, real CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from hirebridge.cli import app as cli
from hirebridge.core.models import Candidate
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import (
    ats,
    bamboo_connection,
    bamboo_url,
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
def operator(cli_env: None) -> Callable[..., Any]:
    """Runs `hirebridge ...` against the test database; returns the result."""
    return lambda *args: CliRunner().invoke(cli, list(args))


def _lost_create_without_email(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, url: str) -> dict[str, Any]:
    """Push a hire with no email whose create BambooHR commits but whose answer is lost; the finished push."""
    bamboo_connection(ats, url)
    hiring = make_application(runtime, org.organization_id)
    with runtime.transaction() as session:
        session.execute(update(Candidate).where(Candidate.id == hiring.candidate_id).values(email=None))
    set_faults(url, drop_after_commit_rate=1.0)
    started = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bamboohr"})
    push_id = started["results"]["id"] if started["success"] else started["errorInfo"]["meta"]["pushId"]
    set_faults(url, drop_after_commit_rate=0)
    return wait_for(
        lambda: (p := call(ats, "hrisPush.info", {"pushId": push_id})["results"])["state"] == "failed" and p
    )


def test_a_lost_create_that_cannot_be_looked_up_fails_instead_of_creating_again(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    push = _lost_create_without_email(ats, runtime, org, bamboo_url)
    assert len(records(bamboo_url)) == 1, "the lost create was retried blindly"
    assert push["outcomeUnknown"] is True
    assert f"hirebridge pushes resolve {push['id']}" in push["errorMessage"]
    outcomes = [a["outcome"] for a in push["attemptLog"]]
    assert outcomes == ["unknown", "unknown"]  # the dropped create, then the refusal to guess


def test_the_operator_links_the_employee_it_found_and_the_retry_updates_it(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str, operator: Callable[..., Any]
) -> None:
    push = _lost_create_without_email(ats, runtime, org, bamboo_url)
    (employee,) = records(bamboo_url)
    result = operator("pushes", "resolve", push["id"], "--org", org.organization_id, "--remote-id", employee["id"])
    assert result.exit_code == 0, result.output
    assert '"clearedUnknownOutcomes": 1' in result.output

    retried = call(ats, "hrisPush.retry", {"pushId": push["id"]})["results"]
    assert (retried["state"], retried["operation"], retried["remoteId"]) == ("succeeded", "update", employee["id"])
    assert len(records(bamboo_url)) == 1
    again = operator("pushes", "resolve", push["id"], "--org", org.organization_id, "--not-created")
    assert again.exit_code == 2
    assert "hris_push_not_uncertain" in again.output


def test_the_operator_says_nothing_was_created_and_the_retry_creates(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str, operator: Callable[..., Any]
) -> None:
    push = _lost_create_without_email(ats, runtime, org, bamboo_url)
    httpx.post(f"{bamboo_url}/_sandbox/reset", timeout=10).raise_for_status()  # as if the write had not landed
    assert records(bamboo_url) == []
    result = operator("pushes", "resolve", push["id"], "--org", org.organization_id, "--not-created")
    assert result.exit_code == 0, result.output

    retried = call(ats, "hrisPush.retry", {"pushId": push["id"]})["results"]
    assert (retried["state"], retried["operation"]) == ("succeeded", "create")
    assert [r["id"] for r in records(bamboo_url)] == [retried["remoteId"]]


def test_resolve_refuses_what_it_cannot_settle(
    ats: httpx.Client,
    runtime: Runtime,
    org: IssuedCredentials,
    bamboo_url: str,
    operator: Callable[..., Any],
) -> None:
    with runtime.transaction() as session:
        other_org = create_organization(session, "Another Org")
    push = _lost_create_without_email(ats, runtime, org, bamboo_url)
    both = operator("pushes", "resolve", push["id"], "--org", org.organization_id, "--remote-id", "1", "--not-created")
    assert both.exit_code == 2
    assert "exactly one of" in both.output
    elsewhere = operator("pushes", "resolve", push["id"], "--org", other_org.organization_id, "--not-created")
    assert elsewhere.exit_code == 2
    assert "hris_push_not_found" in elsewhere.output
    assert call(ats, "hrisPush.info", {"pushId": push["id"]})["results"]["outcomeUnknown"] is True
    assert error_code(call(ats, "hrisPush.info", {"pushId": "not-a-uuid"})) == "invalid_input"
