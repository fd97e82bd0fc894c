"""hrisConnection.* over real HTTP in Ashby's envelope, and the `connections` CLI."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hirebridge.hris.models import HrisConnection
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import IssuedCredentials, create_organization, issue_api_key
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, BOB_CREDENTIALS, ats, call, error_code

SECRET = BAMBOO_CREDENTIALS["apiKey"]

__all__ = ["ats"]


def bamboo(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "system": "bamboohr",
        "name": "BambooHR EU",
        "baseUrl": "https://api.bamboohr.com",
        "credentials": dict(BAMBOO_CREDENTIALS),
    }
    body.update(overrides)
    return body


def test_create_answers_the_connection_without_its_credentials(ats: httpx.Client, runtime: Runtime) -> None:
    response = ats.post("/hrisConnection.create", json=bamboo(rateLimitPerSecond=2.5, fieldMapping={"x": "y"}))
    answer = response.json()
    assert answer["success"] is True, answer
    connection = answer["results"]
    assert connection["system"] == "bamboohr"
    assert connection["name"] == "BambooHR EU"
    assert connection["credentialFields"] == sorted(BAMBOO_CREDENTIALS)
    assert connection["rateLimitPerSecond"] == 2.5
    assert connection["isEnabled"] is True
    assert connection["isSelfServe"] is False
    assert SECRET not in response.text
    with runtime.transaction() as session:
        row = session.get(HrisConnection, connection["id"])
        assert row is not None
        assert SECRET not in row.credentials_encrypted
        assert runtime.cipher.decrypt_json(row.credentials_encrypted)["apiKey"] == SECRET


def test_defaults_come_from_the_system(ats: httpx.Client) -> None:
    connection = call(ats, "hrisConnection.create", bamboo())["results"]
    assert connection["requiresAcceptedOffer"] is True
    assert connection["rateLimitPerSecond"] > 0
    overridden = call(
        ats,
        "hrisConnection.create",
        bamboo(requiresAcceptedOffer=False, integrationPartnerId=str(uuid.uuid4())),
    )["results"]
    assert overridden["requiresAcceptedOffer"] is False
    assert overridden["isSelfServe"] is True


def test_unknown_system_lists_the_valid_values(ats: httpx.Client) -> None:
    answer = call(ats, "hrisConnection.create", bamboo(system="peoplesoft"))
    assert error_code(answer) == "invalid_input"
    message = answer["errorInfo"]["message"]
    assert "system" in message
    for value in ("bamboohr", "bob", "workday", "adp"):
        assert value in message


def test_known_but_unsupported_system_says_so(ats: httpx.Client, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every system the seed names has its connector now; a planned one is made up for this test.
    from hirebridge.connectors import registry

    monkeypatch.setitem(registry.PLANNED, "acmehr", "Acme HR")
    answer = call(ats, "hrisConnection.create", bamboo(system="acmehr"))
    assert error_code(answer) == "hris_system_not_supported"
    assert "not support" in answer["errorInfo"]["message"]


def test_credentials_are_checked_against_the_system_without_echoing_them(ats: httpx.Client) -> None:
    response = ats.post("/hrisConnection.create", json=bamboo(system="bob", credentials={"api_key": SECRET}))
    answer = response.json()
    assert error_code(answer) == "invalid_input"
    assert "credentials." in answer["errorInfo"]["message"]
    assert SECRET not in response.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("baseUrl", "ftp://example.com"),
        ("baseUrl", "https://user:pw@example.com"),
        ("baseUrl", "https://example.com/" + "a" * 2100),
        ("rateLimitPerSecond", 0),
        ("rateLimitPerSecond", 10_000),
        ("name", ""),
        ("integrationPartnerId", "not-a-uuid"),
        ("fieldMapping", {"k" * 300: "v"}),
        ("settings", {"big": "x" * 20_000}),
    ],
)
def test_inputs_are_bounded(ats: httpx.Client, field: str, value: Any) -> None:
    answer = call(ats, "hrisConnection.create", bamboo(**{field: value}))
    assert error_code(answer) == "invalid_input"
    assert field in answer["errorInfo"]["message"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [(0, "must be greater than 0"), (10_000, "must be at most 100"), ("fast", "must be a number")],
)
def test_numeric_bounds_are_said_in_words(ats: httpx.Client, value: Any, reason: str) -> None:
    answer = call(ats, "hrisConnection.create", bamboo(rateLimitPerSecond=value))
    assert error_code(answer) == "invalid_input"
    assert f"rateLimitPerSecond: {reason}" in answer["errorInfo"]["message"]


def test_info_list_update_delete(ats: httpx.Client) -> None:
    created = call(ats, "hrisConnection.create", bamboo())["results"]
    ref = {"hrisConnectionId": created["id"]}
    assert call(ats, "hrisConnection.info", ref)["results"]["id"] == created["id"]
    listed = call(ats, "hrisConnection.list", {})
    assert [c["id"] for c in listed["results"]] == [created["id"]]
    assert listed["moreDataAvailable"] is False

    updated = call(
        ats, "hrisConnection.update", {**ref, "isEnabled": False, "name": "Renamed", "credentials": BAMBOO_CREDENTIALS}
    )["results"]
    assert (updated["isEnabled"], updated["name"]) == (False, "Renamed")
    assert call(ats, "hrisConnection.delete", ref)["results"] == ref
    assert error_code(call(ats, "hrisConnection.info", ref)) == "hris_connection_not_found"


def test_a_second_connection_for_the_same_system_is_refused(ats: httpx.Client) -> None:
    call(ats, "hrisConnection.create", bamboo())
    assert error_code(call(ats, "hrisConnection.create", bamboo())) == "hris_connection_already_exists"


def test_another_organizations_connection_is_not_found(ats: httpx.Client, runtime: Runtime) -> None:
    created = call(ats, "hrisConnection.create", bamboo())["results"]
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with httpx.Client(base_url=str(ats.base_url), auth=(other.api_key, ""), timeout=30) as stranger:
        for endpoint in ("hrisConnection.info", "hrisConnection.update", "hrisConnection.delete"):
            answer = call(stranger, endpoint, {"hrisConnectionId": created["id"], "isEnabled": False})
            assert error_code(answer) == "hris_connection_not_found", endpoint
        assert call(stranger, "hrisConnection.list", {})["results"] == []
    assert call(ats, "hrisConnection.info", {"hrisConnectionId": created["id"]})["results"]["isEnabled"] is True


def test_permissions(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    with runtime.transaction() as session:
        organization = session.get(Organization, org.organization_id)
        assert organization is not None
        reader = issue_api_key(session, organization, "reader", ["organizationRead"])
    with httpx.Client(base_url=str(ats.base_url), auth=(reader, ""), timeout=30) as client:
        refused = client.post("/hrisConnection.create", json=bamboo())
        assert refused.status_code == 403
        assert refused.json()["errorInfo"]["code"] == "missing_endpoint_permission"
        assert call(client, "hrisConnection.list", {})["success"] is True
    assert httpx.post(f"{ats.base_url}/hrisConnection.list", json={}).status_code == 401


def test_cli_creates_and_lists_connections(runtime: Runtime, org: IssuedCredentials, tmp_path: Any) -> None:
    from hirebridge.hris.cli import app

    settings = runtime.settings
    assert settings.encryption_key is not None
    env = {
        "DATABASE_URL": settings.database_url,
        "HIREBRIDGE_ENCRYPTION_KEY": settings.encryption_key.get_secret_value(),
        "HIREBRIDGE_SECRET_KEY": runtime.signing_key,  # a weak key is refused
    }
    credentials_file = tmp_path / "bob.json"
    credentials_file.write_text(json.dumps(BOB_CREDENTIALS))
    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "create",
            "--org",
            org.organization_id,
            "--system",
            "bob",
            "--name",
            "Bob",
            "--base-url",
            "https://api.hibob.com",
            "--credentials",
            f"@{credentials_file}",
            "--settings",
            '{"defaultSite": "London"}',
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    connection = json.loads(created.stdout)
    assert connection["credentialFields"] == sorted(BOB_CREDENTIALS)
    assert BOB_CREDENTIALS["token"] not in created.output

    listed = runner.invoke(app, ["list", "--org", org.organization_id], env=env)
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in json.loads(listed.stdout)] == [connection["id"]]

    disabled = runner.invoke(app, ["enable", "--org", org.organization_id, connection["id"], "--off"], env=env)
    assert disabled.exit_code == 0, disabled.output
    assert json.loads(disabled.stdout)["isEnabled"] is False

    refused = runner.invoke(
        app,
        ["create", "--org", org.organization_id, "--system", "sap", "--name", "X", "--credentials", "{}"],
        env=env,
    )
    assert refused.exit_code == 2
    assert "must be one of" in refused.output
