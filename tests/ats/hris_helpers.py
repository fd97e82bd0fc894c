"""Helpers for the HRIS push and connection tests: hiring records, simulators on sockets, Ashby calls."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import httpx
import pytest

from hirebridge.core.models import Application, Candidate, Job, JobStatus, Offer, OfferStatus
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.conformance import conforming_client
from tests.support.servers import serve

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll until ``probe`` returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s")
        time.sleep(interval)


def call(client: httpx.Client, endpoint: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POST an Ashby-style RPC call; every answer but 401/403/429 is HTTP 200 with the envelope."""
    response = client.post(f"/{endpoint}", json=body, **kwargs)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def error_code(answer: dict[str, Any]) -> str:
    assert answer["success"] is False, answer
    assert answer["errors"] == [answer["errorInfo"]["code"]]
    return str(answer["errorInfo"]["code"])


@dataclass
class Hiring:
    application_id: str
    candidate_id: str
    email: str


def make_application(
    runtime: Runtime,
    organization_id: str,
    *,
    first_name: str | None = "Ada",
    last_name: str | None = "Lovelace",
    offer: OfferStatus | None = OfferStatus.CANDIDATE_ACCEPTED,
    email: str | None = None,
) -> Hiring:
    """A job, a candidate (with a unique email unless given), an application and (optionally) an offer."""
    email = email or f"ada.{uuid.uuid4().hex[:10]}@example.com"
    with runtime.transaction() as session:
        job = Job(
            organization_id=organization_id, title="Software Engineer", status=JobStatus.OPEN, department="Engineering"
        )
        candidate = Candidate(organization_id=organization_id, first_name=first_name, last_name=last_name, email=email)
        session.add_all([job, candidate])
        session.flush()
        application = Application(organization_id=organization_id, candidate_id=candidate.id, job_id=job.id)
        session.add(application)
        session.flush()
        if offer is not None:
            session.add(
                Offer(
                    organization_id=organization_id,
                    application_id=application.id,
                    status=offer,
                    version_id=str(uuid.uuid4()),
                    start_date=date(2030, 1, 6),
                    job_title="Software Engineer",
                )
            )
        return Hiring(application.id, candidate.id, email)


def set_offer_status(runtime: Runtime, application_id: str, status: OfferStatus) -> None:
    from sqlalchemy import update

    with runtime.transaction() as session:
        session.execute(update(Offer).where(Offer.application_id == application_id).values(status=status))


@pytest.fixture
def ats(client: httpx.Client, org: IssuedCredentials) -> Iterator[httpx.Client]:
    """The organization's ATS API client, closed after the test (the shared fixture leaves its socket open)."""
    with conforming_client(str(client.base_url), org.api_key, timeout=60) as ats_client:
        yield ats_client


@pytest.fixture
def simulator() -> Iterator[Callable[[Any], str]]:
    """Start simulator apps on real sockets for the test's duration: ``url = simulator(app)``."""
    stack: list[Any] = []

    def start(app: Any) -> str:
        context = serve(app)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def bamboo_url(simulator: Callable[[Any], str]) -> str:
    """A BambooHR simulator on a socket, accepting BAMBOO_CREDENTIALS; returns its base URL."""
    from hirebridge.sandbox.bamboohr.app import create_app

    return simulator(
        create_app(company_domain=BAMBOO_CREDENTIALS["companyDomain"], api_key=BAMBOO_CREDENTIALS["apiKey"])
    )


def records(base_url: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{base_url}/_sandbox/records", timeout=10).json()
    items: list[dict[str, Any]] = answer["records"]
    return items


def set_faults(base_url: str, **switches: Any) -> None:
    response = httpx.put(f"{base_url}/_sandbox/faults", json=switches, timeout=10)
    assert response.status_code == 200, response.text


BOB_CREDENTIALS = {"serviceUserId": "SERVICE-USER", "token": "sandbox-token"}
BAMBOO_CREDENTIALS = {"companyDomain": "acme", "apiKey": "bamboo-sandbox-key-0123456789"}


def bob_connection(client: httpx.Client, base_url: str, *, settings: dict[str, Any] | None = None) -> str:
    """This organization's Bob connection to a simulator; returns its id."""
    body = {
        "system": "bob",
        "name": "Bob sandbox",
        "baseUrl": base_url,
        "credentials": BOB_CREDENTIALS,
        "settings": settings if settings is not None else {"defaultSite": "London"},
        "rateLimitPerSecond": 50,
    }
    answer = call(client, "hrisConnection.create", body)
    assert answer["success"] is True, answer
    return str(answer["results"]["id"])


def bamboo_connection(client: httpx.Client, base_url: str) -> str:
    """This organization's BambooHR connection to a simulator; returns its id."""
    body = {
        "system": "bamboohr",
        "name": "BambooHR sandbox",
        "baseUrl": base_url,
        "credentials": BAMBOO_CREDENTIALS,
        "rateLimitPerSecond": 50,
    }
    answer = call(client, "hrisConnection.create", body)
    assert answer["success"] is True, answer
    return str(answer["results"]["id"])
