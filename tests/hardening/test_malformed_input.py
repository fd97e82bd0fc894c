"""The inputs a fuzzing run once turned into HTTP 500s, replayed over a real socket: each is answered with a 4xx that
names the field (or a 404 for a path), carries the request id, and writes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hirebridge.core.models import Candidate, Job
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.conftest import PartnerSession
from tests.partner.helpers import CANDIDATES, JOBS, candidate_body, create_job

# Small enough for the token endpoint's 8 KiB limit, deeper than the decoder's recursion limit (1,000) ...
DEEP = b'{"a":' * 1200 + b"1" + b"}" * 1200
DEEP_LIST = b"[" * 3000 + b"]" * 3000
# ... or parseable but deeper than any request needs.
NESTED = b'{"limit": ' + b"[" * 100 + b"]" * 100 + b"}"
HUGE_INT = b'{"limit": ' + b"9" * 5000 + b"}"


def json_operations(client: httpx.Client) -> list[tuple[str, str]]:
    """(method, path) of every operation in the served document that takes a body, paths filled with a dummy id."""
    document = client.get("/openapi.json").json()
    operations = []
    for path, item in document["paths"].items():
        for method in item:
            # publish and close act on the path's job, and webhook.list lists all: they read no body.
            if method in ("post", "put", "patch") and not path.endswith(("/publish", "/close", "/webhook.list")):
                operations.append((method.upper(), path.replace("{", "").replace("}", "")))
    return sorted(operations)


@pytest.fixture(scope="module")
def operations(service: str) -> list[tuple[str, str]]:
    with httpx.Client(base_url=service, timeout=30) as client:
        return json_operations(client)


def counts(runtime: Runtime, organization_id: str) -> tuple[int, int]:
    with runtime.sessions() as session:
        candidates = session.scalar(select(func.count()).where(Candidate.organization_id == organization_id))
        jobs = session.scalar(select(func.count()).where(Job.organization_id == organization_id))
    return int(candidates or 0), int(jobs or 0)


def field_errors(response: httpx.Response) -> list[dict[str, str]]:
    """The field errors of either surface's error body."""
    body = response.json()
    if "errorInfo" in body:
        fields: list[dict[str, str]] = body["errorInfo"]["meta"].get("fields", [])
        return fields
    return list(body.get("errors", []))


def assert_refused(response: httpx.Response, field: str, reason: str) -> None:
    """A 4xx (or Ashby's HTTP 200 with success false) naming ``field``, with the request id as a header."""
    assert response.headers.get("x-request-id"), response.headers
    body = response.json()
    if "errorInfo" in body:
        assert response.status_code == 200, response.text
        assert body["success"] is False
        assert body["errorInfo"]["code"] == "invalid_input", body
        assert body["errorInfo"]["requestId"] == response.headers["x-request-id"]
    else:
        assert 400 <= response.status_code < 500, response.text
        assert body["request_id"] == response.headers["x-request-id"]
    errors = field_errors(response)
    assert {"field": field, "reason": reason} in errors or any(
        e["field"] == field and reason in e["reason"] for e in errors
    ), errors


def _headers_for(path: str, partner: PartnerSession) -> dict[str, str]:
    return partner.headers if path.startswith("/partner/v1.0/") and "oauth2" not in path else {}


@pytest.mark.parametrize(
    ("payload", "field", "reason"),
    [
        (DEEP, "body", "is nested too deeply"),
        (DEEP_LIST, "body", "is nested too deeply"),
        (NESTED, "limit", "is nested too deeply"),
        (HUGE_INT, "body", "a number has too many digits"),
        (b'{"limit": NaN}', "body", "NaN is not a JSON value"),
        (b'{"limit": 1e999}', "body", "is too large"),
    ],
    ids=["deep-object", "deep-list", "nested", "huge-int", "nan", "infinite"],
)
def test_every_json_endpoint_refuses_unparseable_json(
    operations: list[tuple[str, str]],
    partner: PartnerSession,
    ats: httpx.Client,
    runtime: Runtime,
    payload: bytes,
    field: str,
    reason: str,
) -> None:
    before = counts(runtime, partner.credentials.organization_id)
    for method, path in operations:
        client = ats if not path.startswith("/partner/") else partner.client
        response = client.request(
            method,
            path,
            content=payload,
            headers={"content-type": "application/json", **_headers_for(path, partner)},
        )
        assert response.status_code < 500, (method, path, response.text)
        assert_refused(response, field, reason)
    assert counts(runtime, partner.credentials.organization_id) == before


PARTNER_CANDIDATE_FIELDS = [
    ("ext_candidate_id",),
    ("ext_application_id",),
    ("email",),
    ("first_name",),
    ("last_name",),
    ("work_experiences", 0, "organization"),
    ("work_experiences", 0, "role"),
    ("work_experiences", 0, "responsibility_achievement"),
]


