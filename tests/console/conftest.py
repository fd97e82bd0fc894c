"""Console fixtures: a signed-in console client, and a failed BambooHR push (a wrong API key: 401)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, call, make_application, simulator
from tests.console.helpers import Console, signed_in

__all__ = ["simulator"]


@pytest.fixture
def console(service: str, runtime: Runtime, org: IssuedCredentials) -> Iterator[Console]:
    signed = signed_in(service, runtime, org.organization_id)
    try:
        yield signed
    finally:
        signed.client.close()


@dataclass
class FailedPush:
    push_id: str
    connection_id: str
    candidate_id: str
    application_id: str
    bamboo_url: str


@pytest.fixture
def failed_push(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, simulator: Callable[[Any], str]
) -> FailedPush:
    """A BambooHR connection whose API key the simulator refuses, and the push it failed (HTTP 401)."""
    from hirebridge.sandbox.bamboohr.app import create_app

    url = simulator(
        create_app(company_domain=BAMBOO_CREDENTIALS["companyDomain"], api_key=BAMBOO_CREDENTIALS["apiKey"])
    )
    wrong = {**BAMBOO_CREDENTIALS, "apiKey": "not-the-right-key-000000"}
    answer = call(
        ats,
        "hrisConnection.create",
        {"system": "bamboohr", "name": "BambooHR", "baseUrl": url, "credentials": wrong, "rateLimitPerSecond": 50},
    )
    assert answer["success"] is True, answer
    connection_id = answer["results"]["id"]
    hiring = make_application(runtime, org.organization_id)
    pushed = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bamboohr"})
    assert pushed["success"] is False, pushed
    push_id = pushed["errorInfo"]["meta"]["pushId"]
    return FailedPush(push_id, connection_id, hiring.candidate_id, hiring.application_id, url)


@pytest.fixture
def ats(client: httpx.Client, org: IssuedCredentials) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=str(client.base_url), auth=(org.api_key, ""), timeout=60) as ats_client:
        yield ats_client
