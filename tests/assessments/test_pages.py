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
from tests.assessments.forms import Forms, filled
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
    started = browser.post(start["action"], data=filled(start, {}))
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
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert _status(partner, candidate_id)["status"] == "opened"
    assert _status(partner, candidate_id)["opened_at"] is not None

    forms = _start(browser, link)
    assert _status(partner, candidate_id)["status"] == "started"
    (questionnaire,) = forms.forms
    assert len(questionnaire["radios"]) == 6
    best = {name: values[-1] for name, values in questionnaire["radios"].items()}
    submitted = browser.post(questionnaire["action"], data=filled(questionnaire, best))
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
    assert browser.post(form["action"], data=filled(form, {"sql": "1", "api": "0", "team": "1"})).status_code == 303
    scores = _status(partner, invitation["candidate_id"])["results"]["scores"]
    assert [s["score_value"] for s in scores] == [50, 50]  # 100 of 200; 40 of 80


def test_unanswered_or_invalid_answers_are_shown_again(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    (form,) = _start(browser, invitation["invitation_link"]).forms
    names = list(form["radios"])
    partial = {names[0]: "0", names[1]: "99", names[2]: "1" * 5000}
    response = browser.post(form["action"], data=filled(form, partial))
    assert response.status_code == 303  # Post/Redirect/Get: Back and Reload never send the form again
    assert response.headers["location"].endswith("/questions?check=1")
    page = browser.get(response.headers["location"])
    assert page.status_code == 200
    # each error twice: in the summary at the top and next to its question
    assert page.text.count("That answer is not one of the options.") == 2 * 2
    assert page.text.count("Please choose an answer.") == 2 * 3
    assert "5 questions still need an answer" in page.text
    assert 'role="alert"' in page.text
    (again,) = Forms(page.text).forms
    assert again["checked"] == {names[0]: "0"}  # the valid answer is kept
    assert _status(partner, invitation["candidate_id"])["status"] == "started"

    reloaded = browser.get(invitation["invitation_link"] + "/questions")
    assert "Please choose an answer." not in reloaded.text  # errors only right after a submission
    assert Forms(reloaded.text).forms[0]["checked"] == {names[0]: "0"}


def test_a_second_submission_changes_nothing(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    (form,) = _start(browser, invitation["invitation_link"]).forms
    first = {name: values[0] for name, values in form["radios"].items()}
    assert browser.post(form["action"], data=filled(form, first)).status_code == 303
    scores = _status(partner, invitation["candidate_id"])["results"]["scores"]
    second = {name: values[-1] for name, values in form["radios"].items()}
    assert browser.post(form["action"], data=filled(form, second)).status_code == 303
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
    response = browser.post(
        form["action"], data=filled(form, {name: values[0] for name, values in form["radios"].items()})
    )
    assert response.status_code == 410
    status = _status(partner, invitation["candidate_id"])
    assert (status["status"], status["results"]) == ("expired", None)


def test_unknown_token_is_404(browser: httpx.Client) -> None:
    response = browser.get("/a/not-a-real-token")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert browser.post("/a/not-a-real-token/start", headers=FORM, content=b"").status_code == 404


def _start_form(browser: httpx.Client, link: str) -> dict[str, Any]:
    (form,) = Forms(browser.get(link).text).forms
    return form


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null"},  # a sandboxed frame or data: page (or a no-referrer page) of anyone
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
    ],
    ids=["foreign-origin", "foreign-origin-cross-site", "null-origin", "null-cross-site", "cross-site", "same-site"],
)
def test_cross_site_post_is_refused(partner: PartnerSession, browser: httpx.Client, headers: dict[str, str]) -> None:
    invitation = invite(partner)
    start = _start_form(browser, invitation["invitation_link"])
    response = browser.post(start["action"], headers=headers, data=filled(start, {}))
    assert response.status_code == 403
    assert "This form can only be sent from its own page." in response.text
    assert _status(partner, invitation["candidate_id"])["status"] == "opened"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "{service}", "Sec-Fetch-Site": "same-origin"},  # what a browser sends from our page
        {"Origin": "{service}"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},  # a browser told by its user to send no referrer
        {"Sec-Fetch-Site": "none"},
        {},  # not a browser: the link's token is the credential
    ],
    ids=["own-origin", "own-origin-no-fetch-metadata", "null-same-origin", "user-initiated", "no-headers"],
)
def test_own_page_posts_are_accepted(
    partner: PartnerSession, browser: httpx.Client, service: str, headers: dict[str, str]
) -> None:
    invitation = invite(partner)
    start = _start_form(browser, invitation["invitation_link"])
    sent = {name: value.format(service=service) for name, value in headers.items()}
    response = browser.post(start["action"], headers=sent, data=filled(start, {}))
    assert response.status_code == 303
    assert _status(partner, invitation["candidate_id"])["status"] == "started"


def test_a_post_without_the_pages_form_token_is_refused(partner: PartnerSession, browser: httpx.Client) -> None:
    invitation = invite(partner)
    other = _start_form(browser, invite(partner)["invitation_link"])  # another invitation's page and token
    start = _start_form(browser, invitation["invitation_link"])
    for form in ({}, {"form.token": "0" * 32}, other["hidden"]):
        response = browser.post(start["action"], data=form, headers={**FORM, "Origin": str(browser.base_url)})
        assert response.status_code == 403
        assert "open the link in your invitation again" in response.text
    assert _status(partner, invitation["candidate_id"])["status"] == "opened"


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
