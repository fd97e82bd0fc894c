"""`hirebridge pushes list|show|retry|cancel` and `hirebridge connections test`, run as the real command (typer's
CliRunner on the real app) against the test database, with pushes delivered by the running service's workers to a
BambooHR simulator on a socket."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from hirebridge.cli import app
from hirebridge.hris.models import HrisPush, PushState
from hirebridge.hris.push import wait_for_push
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
from tests.hris.test_operations import queue_push

__all__ = ["ats", "bamboo_url", "simulator"]
WRONG = {**BAMBOO_CREDENTIALS, "apiKey": "not-the-bamboo-key"}


@pytest.fixture
def env(cli_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIREBRIDGE_ALLOW_PRIVATE_NETWORK", "true")  # the simulator listens on 127.0.0.1


def hb(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"}, input=input, prog_name="hirebridge")


def _push(ats: httpx.Client, application_id: str) -> str:
    answer = call(ats, "candidate.pushToHris", {"applicationId": application_id, "externalSystem": "bamboohr"})
    return str(answer["results"]["id"] if answer["success"] else answer["errorInfo"]["meta"]["pushId"])


def _credentials(ats: httpx.Client, connection_id: str, credentials: dict[str, str]) -> None:
    body = {"hrisConnectionId": connection_id, "credentials": credentials}
    assert call(ats, "hrisConnection.update", body)["success"] is True


def test_list_and_show_a_failed_push_with_the_hris_message(
    env: None, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    _credentials(ats, connection_id, WRONG)
    hiring = make_application(runtime, org.organization_id, first_name="Grace", last_name="Hopper")
    push_id = _push(ats, hiring.application_id)

    listed = hb("pushes", "list", "--org", org.organization_id, "--state", "failed")
    as_json = hb("pushes", "list", "--org", org.organization_id, "--json", "--candidate", "hopper")
    shown = hb("pushes", "show", "--org", org.organization_id, push_id)
    shown_json = hb("pushes", "show", "--org", org.organization_id, push_id, "--json")

    assert listed.exit_code == 0, listed.output
    assert push_id in listed.stdout
    assert "Invalid API key" in listed.stdout
    assert "Grace Hopper" in listed.stdout
    assert [p["id"] for p in json.loads(as_json.stdout)["pushes"]] == [push_id]
    assert shown.exit_code == 0, shown.output
    assert "failed" in shown.stdout
    assert "auth" in shown.stdout  # the attempt's outcome
    assert "401" in shown.stdout
    detail = json.loads(shown_json.stdout)
    assert detail["attemptLog"][0]["message"] == "Invalid API key"
    assert detail["payloadSent"]["body"]["firstName"] == "Grace"
    assert WRONG["apiKey"] not in shown.stdout + shown_json.stdout


def test_retry_one_and_retry_all_failed_of_a_connection(
    env: None, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    _credentials(ats, connection_id, WRONG)
    hires = [make_application(runtime, org.organization_id) for _ in range(3)]
    failed = [_push(ats, h.application_id) for h in hires]
    _credentials(ats, connection_id, BAMBOO_CREDENTIALS)

    one = hb("pushes", "retry", "--org", org.organization_id, failed[0])
    assert one.exit_code == 0, one.output
    new_id = one.stdout.strip()
    assert wait_for_push(runtime, new_id, timeout=30).state == PushState.SUCCEEDED
    rest = hb("pushes", "retry", "--org", org.organization_id, "--all-failed", "--connection", connection_id)

    assert rest.exit_code == 0, rest.output
    new_ids = rest.stdout.split()
    assert len(new_ids) == 2
    assert "2/2" in rest.stderr  # the progress bar's count
    assert "2 queued, 0 refused, of 2 failed" in rest.stderr
    for pushed in new_ids:
        assert wait_for_push(runtime, pushed, timeout=30).state == PushState.SUCCEEDED
    assert sorted(r["workEmail"] for r in records(bamboo_url)) == sorted(h.email for h in hires)
    again = hb("pushes", "retry", "--org", org.organization_id, failed[0])
    assert again.exit_code == 2
    assert again.stdout == ""
    assert "hris_push_superseded" in again.stderr
    assert new_id in again.stderr  # the newer push, which succeeded


def test_cancel_a_queued_push(
    env: None, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    hiring = make_application(runtime, org.organization_id)
    push_id = queue_push(runtime, hiring.application_id, connection_id)

    cancelled = hb("pushes", "cancel", "--org", org.organization_id, push_id)
    twice = hb("pushes", "cancel", "--org", org.organization_id, push_id)

    assert cancelled.exit_code == 0, cancelled.output
    assert f"cancelled push {push_id}" in cancelled.stderr
    assert twice.exit_code == 2
    assert "hris_push_not_cancellable" in twice.output
    with runtime.sessions() as session:
        assert session.get_one(HrisPush, push_id).state == PushState.FAILED
    assert records(bamboo_url) == []


def test_another_organizations_push_is_not_found(
    env: None, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    bamboo_connection(ats, bamboo_url)
    push_id = _push(ats, make_application(runtime, org.organization_id).application_id)
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org").organization_id

    for command in (["show"], ["retry"], ["cancel"]):
        result = hb("pushes", *command, "--org", other, push_id)
        assert result.exit_code == 2, result.output
        assert "hris_push_not_found" in result.output


def test_connections_test_exits_by_the_verdict(
    env: None, ats: httpx.Client, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)

    passed = hb("connections", "test", "--org", org.organization_id, connection_id)
    _credentials(ats, connection_id, WRONG)
    failed = hb("connections", "test", "--org", org.organization_id, connection_id, "--json")

    assert passed.exit_code == 0, passed.output
    assert "ok: HTTP 200" in passed.stdout
    assert "BambooHR answered HTTP 200" in passed.stdout
    assert failed.exit_code == 1, failed.output
    verdict: dict[str, Any] = json.loads(failed.stdout)
    assert (verdict["ok"], verdict["category"], verdict["message"]) == (False, "credentials", "Invalid API key")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["pushes", "retry", "--org", "{org}"], "give either PUSH_ID or --all-failed"),
        (["pushes", "retry", "--org", "{org}", "--all-failed"], "--all-failed needs --connection"),
        (["pushes", "show", "--org", "{org}", "nope"], "PUSH_ID must be an id"),
        (["pushes", "list", "--org", "{org}", "--state", "stuck"], "state: must be one of"),
        (["pushes", "list", "--org", "{org}", "--since", "yesterday"], "--since must be a date"),
    ],
)
def test_usage_errors_say_what_to_fix(env: None, org: IssuedCredentials, args: list[str], says: str) -> None:
    result = hb(*[a.replace("{org}", org.organization_id) for a in args])
    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output
