"""apiKey.create, apiKey.list and apiKey.revoke through the real service: a key made with chosen permissions can do
exactly that, a key cannot grant what it lacks, the key is answered once and never listed, and a revoked key is
refused on its next call (its own revocation only when asked for explicitly)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, call, client_for, error, new_key, results
from tests.hardening import sensitive

__all__ = ["ats"]


def _create(client: httpx.Client, title: str, permissions: list[str]) -> dict[str, Any]:
    created: dict[str, Any] = results(client, "apiKey.create", {"title": title, "permissions": permissions})
    sensitive.SENSITIVE.add("api key", created["key"])
    return created


def test_a_new_key_has_exactly_the_permissions_chosen(client: httpx.Client, ats: httpx.Client) -> None:
    created = _create(ats, "reporting", ["jobsRead", "candidatesRead"])

    assert created["key"].startswith("hbk_")
    assert created["keyPrefix"] == created["key"][:12]
    assert created["permissions"] == ["candidatesRead", "jobsRead"]
    assert created["scopes"] == ["candidates:read", "jobs:read"]
    assert (created["title"], created["isActive"], created["revokedAt"]) == ("reporting", True, None)
    with client_for(client, created["key"]) as reporting:
        assert call(reporting, "job.list")["success"] is True
        assert call(reporting, "candidate.list")["success"] is True
        refused = reporting.post("/job.create", json={"title": "Analyst"})
        assert refused.status_code == 403
        assert refused.json()["errorInfo"]["code"] == "missing_endpoint_permission"
        assert reporting.post("/apiKey.info", json={}).status_code == 403


def test_a_key_cannot_grant_what_it_lacks(client: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    key = new_key(runtime, org.organization_id, ["apiKeysWrite", "apiKeysRead", "jobsRead"])
    sensitive.SENSITIVE.add("api key", key)
    with client_for(client, key) as limited:
        beyond = error(limited, "apiKey.create", {"title": "escalate", "permissions": ["jobsRead", "offersWrite"]})
        unknown = error(limited, "apiKey.create", {"title": "typo", "permissions": ["jobRead"]})
        empty = error(limited, "apiKey.create", {"title": "none", "permissions": []})
        narrower = _create(limited, "narrower", ["jobsRead"])
        listed = results(limited, "apiKey.list")

    assert beyond["code"] == "invalid_input"
    assert beyond["meta"]["fields"] == [
        {"field": "permissions", "reason": "the calling key does not hold offersWrite, so it cannot grant it"}
    ]
    assert unknown["code"] == "invalid_input"
    assert unknown["meta"]["fields"][0]["field"] == "permissions"
    assert "jobRead" in unknown["meta"]["fields"][0]["reason"]
    assert empty["code"] == "invalid_input"
    assert narrower["permissions"] == ["jobsRead"]
    assert narrower["id"] in {k["id"] for k in listed}


def test_creating_a_key_needs_api_keys_write(client: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    key = new_key(runtime, org.organization_id, ["apiKeysRead"])
    sensitive.SENSITIVE.add("api key", key)
    with client_for(client, key) as reader:
        refused = reader.post("/apiKey.create", json={"title": "x", "permissions": ["apiKeysRead"]})
        listed = call(reader, "apiKey.list")

    assert refused.status_code == 403
    assert refused.json()["errorInfo"]["meta"] == {"permission": "apiKeysWrite"}
    assert listed["success"] is True


def test_list_shows_prefixes_and_never_a_key(ats: httpx.Client, org: IssuedCredentials) -> None:
    created = _create(ats, "listed", ["jobsRead"])
    answer = call(ats, "apiKey.list")

    assert answer["success"] is True
    assert answer["moreDataAvailable"] is False
    by_id = {k["id"]: k for k in answer["results"]}
    assert by_id[created["id"]]["keyPrefix"] == created["key"][:12]
    assert "key" not in by_id[created["id"]]
    assert created["key"] not in str(answer)
    assert org.api_key not in str(answer)
    assert len(by_id) == 2  # the organization's first key and this one


def test_a_revoked_key_is_refused_and_self_revocation_is_explicit(
    client: httpx.Client, ats: httpx.Client, runtime: Runtime
) -> None:
    created = _create(ats, "short-lived", ["apiKeysRead", "apiKeysWrite", "jobsRead"])
    with client_for(client, created["key"]) as short_lived:
        assert call(short_lived, "job.list")["success"] is True

        revoked = results(ats, "apiKey.revoke", {"apiKeyId": created["id"]})
        again = results(ats, "apiKey.revoke", {"apiKeyId": created["id"]})
        refused = short_lived.post("/job.list", json={})

    assert (revoked["isActive"], again["revokedAt"]) == (False, revoked["revokedAt"])
    assert revoked["revokedAt"] is not None
    assert refused.status_code == 403
    assert refused.json()["errorInfo"]["code"] == "api_key_deactivated"
    active = results(ats, "apiKey.list", {"includeRevoked": False})
    assert created["id"] not in {k["id"] for k in active}

    own = results(ats, "apiKey.info")
    mine = next(k for k in results(ats, "apiKey.list") if k["title"] == own["title"] and k["isActive"])
    refused_self = error(ats, "apiKey.revoke", {"apiKeyId": mine["id"]})
    assert refused_self["code"] == "api_key_revoke_self"
    assert call(ats, "apiKey.info")["success"] is True
    assert results(ats, "apiKey.revoke", {"apiKeyId": mine["id"], "revokeSelf": True})["isActive"] is False
    assert ats.post("/apiKey.info", json={}).status_code == 403


def test_another_organizations_key_is_not_found(ats: httpx.Client, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    sensitive.SENSITIVE.add("api key", other.api_key)
    with client_for(ats, other.api_key) as theirs:
        their_key = results(theirs, "apiKey.list")[0]

    info = error(ats, "apiKey.revoke", {"apiKeyId": their_key["id"]})

    assert info["code"] == "api_key_not_found"
    assert their_key["id"] not in {k["id"] for k in results(ats, "apiKey.list")}
    with client_for(ats, other.api_key) as theirs:
        assert call(theirs, "apiKey.info")["success"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"permissions": ["jobsRead"]}, "title"),
        ({"title": "x"}, "permissions"),
        ({"title": "", "permissions": []}, "title"),
    ],
)
def test_bad_create_bodies_name_the_field(ats: httpx.Client, body: dict[str, Any], field: str) -> None:
    info = error(ats, "apiKey.create", body)
    assert info["code"] == "invalid_input"
    assert field in {f["field"] for f in info["meta"]["fields"]}


def test_an_idempotency_key_does_not_replay_a_secret(ats: httpx.Client) -> None:
    headers = {"Idempotency-Key": "same-key-twice"}
    body = {"title": "twice", "permissions": ["jobsRead"]}
    first = ats.post("/apiKey.create", json=body, headers=headers).json()["results"]
    second = ats.post("/apiKey.create", json=body, headers=headers).json()["results"]
    sensitive.SENSITIVE.add("api key", first["key"])
    sensitive.SENSITIVE.add("api key", second["key"])

    assert first["id"] != second["id"]
    assert first["key"] != second["key"]
