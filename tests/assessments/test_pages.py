"""Following an invitation link the way a browser would (plain HTTP, forms parsed from the HTML), through
opened, started and completed; and the links that must not work (expired, unknown, forged)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hirebridge.assessments.models import Invitation
from hirebridge.db.types import utcnow
from hirebridge.runtime import Runtime
from tests.assessments.forms import Forms
from tests.conftest import PartnerSession
from tests.partner.helpers import create_job, invite

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _status(partner: PartnerSession, candidate_id: str) -> dict[str, Any]:
    response = partner.client.get(f"/partner/v1.0/workday/candidates/{candidate_id}", headers=partner.headers)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def browser(service: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service, timeout=30, follow_redirects=False) as client:
        yield client


def _start(browser: httpx.Client, link: str) -> Forms:
    page = browser.get(link)
    assert page.status_code == 200
    (start,) = Forms(page.text).forms
    assert start["method"] == "post"
    started = browser.post(start["action"], headers=FORM, content=b"")
    assert started.status_code == 303
    questions = browser.get(started.headers["location"])
    assert questions.status_code == 200
    return Forms(questions.text)


def test_invitation_link_through_opened_started_completed(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    candidate_id, link = invitation["candidate_id"], invitation["invitation_link"]

    page = browser.get(link)
    assert page.status_code == 200
    assert "Backend Engineer" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert _status(partner, candidate_id)["status"] == "opened"
    assert _status(partner, candidate_id)["opened_at"] is not None

    forms = _start(browser, link)
    assert _status(partner, candidate_id)["status"] == "started"
    (questionnaire,) = forms.forms
    assert len(questionnaire["radios"]) == 6
    best = {name: values[-1] for name, values in questionnaire["radios"].items()}
    submitted = browser.post(questionnaire["action"], data=best)
    assert submitted.status_code == 303
    done = browser.get(submitted.headers["location"])
    assert done.status_code == 200
    assert "complete" in done.text

    status = _status(partner, candidate_id)
    assert status["status"] == "completed"
    assert status["completed_at"] is not None
    assert status["results"]["scores"] == [
        {"score_format": 100, "score_type": "role_fit", "score_value": 100},
        {"score_format": 100, "score_type": "organizational_fit", "score_value": 100},
    ]
    report = browser.get(status["results"]["report_profile_link"])
    assert report.status_code == 200
    assert "Role fit" in report.text
    assert "100 / 100" in report.text


def test_scores_follow_the_jobs_questionnaire(partner: PartnerSession, browser: httpx.Client) -> None:
    yes_no = [{"label": "No", "score": 0}, {"label": "Yes", "score": 100}]
    scale = [{"label": "Low", "score": 10}, {"label": "Mid", "score": 40}, {"label": "High", "score": 80}]
    questionnaire = [
        {"id": "sql", "text": "Do you know SQL?", "dimension": "role_fit", "options": yes_no},
        {"id": "api", "text": "Have you built APIs?", "dimension": "role_fit", "options": yes_no},
        {"id": "team", "text": "Teamwork?", "dimension": "organizational_fit", "options": scale},
    ]
    invitation = invite(partner, create_job(partner, questionnaire=questionnaire))
    (form,) = _start(browser, invitation["invitation_link"]).forms
    assert set(form["radios"]) == {"sql", "api", "team"}
    assert browser.post(form["action"], data={"sql": "1", "api": "0", "team": "1"}).status_code == 303
    scores = _status(partner, invitation["candidate_id"])["results"]["scores"]
    assert [s["score_value"] for s in scores] == [50, 50]  # 100 of 200; 40 of 80


def test_unanswered_or_invalid_answers_are_shown_again(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    (form,) = _start(browser, invitation["invitation_link"]).forms
    names = list(form["radios"])
    partial = {names[0]: "0", names[1]: "99"}
    response = browser.post(form["action"], data=partial)
    assert response.status_code == 400
    assert "not one of the options" in response.text
    assert "Please choose an answer." in response.text
    assert 'role="alert"' in response.text
    assert _status(partner, invitation["candidate_id"])["status"] == "started"


def test_a_second_submission_changes_nothing(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    (form,) = _start(browser, invitation["invitation_link"]).forms
    first = {name: values[0] for name, values in form["radios"].items()}
    assert browser.post(form["action"], data=first).status_code == 303
    scores = _status(partner, invitation["candidate_id"])["results"]["scores"]
    second = {name: values[-1] for name, values in form["radios"].items()}
    assert browser.post(form["action"], data=second).status_code == 303
    assert _status(partner, invitation["candidate_id"])["results"]["scores"] == scores
    assert [s["score_value"] for s in scores] == [0, 0]


def test_expired_link_answers_410_and_the_status_becomes_expired(
    partner: PartnerSession, browser: httpx.Client, runtime: Runtime
) -> None:
    invitation = invite(partner)
    with runtime.transaction() as session:
        session.get_one(Invitation, invitation["candidate_id"]).expires_at = utcnow() - timedelta(minutes=1)
    page = browser.get(invitation["invitation_link"])
    assert page.status_code == 410
    assert "expired" in page.text
    assert _status(partner, invitation["candidate_id"])["status"] == "expired"
    start = browser.post(invitation["invitation_link"] + "/start", headers=FORM, content=b"")
    assert start.status_code == 410


def test_started_assessment_expires_before_submission(
    partner: PartnerSession, browser: httpx.Client, runtime: Runtime
) -> None:
    invitation = invite(partner)
    (form,) = _start(browser, invitation["invitation_link"]).forms
    with runtime.transaction() as session:
        session.get_one(Invitation, invitation["candidate_id"]).expires_at = utcnow() - timedelta(seconds=1)
    response = browser.post(form["action"], data={name: values[0] for name, values in form["radios"].items()})
    assert response.status_code == 410
    status = _status(partner, invitation["candidate_id"])
    assert (status["status"], status["results"]) == ("expired", None)


def test_unknown_token_is_404(browser: httpx.Client) -> None:
    response = browser.get("/a/not-a-real-token")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert browser.post("/a/not-a-real-token/start", headers=FORM, content=b"").status_code == 404


def test_cross_site_post_is_refused(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    response = browser.post(
        invitation["invitation_link"] + "/start", headers={**FORM, "Origin": "https://evil.example"}, content=b""
    )
    assert response.status_code == 403
    assert _status(partner, invitation["candidate_id"])["status"] == "invited"


def test_non_form_post_and_oversized_form(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    start = invitation["invitation_link"] + "/start"
    assert browser.post(start, json={"x": 1}).status_code == 415
    assert browser.post(start, headers=FORM, content=b"a=" + b"x" * 20_000).status_code == 413
    assert _status(partner, invitation["candidate_id"])["status"] == "invited"


def test_questions_before_start_go_back_to_the_invitation(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    response = browser.get(invitation["invitation_link"] + "/questions")
    assert response.status_code == 303
    assert response.headers["location"].endswith(invitation["invitation_link"].rsplit("/", 1)[1])


def test_forged_report_link_is_404(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    assert browser.get(f"/reports/{invitation['candidate_id']}/{'0' * 40}").status_code == 404
