"""Partner webhooks: CRUD as Pulsifi documents it, signed deliveries, and results delivered on completion."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.delivery.models import DeliveryJob
from hirebridge.orgs.service import create_organization
from hirebridge.partner.settings_service import set_result_writeback
from hirebridge.runtime import Runtime
from hirebridge.webhooks.models import WebhookSubscription
from tests.assessments.forms import Forms, filled
from tests.conftest import PartnerSession
from tests.partner.helpers import invite
from tests.partner.receiver import Received, Receiver, receiver

WEBHOOKS = "/partner/v1.0/webhooks"
RESULT_READY = "candidate_application_result_ready"


@pytest.fixture
def hook_receiver() -> Iterator[Receiver]:
    with receiver() as r:
        yield r


def _create(partner: PartnerSession, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Results", "url": "https://hooks.example.com/pulsifi", "events": [RESULT_READY], **overrides}
    response = partner.client.post(WEBHOOKS, json=body, headers=partner.headers)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _verify(received: Received, secret: str) -> dict[str, Any]:
    timestamp = received.headers["x-hirebridge-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256).hexdigest()
    assert received.headers["x-hirebridge-signature"] == f"sha256={expected}"
    payload: dict[str, Any] = json.loads(received.body)
    assert received.headers["x-hirebridge-event-id"] == payload["event_id"]
    return payload


def test_create_get_update_status_delete(partner: PartnerSession, runtime: Runtime) -> None:
    created = _create(partner, secret="s3cret-value")
    assert created["status"] == "active"
    assert created["has_secret"] is True
    assert "s3cret-value" not in json.dumps(created)
    with runtime.transaction() as session:
        stored = session.get_one(WebhookSubscription, created["id"])
        assert stored.secret_encrypted is not None
        assert "s3cret-value" not in stored.secret_encrypted
        assert runtime.cipher.decrypt_str(stored.secret_encrypted) == "s3cret-value"
    path = f"{WEBHOOKS}/{created['id']}"
    assert partner.client.get(path, headers=partner.headers).json()["name"] == "Results"

    updated = partner.client.put(
        path,
        json={"name": "Renamed", "url": "https://hooks.example.com/v2", "events": [RESULT_READY]},
        headers=partner.headers,
    ).json()
    assert (updated["name"], updated["url"], updated["has_secret"]) == ("Renamed", "https://hooks.example.com/v2", True)
    cleared = partner.client.put(
        path,
        json={"name": "Renamed", "url": "https://h.example.com", "events": [RESULT_READY], "secret": None},
        headers=partner.headers,
    ).json()
    assert cleared["has_secret"] is False

    inactive = partner.client.put(f"{path}/status", json={"status": "inactive"}, headers=partner.headers)
    assert inactive.json()["status"] == "inactive"
    bad_status = partner.client.put(f"{path}/status", json={"status": "paused"}, headers=partner.headers)
    assert (bad_status.status_code, bad_status.json()["errors"][0]["field"]) == (400, "status")

    deleted = partner.client.delete(path, headers=partner.headers)
    assert deleted.json()["is_deleted"] is True
    assert partner.client.get(path, headers=partner.headers).status_code == 404


def test_list_pages_filters_and_searches(partner: PartnerSession) -> None:
    for name in ("alpha", "beta", "gamma"):
        _create(partner, name=name)
    beta = partner.client.get(WEBHOOKS, params={"q": "bet"}, headers=partner.headers).json()
    assert [w["name"] for w in beta["result"]] == ["beta"]
    first = _create(partner, name="delta")
    partner.client.put(f"{WEBHOOKS}/{first['id']}/status", json={"status": "inactive"}, headers=partner.headers)
    listing = partner.client.get(WEBHOOKS, params={"page_size": 2, "sort_by": "name"}, headers=partner.headers).json()
    assert listing["total_count"] == 4
    assert [w["name"] for w in listing["result"]] == ["alpha", "beta"]
    page2 = partner.client.get(WEBHOOKS, params={"page_size": 2, "page": 2, "sort_by": "name"}, headers=partner.headers)
    assert [w["name"] for w in page2.json()["result"]] == ["delta", "gamma"]
    only_active = partner.client.get(WEBHOOKS, params={"status": "active"}, headers=partner.headers).json()
    assert only_active["total_count"] == 3
    too_big = partner.client.get(WEBHOOKS, params={"page_size": 101}, headers=partner.headers)
    assert too_big.status_code == 400


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": "ftp://files.example.com"}, "url"),
        ({"url": "https://example.com/" + "x" * 2048}, "url"),
        ({"events": ["candidate_hired"]}, "events[0]"),
        ({"events": []}, "events"),
        ({"name": "x" * 256}, "name"),
        ({"secret": "x" * 256}, "secret"),
    ],
)
def test_webhook_validation(partner: PartnerSession, overrides: dict[str, Any], field: str) -> None:
    body = {"name": "n", "url": "https://hooks.example.com", "events": [RESULT_READY], **overrides}
    response = partner.client.post(WEBHOOKS, json=body, headers=partner.headers)
    assert response.status_code == 400
    assert field in [e["field"] for e in response.json()["errors"]]


def test_other_organizations_webhooks_are_invisible(
    partner: PartnerSession, client: httpx.Client, runtime: Runtime
) -> None:
    created = _create(partner)
    with runtime.transaction() as session:
        other = create_organization(session, "Other")
    token = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(other.client_id, other.client_secret)
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{WEBHOOKS}/{created['id']}", headers=headers).status_code == 404
    assert client.delete(f"{WEBHOOKS}/{created['id']}", headers=headers).status_code == 404
    assert client.get(WEBHOOKS, headers=headers).json()["total_count"] == 0


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_test_event_is_delivered_signed(partner: PartnerSession, hook_receiver: Receiver, method: str) -> None:
    created = _create(partner, url=f"{hook_receiver.url}/hook", secret="receiver-secret")
    response = partner.client.request(method, f"{WEBHOOKS}/test", json={"event": RESULT_READY}, headers=partner.headers)
    assert response.status_code == 200, response.text
    assert [d["webhook_id"] for d in response.json()["deliveries"]] == [created["id"]]
    (received,) = hook_receiver.wait_for(1, "/hook")
    payload = _verify(received, "receiver-secret")
    assert payload["event"] == RESULT_READY
    assert payload["test"] is True
    assert payload["event_id"] == response.json()["event_id"]


def _complete(browser: httpx.Client, link: str) -> None:
    (start,) = Forms(browser.get(link).text).forms
    started = browser.post(start["action"], data=filled(start, {}))
    questions = browser.get(started.headers["location"])
    (form,) = Forms(questions.text).forms
    answers = {name: values[-1] for name, values in form["radios"].items()}
    assert browser.post(form["action"], data=filled(form, answers)).status_code == 303


def test_completion_writes_results_back_and_fires_the_webhook(
    partner: PartnerSession, runtime: Runtime, hook_receiver: Receiver, service: str
) -> None:
    with runtime.transaction() as session:
        set_result_writeback(
            session,
            runtime.cipher,
            partner.credentials.organization_id,
            f"{hook_receiver.url}/workday/upsert",
            {"Authorization": "Bearer workday-token"},
        )
    _create(partner, url=f"{hook_receiver.url}/hook", secret="receiver-secret")
    _create(partner, url=f"{hook_receiver.url}/other-event", events=["candidate_job_recommendation_result_ready"])
    invitation = invite(partner)
    with httpx.Client(base_url=service, follow_redirects=False, timeout=30) as browser:
        _complete(browser, invitation["invitation_link"])

    (writeback,) = hook_receiver.wait_for(1, "/workday/upsert")
    assert writeback.headers["authorization"] == "Bearer workday-token"
    # The customer's token reached the receiver, but the job table never held it in the clear.
    with runtime.sessions() as session:
        stored = session.scalars(
            select(DeliveryJob.payload).where(
                DeliveryJob.dedupe_key == f"result-writeback:{invitation['candidate_id']}"
            )
        ).all()
    assert len(stored) == 1
    assert "workday-token" not in json.dumps(stored[0])
    scores = json.loads(writeback.body)
    assert set(scores) >= {"report_pdf_link", "report_profile_link", "scores"}
    assert scores["ext_application_id"] == invitation["ext_application_id"]
    assert scores["scores"] == [
        {"score_format": 100, "score_type": "role_fit", "score_value": 100},
        {"score_format": 100, "score_type": "organizational_fit", "score_value": 100},
    ]

    (event,) = hook_receiver.wait_for(1, "/hook")
    payload = _verify(event, "receiver-secret")
    assert payload["event"] == RESULT_READY
    assert payload["data"]["candidate_id"] == invitation["candidate_id"]
    assert payload["data"]["scores"] == scores["scores"]
    assert [r.path for r in hook_receiver.requests].count("/other-event") == 0
