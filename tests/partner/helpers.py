"""Helpers shared by the partner API and candidate page tests: jobs and candidates made through the real API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import PartnerSession

DESCRIPTION = (
    "We are looking for a backend engineer to design, build and run the APIs that connect our hiring platform "
    "with the systems our customers already use. You will own services end to end: data models, migrations, "
    "integrations with third-party vendors, observability and on-call. You write clear code, test it well and "
    "explain your decisions in writing."
)
assert len(DESCRIPTION) >= 300

JOBS = "/partner/v1.0/workday/jobs"
CANDIDATES = "/partner/v1.0/workday/candidates"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_job(partner: PartnerSession, ext_job_id: str | None = None, *, publish: bool = True, **extra: Any) -> str:
    ext_job_id = ext_job_id or unique("JOB")
    body = {"title": "Backend Engineer", "description": DESCRIPTION, "external_job_id": ext_job_id, **extra}
    response = partner.client.post(JOBS, json=body, headers=partner.headers)
    assert response.status_code == 200, response.text
    if publish:
        published = partner.client.post(f"{JOBS}/{ext_job_id}/publish", headers=partner.headers)
        assert published.status_code == 200, published.text
    return ext_job_id


def candidate_body(ext_job_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ext_job_id": ext_job_id,
        "ext_candidate_id": unique("CAND"),
        "ext_application_id": unique("APP"),
        "email": "jane.doe@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "work_experiences": [
            {
                "organization": "Acme",
                "role": "Engineer",
                "is_current": True,
                "start_date": "2020-01",
                "responsibility_achievement": "Built things.",
            }
        ],
    }
    body.update(overrides)
    return body


def post_candidate(partner: PartnerSession, body: Any) -> httpx.Response:
    return partner.client.post(CANDIDATES, json=body, headers=partner.headers)


def invite(partner: PartnerSession, ext_job_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    """A new candidate invitation (on a new published job unless one is given); the 200 body."""
    response = post_candidate(partner, candidate_body(ext_job_id or create_job(partner), **overrides))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