def _set(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _name(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


@pytest.mark.parametrize("path", PARTNER_CANDIDATE_FIELDS, ids=_name)
@pytest.mark.parametrize("bad", ["a\x00b", "a\ud800b"], ids=["nul", "lone-surrogate"])
def test_partner_candidate_text_with_nul_or_surrogate_is_refused(
    partner: PartnerSession, runtime: Runtime, path: tuple[Any, ...], bad: str
) -> None:
    ext_job_id = create_job(partner)
    before = counts(runtime, partner.credentials.organization_id)
    body = candidate_body(ext_job_id)
    original = body
    _set(original, path, bad)
    response = partner.client.post(
        CANDIDATES,
        content=json.dumps(body).encode(),  # ensure_ascii keeps the surrogate as an escape, as a client would send it
        headers={**partner.headers, "content-type": "application/json"},
    )
    reason = "NUL character" if "\x00" in bad else "lone UTF-16 surrogate"
    assert_refused(response, _name(path), reason)
    assert counts(runtime, partner.credentials.organization_id) == before


@pytest.mark.parametrize("field", ["title", "description", "external_job_id"])
def test_partner_job_text_with_nul_is_refused(partner: PartnerSession, runtime: Runtime, field: str) -> None:
    before = counts(runtime, partner.credentials.organization_id)
    body = {"title": "Engineer", "description": "x" * 400, "external_job_id": "JOB-NUL", field: "bad\x00value"}
    response = partner.client.post(JOBS, json=body, headers=partner.headers)
    assert_refused(response, field, "NUL character")
    assert counts(runtime, partner.credentials.organization_id) == before


ATS_WRITES = [
    ("candidate.create", {"name": "Ada Lovelace", "email": "ada@example.com", "phoneNumber": "+44 20 7946 0000"}),
    ("job.create", {"title": "Analyst"}),
]


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [(endpoint, body, field) for endpoint, body in ATS_WRITES for field in body],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_ats_text_with_nul_is_refused(
    ats: httpx.Client, org: IssuedCredentials, runtime: Runtime, endpoint: str, body: dict[str, str], field: str
) -> None:
    before = counts(runtime, org.organization_id)
    response = ats.post(f"/{endpoint}", json={**body, field: body[field][:3] + "\x00" + body[field][3:]})
    assert_refused(response, field, "NUL character")
    assert counts(runtime, org.organization_id) == before


@pytest.mark.parametrize("endpoint", ["candidate.info", "application.info", "job.info", "webhook.info"])
def test_ats_lookup_by_id_with_nul_is_refused(ats: httpx.Client, endpoint: str) -> None:
    field = {"candidate.info": "id", "application.info": "applicationId", "job.info": "id", "webhook.info": "webhookId"}
    response = ats.post(f"/{endpoint}", json={field[endpoint]: "abc\x00def"})
    assert_refused(response, field[endpoint], "NUL character")


# --- the token endpoint -------------------------------------------------------------------------------------------

TOKEN = "/partner/oauth2/token"


def test_token_json_client_id_with_a_lone_surrogate_is_refused(client: httpx.Client) -> None:
    raw = b'{"grant_type": "client_credentials", "client_id": "\\ud800", "client_secret": "s"}'
    response = client.post(TOKEN, content=raw, headers={"content-type": "application/json"})
    assert_refused(response, "client_id", "lone UTF-16 surrogate")


def test_token_json_client_id_with_nul_is_refused(client: httpx.Client) -> None:
    body = {"grant_type": "client_credentials", "client_id": "abc\x00def", "client_secret": "s"}
    response = client.post(TOKEN, json=body)
    assert_refused(response, "client_id", "NUL character")


def test_token_form_client_id_with_nul_is_refused(client: httpx.Client) -> None:
    response = client.post(
        TOKEN,
        content=b"grant_type=client_credentials&client_id=abc%00def&client_secret=s",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_refused(response, "client_id", "NUL character")


def test_token_basic_client_id_with_nul_is_refused(client: httpx.Client) -> None:
    credentials = base64.b64encode(b"abc\x00def:secret").decode()
    response = client.post(
        TOKEN, json={"grant_type": "client_credentials"}, headers={"authorization": f"Basic {credentials}"}
    )
    assert_refused(response, "client_id", "NUL character")


@pytest.mark.parametrize("payload", [DEEP, HUGE_INT], ids=["deep", "huge-int"])
def test_token_endpoint_refuses_unparseable_json(client: httpx.Client, payload: bytes) -> None:
    response = client.post(TOKEN, content=payload, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_request"


# --- paths and query strings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/a/abc%00def", "/a/abc%00def/questions", "/reports/abc%00/sig", "/partner/v1.0/workday/candidates/a%00b"],
)
def test_a_path_with_nul_is_not_found(client: httpx.Client, partner: PartnerSession, path: str) -> None:
    response = client.get(path, headers=partner.headers)
    assert response.status_code == 404, response.text
    assert response.headers.get("x-request-id")


def test_a_report_signature_with_non_ascii_characters_is_not_found(client: httpx.Client) -> None:
    response = client.get("/reports/some-candidate/%C3%A9%E2%82%AC")
    assert response.status_code == 404, response.text
    assert response.headers.get("x-request-id")


def test_a_query_parameter_with_nul_is_refused_by_name(partner: PartnerSession) -> None:
    response = partner.client.get("/partner/v1.0/webhooks", params={"q": "a\x00b"}, headers=partner.headers)
    assert_refused(response, "query.q", "NUL character")
