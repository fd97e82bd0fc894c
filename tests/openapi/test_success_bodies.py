"""Successful answers match the document's 200 schemas: the partner API's whole flow (token, jobs, candidates,
webhooks) and the ATS API's GET ``candidate.info`` with its declared query parameters."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema

from hirebridge.orgs.service import IssuedCredentials
from tests.openapi.conftest import assert_declared

DESCRIPTION = "Build and run the systems that move candidates between hiring tools. " * 6


def check(document: dict[str, Any], method: str, template: str, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    operation = document["paths"][template][method]
    schema = {**operation["responses"]["200"]["content"]["application/json"]["schema"], **document}
    jsonschema.Draft202012Validator(schema).validate(response.json())
    body: dict[str, Any] = response.json()
    return body


def test_partner_answers_match_their_declared_schemas(
    document: dict[str, Any], client: httpx.Client, org: IssuedCredentials
) -> None:
    token = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(org.client_id, org.client_secret)
    )
    bearer = {"Authorization": f"Bearer {check(document, 'post', '/partner/oauth2/token', token)['access_token']}"}
    jobs, job = "/partner/v1.0/workday/jobs", "/partner/v1.0/workday/jobs/{ext_job_id}"
    body = {"title": "Navigator", "description": DESCRIPTION, "external_job_id": "J-77"}
    check(document, "post", jobs, client.post(jobs, json=body, headers=bearer))
    check(document, "post", job + "/publish", client.post(f"{jobs}/J-77/publish", headers=bearer))
    check(document, "get", job, client.get(f"{jobs}/J-77", headers=bearer))
    invite = {
        "ext_job_id": "J-77",
        "ext_candidate_id": "C-1",
        "ext_application_id": "A-1",
        "email": "grace@example.com",
        "first_name": "Grace",
    }
    candidates = "/partner/v1.0/workday/candidates"
    candidate_id = check(document, "post", candidates, client.post(candidates, json=invite, headers=bearer))
    for template in (
        "/partner/v1.0/workday/candidates/{candidate_id}",
        "/partner/v1.0/standard/candidates/{candidate_id}",
    ):
        url = template.replace("{candidate_id}", candidate_id["candidate_id"])
        check(document, "get", template, client.get(url, headers=bearer))
    reused = client.post(candidates, json={**invite, "ext_candidate_id": "C-2"}, headers=bearer)
    assert reused.status_code == 409
    assert_declared(document, document["paths"][candidates]["post"], "POST candidates (reused id)", reused)
    check(document, "post", job + "/close", client.post(f"{jobs}/J-77/close", headers=bearer))

    hooks, hook = "/partner/v1.0/webhooks", "/partner/v1.0/webhooks/{webhook_id}"
    subscription = {
        "name": "results",
        "url": "https://example.com/hook",
        "events": ["candidate_application_result_ready"],
    }
    webhook_id = check(document, "post", hooks, client.post(hooks, json=subscription, headers=bearer))["id"]
    check(document, "get", hooks, client.get(hooks, headers=bearer))
    check(document, "get", hook, client.get(f"{hooks}/{webhook_id}", headers=bearer))
    check(document, "put", hook, client.put(f"{hooks}/{webhook_id}", json=subscription, headers=bearer))
    status = {"status": "inactive"}
    check(document, "put", hook + "/status", client.put(f"{hooks}/{webhook_id}/status", json=status, headers=bearer))
    sample = {"event": "candidate_application_result_ready", "webhook_id": webhook_id}
    check(document, "post", hooks + "/test", client.post(f"{hooks}/test", json=sample, headers=bearer))
    check(document, "delete", hook, client.delete(f"{hooks}/{webhook_id}", headers=bearer))


def test_get_candidate_info_declares_its_query(document: dict[str, Any], ats: httpx.Client) -> None:
    operation = document["paths"]["/candidate.info"]["get"]
    assert {p["name"] for p in operation["parameters"] if p["in"] == "query"} == {"id", "externalMappingId"}
    created = ats.post("/candidate.create", json={"name": "Ada Lovelace"}).json()["results"]
    answer = check(document, "get", "/candidate.info", ats.get("/candidate.info", params={"id": created["id"]}))
    assert answer["results"]["id"] == created["id"]
