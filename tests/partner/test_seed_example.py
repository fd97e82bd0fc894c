"""Seed 001's own curl example, sent as written (only {access_token} and the <workday_...> ids filled in)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from tests.conftest import PartnerSession
from tests.partner.helpers import create_job, unique
from tests.partner.test_candidates import SEED_FIELDS

# Verbatim from the seed's curl -d, including its placeholder resume.
SEED_BODY = """{
"ext_job_id": "<workday_job_id>",
"ext_candidate_id": "<workday_candidate_id>",
"ext_application_id": "<workday_application_id>",
"email": "johndoe@gmail.com",
"first_name": "John",
"last_name": "Doe",
"resume_base64": "base64 string",
"work_experiences": [
{
"organization": "Pulsifi",
"role": "Software Engineer",
"is_current": true,
"start_date": "2022-10",
"end_date": "2024-10",
"responsibilities_achievements": "Developing APIs."
}
]
}
"""
SEED_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def _send(partner: PartnerSession, body: dict[str, object]):  # type: ignore[no-untyped-def]
    return partner.client.post(
        "/partner/v1.0/workday/candidates",
        content=json.dumps(body).encode(),
        headers={**SEED_HEADERS, "Authorization": f"Bearer {partner.token}"},
    )


def _seed_body(ext_job_id: str, resume: str | None) -> dict[str, object]:
    text = (
        SEED_BODY.replace("<workday_job_id>", ext_job_id)
        .replace("<workday_candidate_id>", unique("WD-CAND"))
        .replace("<workday_application_id>", unique("WD-APP"))
    )
    body: dict[str, object] = json.loads(text)
    if resume is None:
        del body["resume_base64"]
    else:
        body["resume_base64"] = resume
    return body


def test_seed_example_with_its_placeholder_resume_names_resume_base64(partner: PartnerSession) -> None:
    body = json.loads(SEED_BODY.replace("<workday_job_id>", create_job(partner)))
    response = _send(partner, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["errors"][0]["field"] == "resume_base64"
    assert "resume_base64" in payload["message"]
    assert "base64 string" not in response.text  # the resume is never echoed


def test_seed_example_with_a_real_resume_answers_every_documented_field(partner: PartnerSession) -> None:
    ext_job_id = create_job(partner)
    resume = base64.b64encode(b"%PDF-1.4\nJohn Doe, Software Engineer\n%%EOF\n").decode()
    body = _seed_body(ext_job_id, resume)
    response = _send(partner, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == SEED_FIELDS
    assert answer["ext_job_id"] == ext_job_id
    assert (answer["email"], answer["first_name"], answer["last_name"]) == ("johndoe@gmail.com", "John", "Doe")
    assert answer["status"] == "invited"
    assert answer["invitation_link"].startswith("http")
    for stamp in ("invitation_expired_at", "created_at"):
        assert answer[stamp].endswith("Z")
        datetime.strptime(answer[stamp], "%Y-%m-%dT%H:%M:%SZ")
    again = _send(partner, body)
    assert again.status_code == 200
    assert again.json()["candidate_id"] == answer["candidate_id"]
    assert partner.client.get(answer["invitation_link"]).status_code == 200


def test_seed_example_without_a_resume(partner: PartnerSession) -> None:
    response = _send(partner, _seed_body(create_job(partner), None))
    assert response.status_code == 200, response.text
    assert list(response.json()) == SEED_FIELDS
