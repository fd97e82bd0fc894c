"""hrisConnection.test through the real service against a BambooHR simulator on a socket: the HRIS's verdict is the
result (a refusal included, in the HRIS's words), the permission is organizationWrite, and another organization's
connection is not found."""

from __future__ import annotations

import httpx

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import client_for, new_key
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, ats, bamboo_connection, bamboo_url, call, records, simulator
from tests.hardening import sensitive

__all__ = ["ats", "bamboo_url", "simulator"]


def test_a_working_connection_passes(ats: httpx.Client, bamboo_url: str) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)

    answer = call(ats, "hrisConnection.test", {"hrisConnectionId": connection_id})

    assert answer["success"] is True, answer
    result = answer["results"]
    assert (result["ok"], result["category"], result["httpStatus"]) == (True, "ok", 200)
    assert result["hrisConnectionId"] == connection_id
    assert result["system"] == "bamboohr"
    assert result["message"] == "BambooHR answered HTTP 200"
    assert result["latencyMs"] >= 0
    assert result["testedAt"]
    assert records(bamboo_url) == []


def test_refused_credentials_are_the_result_in_the_hris_words(ats: httpx.Client, bamboo_url: str) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    update = {"hrisConnectionId": connection_id, "credentials": {**BAMBOO_CREDENTIALS, "apiKey": "a-wrong-key-0000"}}
    assert call(ats, "hrisConnection.update", update)["success"] is True

    result = call(ats, "hrisConnection.test", {"id": connection_id})["results"]

    assert (result["ok"], result["category"], result["httpStatus"]) == (False, "credentials", 401)
    assert result["message"] == "Invalid API key"  # the simulator's X-BambooHR-Error-Message
    fixed = {"hrisConnectionId": connection_id, "credentials": BAMBOO_CREDENTIALS}
    assert call(ats, "hrisConnection.update", fixed)["success"] is True
    assert call(ats, "hrisConnection.test", {"id": connection_id})["results"]["ok"] is True


def test_the_permission_is_organization_write(
    client: httpx.Client, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bamboo_url: str
) -> None:
    connection_id = bamboo_connection(ats, bamboo_url)
    key = new_key(runtime, org.organization_id, ["organizationRead"])
    sensitive.SENSITIVE.add("api key", key)
    with client_for(client, key) as reader:
        refused = reader.post("/hrisConnection.test", json={"hrisConnectionId": connection_id})

    assert refused.status_code == 403
    assert refused.json()["errorInfo"]["meta"] == {"permission": "organizationWrite"}


def test_unknown_and_foreign_connections_are_not_found(ats: httpx.Client, runtime: Runtime, bamboo_url: str) -> None:
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    sensitive.SENSITIVE.add("api key", other.api_key)
    with client_for(ats, other.api_key) as theirs:
        their_connection = bamboo_connection(theirs, bamboo_url)

    foreign = call(ats, "hrisConnection.test", {"hrisConnectionId": their_connection})
    unknown = call(ats, "hrisConnection.test", {"hrisConnectionId": "00000000-0000-4000-8000-000000000000"})
    malformed = call(ats, "hrisConnection.test", {"hrisConnectionId": "nope"})

    assert foreign["errorInfo"]["code"] == unknown["errorInfo"]["code"] == "hris_connection_not_found"
    assert malformed["errorInfo"]["code"] == "invalid_input"
