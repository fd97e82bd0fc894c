"""Helpers for the ATS API tests: calls through the real HTTP API, and API keys with chosen permissions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from hirebridge.orgs.models import ApiKey, Organization
from hirebridge.orgs.service import IssuedCredentials, issue_api_key
from hirebridge.runtime import Runtime
from hirebridge.security import sha256_hex
from tests.ats.conformance import conforming_client


@pytest.fixture
def ats(client: httpx.Client, org: IssuedCredentials) -> Iterator[httpx.Client]:
    """The organization's ATS client (all permissions), closed after the test; answers are checked against Ashby's
    schemas (``tests.ats.conformance``)."""
    with conforming_client(str(client.base_url), org.api_key) as api:
        yield api


def client_for(client: httpx.Client, key: str) -> httpx.Client:
    return conforming_client(str(client.base_url), key)


def call(client: httpx.Client, endpoint: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    """POST /<endpoint>; asserts HTTP 200 (Ashby answers business errors with 200 too) and returns the body."""
    response = client.post(f"/{endpoint}", json=body if body is not None else {}, **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def results(client: httpx.Client, endpoint: str, body: Any = None) -> Any:
    data = call(client, endpoint, body)
    assert data["success"] is True, data
    return data["results"]


def error(client: httpx.Client, endpoint: str, body: Any = None) -> dict[str, Any]:
    """The errorInfo of a business error, after checking the envelope's shape."""
    data = call(client, endpoint, body)
    assert data["success"] is False, data
    info: dict[str, Any] = data["errorInfo"]
    assert data["errors"] == [info["code"]]
    assert info["requestId"]
    assert info["message"]
    return info


def new_key(runtime: Runtime, organization_id: str, permissions: list[str], *, active: bool = True) -> str:
    with runtime.transaction() as session:
        organization = session.get_one(Organization, organization_id)
        key = issue_api_key(session, organization, title="test key", permissions=permissions)
        session.flush()
        if not active:
            session.execute(update(ApiKey).where(ApiKey.key_sha256 == sha256_hex(key)).values(is_active=False))
    return key


def make_candidate(ats: httpx.Client, name: str = "Ada Lovelace", **extra: Any) -> dict[str, Any]:
    created: dict[str, Any] = results(ats, "candidate.create", {"name": name, **extra})
    return created


def make_job(ats: httpx.Client, title: str = "Analyst", *, status: str = "Open") -> dict[str, Any]:
    job: dict[str, Any] = results(ats, "job.create", {"title": title})
    if status != "Draft":
        job = results(ats, "job.setStatus", {"jobId": job["id"], "status": status})
    return job


def make_application(ats: httpx.Client, **candidate: Any) -> dict[str, Any]:
    person = make_candidate(ats, **candidate)
    job = make_job(ats)
    application: dict[str, Any] = results(ats, "application.create", {"candidateId": person["id"], "jobId": job["id"]})
    return application
