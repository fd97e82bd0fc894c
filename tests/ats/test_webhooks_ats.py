"""Ashby-style webhooks: settings endpoints over HTTP, and signed deliveries to a real receiver on a socket."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import select, update

from hirebridge.ats import events
from hirebridge.ats.serializers import application_json, offer_json
from hirebridge.core.models import Application, Offer
from hirebridge.db.types import utcnow
from hirebridge.delivery.engine import wake_workers
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import IssuedCredentials, create_organization, issue_api_key
from hirebridge.runtime import Runtime
from tests.ats.conformance import check_webhook
from tests.ats.hris_helpers import ats, bob_connection, call, error_code, make_application, simulator, wait_for

SECRET = "whsec-test-0123456789"

__all__ = ["ats", "simulator"]


class Receiver:
    """Answers each POST with the next scripted status and keeps the raw bodies and headers it received."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.app = FastAPI()

        @self.app.post("/ashby")
        async def hook(request: Request) -> Response:
            raw = await request.body()
            check_webhook(raw)
            with self.lock:
                self.received.append((raw, dict(request.headers)))
                status = self.script.pop(0) if self.script else 200
            return Response("ok", status_code=status)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    from tests.support.servers import serve

    rec = Receiver()
    with serve(rec.app) as url:
        yield rec, f"{url}/ashby"


def _create(ats: httpx.Client, url: str, webhook_type: str = "pushToHRIS", **extra: Any) -> dict[str, Any]:
    answer = call(ats, "webhook.create", {"webhookType": webhook_type, "requestUrl": url, **extra})
    assert answer["success"] is True, answer
    result: dict[str, Any] = answer["results"]
    return result


