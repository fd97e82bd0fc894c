"""POST /partner/v1.0/workday/candidates: every documented field, limit and error, idempotency and concurrency."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hirebridge.assessments.models import Invitation
from hirebridge.core.models import Application, Candidate, ExternalId, StoredFile
from hirebridge.runtime import Runtime
from tests.conftest import PartnerSession
from tests.partner.helpers import CANDIDATES, JOBS, candidate_body, create_job, invite, post_candidate, unique

SEED_FIELDS = [
    "candidate_id",
    "ext_job_id",
    "ext_candidate_id",
    "ext_application_id",
    "email",
    "first_name",
    "last_name",
    "status",
    "invitation_link",
    "invitation_expired_at",
    "created_at",
]


def _rows(runtime: Runtime, organization_id: str) -> dict[str, int]:
    with runtime.transaction() as session:
        return {
            model.__name__: session.scalar(
                select(func.count()).select_from(model).where(model.organization_id == organization_id)  # type: ignore[attr-defined]
            )
            or 0
            for model in (Candidate, Application, Invitation, ExternalId, StoredFile)
        }


def test_creates_candidate_application_and_invitation(partner: PartnerSession, runtime: Runtime) -> None:
    ext_job_id = create_job(partner)
    body = candidate_body(ext_job_id)
    response = post_candidate(partner, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == SEED_FIELDS
    assert answer["status"] == "invited"
    for field in ("ext_job_id", "ext_candidate_id", "ext_application_id", "email", "first_name", "last_name"):
        assert answer[field] == body[field]
    assert answer["invitation_link"].startswith(f"{runtime.public_url}/a/")
    with runtime.transaction() as session:
        invitation = session.get_one(Invitation, answer["candidate_id"])
        assert (invitation.expires_at - invitation.created_at).days == 30
        candidate = invitation.application.candidate
        assert candidate.email == body["email"]
        assert candidate.work_experiences[0]["responsibility_achievement"] == "Built things."
        kinds = set(
            session.scalars(
                select(ExternalId.kind).where(ExternalId.organization_id == partner.credentials.organization_id)
            )
        )
    assert kinds == {"job", "candidate", "application"}


def test_same_application_again_is_the_same_invitation(partner: PartnerSession, runtime: Runtime) -> None:
    body = candidate_body(create_job(partner))
    first = post_candidate(partner, body).json()
    again = post_candidate(partner, body)
    assert again.status_code == 200
    assert again.json() == first
    assert _rows(runtime, partner.credentials.organization_id)["Invitation"] == 1


@pytest.mark.parametrize("differing", ["ext_job_id", "ext_candidate_id"])
def test_same_application_id_for_another_job_or_candidate_conflicts(
    partner: PartnerSession, runtime: Runtime, differing: str
) -> None:
    body = candidate_body(create_job(partner))
    post_candidate(partner, body)
    other = dict(body, **{differing: create_job(partner) if differing == "ext_job_id" else unique("CAND")})
    response = post_candidate(partner, other)
    assert response.status_code == 409
    payload = response.json()
    assert payload["error_code"] == "APPLICATION_CONFLICT"
    assert differing in payload["message"]
    assert _rows(runtime, partner.credentials.organization_id)["Invitation"] == 1


def test_known_candidate_is_reused_for_a_second_application(partner: PartnerSession, runtime: Runtime) -> None:
    first = invite(partner)
    second = invite(partner, ext_candidate_id=first["ext_candidate_id"], email="jane.new@example.com")
    assert first["candidate_id"] != second["candidate_id"]
    rows = _rows(runtime, partner.credentials.organization_id)
    assert (rows["Candidate"], rows["Application"], rows["Invitation"]) == (1, 2, 2)
    with runtime.transaction() as session:
        assert session.scalars(select(Candidate.email)).all().count("jane.new@example.com") == 1


def test_concurrent_identical_requests_make_one_invitation(partner: PartnerSession, runtime: Runtime) -> None:
    body = candidate_body(create_job(partner))
    barrier = threading.Barrier(8)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(base_url=str(partner.client.base_url), timeout=60) as client:
            barrier.wait()
            answers.append(client.post(CANDIDATES, json=body, headers=partner.headers))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert len({a.json()["candidate_id"] for a in answers}) == 1
    rows = _rows(runtime, partner.credentials.organization_id)
    assert (rows["Candidate"], rows["Application"], rows["Invitation"]) == (1, 1, 1)


def test_job_not_found(partner: PartnerSession) -> None:
    response = post_candidate(partner, candidate_body("NO-SUCH-JOB"))
    assert (response.status_code, response.json()["error_code"]) == (400, "JOB_NOT_FOUND")


def test_draft_job_is_not_active(partner: PartnerSession) -> None:
    response = post_candidate(partner, candidate_body(create_job(partner, publish=False)))
    assert (response.status_code, response.json()["error_code"]) == (400, "NOT_ACTIVE_JOB")


def test_closed_job(partner: PartnerSession, runtime: Runtime) -> None:
    ext_job_id = create_job(partner)
    partner.client.post(f"{JOBS}/{ext_job_id}/close", headers=partner.headers)
    response = post_candidate(partner, candidate_body(ext_job_id))
    assert (response.status_code, response.json()["error_code"]) == (400, "JOB_IS_CLOSED")
    assert _rows(runtime, partner.credentials.organization_id)["Candidate"] == 0


MISSING: Any = object()  # an override that removes the field


def _without_missing(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not MISSING}


def _experience(**overrides: Any) -> dict[str, Any]:
    base = {"role": "Engineer", "organization": "Acme", "is_current": False, "start_date": "2020-01"}
    return _without_missing({**base, **overrides})


INVALID = [
    ("missing ext_job_id", {"ext_job_id": MISSING}, "ext_job_id", "is required"),
    ("missing ext_candidate_id", {"ext_candidate_id": MISSING}, "ext_candidate_id", "is required"),
    ("missing ext_application_id", {"ext_application_id": MISSING}, "ext_application_id", "is required"),
    ("numeric ext_candidate_id", {"ext_candidate_id": 42}, "ext_candidate_id", "must be a string"),
    ("blank ext_application_id", {"ext_application_id": "  "}, "ext_application_id", "at least 1"),
    ("long ext_application_id", {"ext_application_id": "a" * 256}, "ext_application_id", "at most 255"),
    ("missing email", {"email": MISSING}, "email", "is required"),
    ("invalid email", {"email": "not-an-email"}, "email", "not a valid email"),
    ("long email", {"email": "a" * 250 + "@example.com"}, "email", "at most 255"),
    ("missing first_name", {"first_name": MISSING}, "first_name", "is required"),
    ("long first_name", {"first_name": "x" * 256}, "first_name", "at most 255"),
    ("long last_name", {"last_name": "x" * 256}, "last_name", "at most 255"),
    ("too many work_experiences", {"work_experiences": [_experience()] * 11}, "work_experiences", "at most 10"),
    ("work_experiences not a list", {"work_experiences": {}}, "work_experiences", "must be a list"),
    ("role required", {"work_experiences": [_experience(role=MISSING)]}, "work_experiences[0].role", "is required"),
    ("long role", {"work_experiences": [_experience(role="x" * 256)]}, "work_experiences[0].role", "at most 255"),
    (
        "organization required",
        {"work_experiences": [_experience(organization=MISSING)]},
        "work_experiences[0].organization",
        "is required",
    ),
    (
        "long organization",
        {"work_experiences": [_experience(organization="x" * 256)]},
        "work_experiences[0].organization",
        "at most 255",
    ),
    (
        "is_current required",
        {"work_experiences": [_experience(is_current=MISSING)]},
        "work_experiences[0].is_current",
        "is required",
    ),
    (
        "is_current boolean",
        {"work_experiences": [_experience(is_current="yes")]},
        "work_experiences[0].is_current",
        "true or false",
    ),
    (
        "long responsibility",
        {"work_experiences": [_experience(responsibility_achievement="x" * 1001)]},
        "work_experiences[0].responsibility_achievement",
        "at most 1000",
    ),
    (
        "long responsibilities (plural)",
        {"work_experiences": [_experience(responsibilities_achievements="x" * 1001)]},
        "work_experiences[0].responsibilities_achievements",
        "at most 1000",
    ),
    (
        "start_date required",
        {"work_experiences": [_experience(start_date=MISSING)]},
        "work_experiences[0].start_date",
        "is required",
    ),
    (
        "start_date format",
        {"work_experiences": [_experience(start_date="2020-01-15")]},
        "work_experiences[0].start_date",
        "YYYY-MM",
    ),
    (
        "start_date month",
        {"work_experiences": [_experience(start_date="2020-13")]},
        "work_experiences[0].start_date",
        "YYYY-MM",
    ),
    (
        "end_date format",
        {"work_experiences": [_experience(end_date="01/2021")]},
        "work_experiences[0].end_date",
        "YYYY-MM",
    ),
    ("resume not base64", {"resume_base64": "base64 string"}, "resume_base64", "not valid base64"),
    ("resume bad padding", {"resume_base64": "abc"}, "resume_base64", "not valid base64"),
    ("resume empty", {"resume_base64": ""}, "resume_base64", "empty"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "reason"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_validation(
    partner: PartnerSession, runtime: Runtime, overrides: dict[str, Any], field: str, reason: str
) -> None:
    body = _without_missing({**candidate_body("ANY-JOB"), **overrides})
    response = post_candidate(partner, body)
    assert response.status_code == 400, response.text
    payload = response.json()
    assert any(e["field"] == field and reason in e["reason"] for e in payload["errors"]), payload
    assert field.split("[")[0].split(".")[0] in payload["message"]
    assert _rows(runtime, partner.credentials.organization_id)["Candidate"] == 0


def test_limits_at_the_maximum_are_accepted(partner: PartnerSession) -> None:
    experience = _experience(
        role="r" * 255, organization="o" * 255, responsibility_achievement="x" * 1000, end_date=None, is_current=True
    )
    answer = invite(
        partner,
        first_name="f" * 255,
        last_name=None,
        email="a" * 64 + "@" + "b" * 63 + ".example.com",
        work_experiences=[experience] * 10,
    )
    assert answer["last_name"] is None
    assert answer["first_name"] == "f" * 255


def test_unknown_fields_are_ignored(partner: PartnerSession) -> None:
    answer = invite(partner, deadline="2030-01-01", skills=[{"name": "SQL"}], is_anonymous_candidate=False)
    assert "deadline" not in answer


def test_resume_is_stored(partner: PartnerSession, runtime: Runtime) -> None:
    pdf = b"%PDF-1.4\n% a tiny resume\n" + bytes(range(256))
    answer = invite(partner, resume_base64=base64.b64encode(pdf).decode())
    with runtime.transaction() as session:
        invitation = session.get_one(Invitation, answer["candidate_id"])
        stored = session.scalars(
            select(StoredFile).where(StoredFile.candidate_id == invitation.application.candidate_id)
        ).one()
        assert (stored.content, stored.content_type, stored.size_bytes) == (pdf, "application/pdf", len(pdf))


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "MALFORMED_JSON"),
        (b"", "application/json", 400, "MALFORMED_JSON"),
        (b"[1, 2]", "application/json", 400, "VALIDATION_ERROR"),
        (b"ext_job_id=1", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b"\xff\xfe", "application/json", 400, "MALFORMED_JSON"),
    ],
)
def test_unreadable_bodies(
    partner: PartnerSession, runtime: Runtime, content: bytes, content_type: str, status: int, code: str
) -> None:
    response = partner.client.post(
        CANDIDATES, content=content, headers={**partner.headers, "Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.json()["error_code"] == code
    assert _rows(runtime, partner.credentials.organization_id)["Candidate"] == 0


def test_get_candidate_shows_status_and_expiry(partner: PartnerSession, runtime: Runtime) -> None:
    answer = invite(partner)
    for path in ("workday", "standard"):
        got = partner.client.get(f"/partner/v1.0/{path}/candidates/{answer['candidate_id']}", headers=partner.headers)
        assert got.status_code == 200
        body = got.json()
        assert {k: body[k] for k in SEED_FIELDS} == answer
        assert body["results"] is None
    with runtime.transaction() as session:
        invitation = session.get_one(Invitation, answer["candidate_id"])
        invitation.expires_at = invitation.created_at - timedelta(seconds=1)
    expired = partner.client.get(f"/partner/v1.0/workday/candidates/{answer['candidate_id']}", headers=partner.headers)
    assert expired.json()["status"] == "expired"
    replay = post_candidate(
        partner, {k: answer[k] for k in SEED_FIELDS if k.startswith("ext_") or k in ("email", "first_name")}
    )
    assert replay.status_code == 200
    assert replay.json()["status"] == "expired"


@pytest.mark.parametrize("candidate_id", ["not-a-uuid", "00000000-0000-4000-8000-000000000000"])
def test_unknown_candidate_is_404(partner: PartnerSession, candidate_id: str) -> None:
    response = partner.client.get(f"/partner/v1.0/workday/candidates/{candidate_id}", headers=partner.headers)
    assert (response.status_code, response.json()["error_code"]) == (404, "CANDIDATE_NOT_FOUND")
