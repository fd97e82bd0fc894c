"""Workday jobs: upsert while draft, the documented errors once active or closed, and the publish/close extension."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PartnerSession
from tests.partner.helpers import DESCRIPTION, JOBS, create_job, unique


def _post(partner: PartnerSession, body: dict[str, Any]) -> Any:
    return partner.client.post(JOBS, json=body, headers=partner.headers)


def test_create_then_update_while_draft(partner: PartnerSession) -> None:
    ext = unique("JOB")
    first = _post(partner, {"title": "Engineer", "description": DESCRIPTION, "external_job_id": ext})
    assert first.status_code == 200, first.text
    created = first.json()
    assert created["status"] == "draft"
    assert created["ext_job_id"] == ext
    assert created["title"] == "Engineer"
    # The docs' own example spells the id ext_job_id: same job, updated.
    second = _post(
        partner, {"title": "Senior Engineer", "description": DESCRIPTION, "ext_job_id": ext, "location": "Remote"}
    )
    assert second.status_code == 200, second.text
    assert second.json()["id"] == created["id"]
    got = partner.client.get(f"{JOBS}/{ext}", headers=partner.headers).json()
    assert (got["title"], got["location"], got["status"]) == ("Senior Engineer", "Remote", "draft")


def test_default_questionnaire_covers_both_scores(partner: PartnerSession) -> None:
    ext = create_job(partner, publish=False)
    questionnaire = partner.client.get(f"{JOBS}/{ext}", headers=partner.headers).json()["questionnaire"]
    assert {q["dimension"] for q in questionnaire} == {"role_fit", "organizational_fit"}
    assert all(len(q["options"]) >= 2 for q in questionnaire)


def test_custom_questionnaire_is_kept(partner: PartnerSession) -> None:
    questions = [
        {
            "text": "SQL?",
            "dimension": "role_fit",
            "options": [{"label": "No", "score": 0}, {"label": "Yes", "score": 100}],
        },
        {
            "text": "Teams?",
            "dimension": "organizational_fit",
            "options": [{"label": "Alone", "score": 20}, {"label": "Team", "score": 80}],
        },
    ]
    ext = create_job(partner, publish=False, questionnaire=questions)
    stored = partner.client.get(f"{JOBS}/{ext}", headers=partner.headers).json()["questionnaire"]
    assert [q["id"] for q in stored] == ["q1", "q2"]
    assert stored[1]["options"][1] == {"label": "Team", "score": 80}


@pytest.mark.parametrize(
    ("questionnaire", "field"),
    [
        (
            [
                {
                    "text": "Only one dimension",
                    "dimension": "role_fit",
                    "options": [{"label": "a", "score": 0}, {"label": "b", "score": 1}],
                }
            ]
            * 2,
            "questionnaire",
        ),
        ([{"text": "x", "dimension": "luck", "options": []}], "questionnaire[0].dimension"),
        (
            [
                {
                    "text": "x",
                    "dimension": "role_fit",
                    "options": [{"label": "a", "score": 101}, {"label": "b", "score": 1}],
                }
            ],
            "questionnaire[0].options[0].score",
        ),
    ],
)
def test_bad_questionnaire_is_refused(partner: PartnerSession, questionnaire: list[Any], field: str) -> None:
    response = _post(
        partner,
        {"title": "T", "description": DESCRIPTION, "external_job_id": unique("J"), "questionnaire": questionnaire},
    )
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"description": DESCRIPTION, "external_job_id": "J"}, "title", "is required"),
        ({"title": "x" * 256, "description": DESCRIPTION, "external_job_id": "J"}, "title", "at most 255"),
        ({"title": "T", "external_job_id": "J"}, "description", "is required"),
        ({"title": "T", "description": "x" * 299, "external_job_id": "J"}, "description", "at least 300"),
        ({"title": "T", "description": "x" * 20_001, "external_job_id": "J"}, "description", "at most 20000"),
        ({"title": "T", "description": DESCRIPTION}, "external_job_id", "is required"),
        ({"title": "T", "description": DESCRIPTION, "external_job_id": "x" * 256}, "external_job_id", "at most 255"),
        (
            {"title": "T", "description": DESCRIPTION, "external_job_id": "J", "location": "x" * 256},
            "location",
            "at most 255",
        ),
        ({"title": 5, "description": DESCRIPTION, "external_job_id": "J"}, "title", "must be a string"),
    ],
)
def test_job_validation(partner: PartnerSession, body: dict[str, Any], field: str, reason: str) -> None:
    response = _post(partner, body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["error_code"] == "VALIDATION_ERROR"
    assert any(e["field"] == field and reason in e["reason"] for e in payload["errors"]), payload


def test_active_job_cannot_be_updated(partner: PartnerSession) -> None:
    ext = create_job(partner)
    response = _post(partner, {"title": "Changed", "description": DESCRIPTION, "external_job_id": ext})
    assert response.status_code == 400
    assert response.json()["error_code"] == "UNABLE_TO_UPDATE_ACTIVE_JOB"
    assert partner.client.get(f"{JOBS}/{ext}", headers=partner.headers).json()["title"] == "Backend Engineer"


def test_closed_job_cannot_be_updated_or_published(partner: PartnerSession) -> None:
    ext = create_job(partner)
    closed = partner.client.post(f"{JOBS}/{ext}/close", headers=partner.headers)
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_at"] is not None
    response = _post(partner, {"title": "Changed", "description": DESCRIPTION, "external_job_id": ext})
    assert (response.status_code, response.json()["error_code"]) == (400, "JOB_IS_CLOSED")
    again = partner.client.post(f"{JOBS}/{ext}/publish", headers=partner.headers)
    assert (again.status_code, again.json()["error_code"]) == (400, "JOB_IS_CLOSED")
    assert partner.client.post(f"{JOBS}/{ext}/close", headers=partner.headers).status_code == 200


def test_publish_is_idempotent(partner: PartnerSession) -> None:
    ext = create_job(partner)
    first = partner.client.get(f"{JOBS}/{ext}", headers=partner.headers).json()
    again = partner.client.post(f"{JOBS}/{ext}/publish", headers=partner.headers)
    assert again.status_code == 200
    assert again.json()["status"] == "active"
    assert again.json()["published_at"] == first["published_at"]


def test_unknown_job(partner: PartnerSession) -> None:
    for method, path in [("GET", f"{JOBS}/nope"), ("POST", f"{JOBS}/nope/publish"), ("POST", f"{JOBS}/nope/close")]:
        response = partner.client.request(method, path, headers=partner.headers)
        assert response.status_code == 404
        assert response.json()["error_code"] == "JOB_NOT_FOUND"
