"""A URL hirebridge would never call is refused when it is stored, naming the field, and nothing is written: webhooks
of both APIs, HRIS connections' base URLs, the result write-back. Against a service that does not allow private
networks (the shared test service allows them: its simulators listen on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from hirebridge.errors import ValidationFailed
from hirebridge.hris.models import HrisConnection
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.partner.settings_service import set_result_writeback
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from hirebridge.webhooks.models import WebhookSubscription
from tests.support.servers import serve

UNUSABLE = [
    ("http://0177.0.0.1/hook", "not a valid IP address"),
    ("http://127.0.0.1:9/hook", "not a public address"),
    ("http://[64:ff9b::7f00:1]/hook", "not a public address"),
    ("http://169.254.169.254/latest", "not a public address"),
    ("http://localhost/hook", "localhost"),
    ("http://[::1/hook", "not a valid URL"),
    ("ftp://hooks.example.com/", "http:// or https://"),
    ("https://user:secret@hooks.example.com/", "user name or password"),
]


@dataclass
class PublicOnly:
    runtime: Runtime
    url: str
    org: IssuedCredentials
    token: str


@pytest.fixture(scope="module")
def public_only(settings: Settings) -> Iterator[PublicOnly]:
    from hirebridge.app import create_app

    runtime = Runtime.from_settings(settings.model_copy(update={"allow_private_network": False}))
    with serve(create_app(runtime)) as url:
        with runtime.transaction() as session:
            org = create_organization(session, "Public Only Org")
        credentials = (org.client_id, org.client_secret)
        grant = {"grant_type": "client_credentials"}
        token = httpx.post(f"{url}/partner/oauth2/token", json=grant, auth=credentials).json()["access_token"]
        yield PublicOnly(runtime, url, org, token)
    runtime.close()


def _count(runtime: Runtime, model: type[WebhookSubscription] | type[HrisConnection], organization_id: str) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).where(model.organization_id == organization_id)) or 0)


def _ats_field_error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert response.status_code == 200, response.text
    assert body["success"] is False, body
    assert body["errorInfo"]["code"] == "invalid_input"
    (field,) = body["errorInfo"]["meta"]["fields"]
    return dict(field)


@pytest.mark.parametrize(("url", "reason"), UNUSABLE)
def test_ats_webhook_create_refuses_a_url_it_could_not_call(public_only: PublicOnly, url: str, reason: str) -> None:
    response = httpx.post(
        f"{public_only.url}/webhook.create",
        json={"webhookType": "candidateHire", "requestUrl": url},
        auth=(public_only.org.api_key, ""),
    )
    field = _ats_field_error(response)
    assert field["field"] == "requestUrl"
    assert reason in field["reason"]
    assert _count(public_only.runtime, WebhookSubscription, public_only.org.organization_id) == 0


def test_ats_webhook_update_refuses_a_private_url(public_only: PublicOnly) -> None:
    auth = (public_only.org.api_key, "")
    created = httpx.post(
        f"{public_only.url}/webhook.create",
        json={"webhookType": "candidateHire", "requestUrl": "https://hooks.example.com/ats"},
        auth=auth,
    ).json()
    assert created["success"] is True, created
    webhook_id = created["results"]["id"]
    response = httpx.post(
        f"{public_only.url}/webhook.update",
        json={"webhookId": webhook_id, "requestUrl": "http://10.0.0.1/hook"},
        auth=auth,
    )
    assert _ats_field_error(response)["field"] == "requestUrl"
    info = httpx.post(f"{public_only.url}/webhook.info", json={"webhookId": webhook_id}, auth=auth).json()
    assert info["results"]["requestUrl"] == "https://hooks.example.com/ats"
    httpx.post(f"{public_only.url}/webhook.delete", json={"webhookId": webhook_id}, auth=auth)


@pytest.mark.parametrize(("url", "reason"), UNUSABLE)
def test_partner_webhook_create_refuses_a_url_it_could_not_call(public_only: PublicOnly, url: str, reason: str) -> None:
    before = _count(public_only.runtime, WebhookSubscription, public_only.org.organization_id)
    response = httpx.post(
        f"{public_only.url}/partner/v1.0/webhooks",
        json={"name": "results", "url": url, "events": ["candidate_application_result_ready"]},
        headers={"Authorization": f"Bearer {public_only.token}"},
    )
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "url"
    assert reason in error["reason"]
    assert _count(public_only.runtime, WebhookSubscription, public_only.org.organization_id) == before


@pytest.mark.parametrize(("url", "reason"), UNUSABLE)
def test_hris_connection_create_refuses_a_base_url_it_could_not_call(
    public_only: PublicOnly, url: str, reason: str
) -> None:
    response = httpx.post(
        f"{public_only.url}/hrisConnection.create",
        json={
            "system": "bamboohr",
            "name": "BambooHR",
            "baseUrl": url,
            "credentials": {"companyDomain": "acme", "apiKey": "bamboo-test-key-0123456789"},
        },
        auth=(public_only.org.api_key, ""),
    )
    field = _ats_field_error(response)
    assert field["field"] == "baseUrl"
    assert reason in field["reason"]
    assert _count(public_only.runtime, HrisConnection, public_only.org.organization_id) == 0


@pytest.mark.parametrize(("url", "reason"), UNUSABLE)
def test_the_result_write_back_refuses_a_url_it_could_not_call(public_only: PublicOnly, url: str, reason: str) -> None:
    runtime = public_only.runtime
    with pytest.raises(ValidationFailed) as refused, runtime.transaction() as session:
        set_result_writeback(session, runtime.cipher, public_only.org.organization_id, url, allow_private=False)
    (field,) = refused.value.fields
    assert field.field == "result_writeback_url"
    assert reason in field.reason