def test_create_list_delete(ats: httpx.Client) -> None:
    created = _create(ats, "https://hooks.example.com/ashby", secretToken=SECRET)
    assert created["webhookType"] == "pushToHRIS"
    assert created["enabled"] is True
    assert created["hasSecretToken"] is True
    # As at Ashby, the create answers the token it was sent; nothing else ever answers a stored one.
    assert created.pop("secretToken") == SECRET
    listed = call(ats, "webhook.list", {})["results"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert SECRET not in json.dumps(listed)
    assert call(ats, "webhook.info", {"webhookId": created["id"]})["results"] == created
    updated = call(ats, "webhook.update", {"webhookId": created["id"], "enabled": False})["results"]
    assert updated["enabled"] is False
    assert "secretToken" not in updated
    rotated = call(ats, "webhook.update", {"webhookId": created["id"], "secretToken": "whsec-rotated-42"})["results"]
    assert rotated["secretToken"] == "whsec-rotated-42"
    assert "whsec-rotated-42" not in json.dumps(call(ats, "webhook.info", {"webhookId": created["id"]}))
    assert call(ats, "webhook.delete", {"webhookId": created["id"]})["results"] == {"webhookId": created["id"]}
    assert call(ats, "webhook.list", {})["results"] == []
    assert error_code(call(ats, "webhook.delete", {"webhookId": created["id"]})) == "webhook_not_found"


def test_invalid_webhooks_are_refused(ats: httpx.Client) -> None:
    answer = call(ats, "webhook.create", {"webhookType": "everything", "requestUrl": "https://x.example.com"})
    assert error_code(answer) == "invalid_input"
    assert "candidateHire" in answer["errorInfo"]["message"]
    answer = call(ats, "webhook.create", {"webhookType": "offerUpdate", "requestUrl": "file:///etc/passwd"})
    assert error_code(answer) == "invalid_input"
    assert "requestUrl" in answer["errorInfo"]["message"]
    not_emitted = call(ats, "webhook.create", {"webhookType": "surveySubmit", "requestUrl": "https://x.example.com"})
    assert any("surveySubmit" in w for w in not_emitted["warnings"])


def test_permissions_and_organization_scope(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    created = _create(ats, "https://hooks.example.com/ashby")
    with runtime.transaction() as session:
        organization = session.get(Organization, org.organization_id)
        assert organization is not None
        reader = issue_api_key(session, organization, "reader", ["apiKeysRead", "candidatesWrite"])
        other = create_organization(session, "Other Org")
    with httpx.Client(base_url=str(ats.base_url), auth=(reader, ""), timeout=30) as client:
        refused = client.post("/webhook.create", json={"webhookType": "pushToHRIS", "requestUrl": "https://a.b"})
        assert refused.status_code == 403
        assert refused.json()["errorInfo"]["code"] == "missing_endpoint_permission"
        assert [w["id"] for w in call(client, "webhook.list", {})["results"]] == [created["id"]]
    with httpx.Client(base_url=str(ats.base_url), auth=(other.api_key, ""), timeout=30) as stranger:
        assert call(stranger, "webhook.list", {})["results"] == []
        assert error_code(call(stranger, "webhook.delete", {"webhookId": created["id"]})) == "webhook_not_found"


def _jobs(runtime: Runtime, subscription_id: str) -> list[DeliveryJob]:
    with runtime.transaction() as session:
        return list(session.scalars(select(DeliveryJob).where(DeliveryJob.subject_id == subscription_id)))


def test_event_is_signed_and_retried_with_the_same_bytes(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    rec.script = [500]
    hook = _create(ats, url, "offerUpdate", secretToken=SECRET)
    ignored = _create(ats, url, "candidateHire", secretToken="other")
    hiring = make_application(runtime, org.organization_id)
    with runtime.transaction() as session:
        offer = session.scalars(select(Offer).where(Offer.application_id == hiring.application_id)).one()
        data = {"offer": offer_json(offer)}
    with runtime.transaction() as session:
        org_id = org.organization_id
        jobs = events.emit(runtime, session, organization_id=org_id, action="offerUpdate", data=lambda: data)
    assert len(jobs) == 1
    assert _jobs(runtime, ignored["id"]) == []

    # Ashby's schedule waits 10 s before the second attempt; bring that moment forward instead of sleeping.
    job = wait_for(
        lambda: next((j for j in _jobs(runtime, hook["id"]) if j.attempts == 1 and j.state == "pending"), None)
    )
    with runtime.transaction() as session:
        session.execute(update(DeliveryJob).where(DeliveryJob.id == job.id).values(next_attempt_at=utcnow()))
    wake_workers()
    wait_for(lambda: _jobs(runtime, hook["id"])[0].state == JobState.SUCCEEDED)

    assert len(rec.received) == 2
    (first, first_headers), (second, second_headers) = rec.received
    assert first == second
    payload = json.loads(first)
    assert payload["action"] == "offerUpdate"
    assert payload["data"] == data
    assert payload["webhookActionId"]
    expected = "sha256=" + hmac.new(SECRET.encode(), first, hashlib.sha256).hexdigest()
    assert first_headers["ashby-signature"] == expected
    assert second_headers["ashby-signature"] == expected


def test_no_retry_on_gone_and_shared_action_id_across_webhooks(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, receiver: tuple[Receiver, str]
) -> None:
    rec, url = receiver
    rec.script = [410, 200]
    first = _create(ats, url, "pushToHRIS", secretToken=SECRET)
    second = _create(ats, url, "pushToHRIS")
    hiring = make_application(runtime, org.organization_id)
    with runtime.transaction() as session:
        application = session.get_one(Application, hiring.application_id)
        data = {"application": application_json(application)}
        events.emit(runtime, session, organization_id=org.organization_id, action="pushToHRIS", data=lambda: data)
    wait_for(lambda: all(j.state in (JobState.SUCCEEDED, JobState.FAILED) for j in _jobs(runtime, first["id"])))
    wait_for(lambda: all(j.state in (JobState.SUCCEEDED, JobState.FAILED) for j in _jobs(runtime, second["id"])))
    states = sorted(j.state.value for j in _jobs(runtime, first["id"]) + _jobs(runtime, second["id"]))
    assert states == ["failed", "succeeded"]
    assert len(rec.received) == 2
    ids = {json.loads(raw)["webhookActionId"] for raw, _ in rec.received}
    assert len(ids) == 1
    signed = [headers for _, headers in rec.received if "ashby-signature" in headers]
    assert len(signed) == 1


def test_a_finished_push_sends_pushToHRIS_with_the_application_and_the_push(
    ats: httpx.Client,
    runtime: Runtime,
    org: IssuedCredentials,
    receiver: tuple[Receiver, str],
    simulator: Callable[[Any], str],
) -> None:
    from hirebridge.sandbox.bob.app import create_app

    rec, url = receiver
    bob_connection(ats, simulator(create_app(read_lag_seconds=0)))
    _create(ats, url, "pushToHRIS", secretToken=SECRET)
    hiring = make_application(runtime, org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    push_id = call(ats, "candidate.pushToHris", body)["results"]["id"]

    def delivered() -> dict[str, Any] | None:
        for raw, headers in list(rec.received):
            payload: dict[str, Any] = json.loads(raw)
            if payload["data"].get("hrisPush", {}).get("id") == push_id:
                assert headers["ashby-signature"] == events.sign(SECRET, raw)
                return payload
        return None

    # Nobody calls events.push_finished here: the push executor queues it with the push's outcome.
    payload = wait_for(delivered)
    assert payload["action"] == "pushToHRIS"
    assert payload["data"]["application"]["id"] == hiring.application_id
    assert payload["data"]["hrisPush"]["state"] == "succeeded"
    assert payload["data"]["hrisPush"]["remoteId"]
