"""A client generated from the served document by openapi-python-client, used as a customer would: it creates a
candidate, a job, an application and an accepted offer, connects BambooHR, and pushes the hire, through the
generated code only, against the service on a socket and the BambooHR simulator."""

from __future__ import annotations

import base64
import importlib
import uuid
from types import ModuleType
from typing import Any

from hirebridge.orgs.service import IssuedCredentials
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, bamboo_url, records, simulator
from tests.openapi.conftest import PACKAGE

__all__ = ["bamboo_url", "simulator"]


class Ats:
    """Calls an operation of the generated client and returns its ``results``, failing on Ashby's error envelope."""

    def __init__(self, generated: ModuleType, base_url: str, api_key: str) -> None:
        basic = base64.b64encode(f"{api_key}:".encode()).decode()
        self.client = generated.AuthenticatedClient(base_url=base_url, token=basic, prefix="Basic", timeout=60.0)
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def close(self) -> None:
        self.client.get_httpx_client().close()

    def __call__(self, tag: str, operation: str, body_model: str, body: dict[str, Any]) -> Any:
        module = importlib.import_module(f"{PACKAGE}.api.{tag}.{operation}")
        answer = module.sync(client=self.client, body=getattr(self.models, body_model).from_dict(body))
        assert not isinstance(answer, self.models.AshbyError), answer.to_dict()
        assert answer is not None
        assert answer.success is True
        return answer.results


def test_generated_client_creates_a_hire_and_pushes_it_to_bamboohr(
    generated: ModuleType, service: str, org: IssuedCredentials, bamboo_url: str
) -> None:
    ats = Ats(generated, service, org.api_key)
    try:
        _hire_and_push(ats, bamboo_url)
    finally:
        ats.close()


def _hire_and_push(ats: Ats, bamboo_url: str) -> None:
    email = f"grace.{uuid.uuid4().hex[:10]}@example.com"
    candidate = ats("ats_candidates", "candidate_create", "CandidateCreate", {"name": "Grace Hopper", "email": email})
    job = ats("ats_jobs", "job_create", "JobCreate", {"title": "Rear Admiral", "department": "Navy"})
    ats("ats_jobs", "job_set_status", "JobSetStatus", {"jobId": str(job.id), "status": "Open"})
    application = ats(
        "ats_applications",
        "application_create",
        "ApplicationCreate",
        {"candidateId": str(candidate.id), "jobId": str(job.id)},
    )
    offer = ats(
        "ats_offers",
        "offer_create",
        "OfferCreate",
        {
            "applicationId": str(application.id),
            "startDate": "2031-03-03",
            "salary": {"currencyCode": "USD", "value": 1},
        },
    )
    for status in ("WaitingOnCandidateResponse", "CandidateAccepted"):
        ats("ats_offers", "offer_set_status", "OfferSetStatus", {"offerId": str(offer.id), "offerStatus": status})
    ats(
        "ats_applications",
        "application_change_status",
        "ApplicationChangeStatus",
        {"applicationId": str(application.id), "status": "Hired"},
    )
    connection = {
        "system": "bamboohr",
        "name": "BambooHR sandbox",
        "baseUrl": bamboo_url,
        "credentials": BAMBOO_CREDENTIALS,
        "rateLimitPerSecond": 50,
    }
    ats("ats_hris", "hris_connection_create", "ConnectionCreate", connection)

    push = ats(
        "ats_hris",
        "candidate_push_to_hris",
        "PushToHrisBody",
        {"applicationId": str(application.id), "externalSystem": "bamboohr"},
    )

    assert (push.state, push.operation) == ("succeeded", "create")
    employees = records(bamboo_url)
    assert [(e["firstName"], e["lastName"]) for e in employees] == [("Grace", "Hopper")]
    assert push.remote_id == str(employees[0]["id"])
