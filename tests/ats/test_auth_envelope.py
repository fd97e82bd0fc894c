"""ATS authentication and Ashby's envelope, over real HTTP: 401 without a key, 403 for a wrong, deactivated or
under-privileged key, and the success/error bodies every endpoint shares."""

from __future__ import annotations

import base64

import httpx

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.ats.helpers import ats, call, client_for, error, make_candidate, new_key, results
from tests.support.servers import serve

__all__ = ["ats"]


def _assert_error_envelope(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["errors"] == [code]
    assert body["errorInfo"]["code"] == code
    assert body["errorInfo"]["requestId"] == response.headers["x-request-id"]
    info: dict[str, object] = body["errorInfo"]
    return info


def test_no_key_is_401(client: httpx.Client) -> None:
    response = client.post("/candidate.list", json={})
    _assert_error_envelope(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Basic")


def test_malformed_authorization_is_401(client: httpx.Client) -> None:
    for header in ("Bearer abc", "Basic !!!not-base64", "Basic " + base64.b64encode(b":").decode()):
        response = client.post("/candidate.list", json={}, headers={"Authorization": header})
        _assert_error_envelope(response, 401, "unauthenticated")


def test_wrong_key_is_403(client: httpx.Client, org: IssuedCredentials) -> None:
    with client_for(client, org.api_key + "x") as wrong:
        info = _assert_error_envelope(wrong.post("/candidate.list", json={}), 403, "invalid_api_key")
    assert org.api_key not in str(info)


def test_deactivated_key_is_403(client: httpx.Client, org: IssuedCredentials, runtime: Runtime) -> None:
    key = new_key(runtime, org.organization_id, ["candidatesRead"], active=False)
    with client_for(client, key) as deactivated:
        _assert_error_envelope(deactivated.post("/candidate.list", json={}), 403, "api_key_deactivated")


def test_key_without_the_permission_is_403_missing_endpoint_permission(
    client: httpx.Client, org: IssuedCredentials, runtime: Runtime
) -> None:
    key = new_key(runtime, org.organization_id, ["candidatesRead"])
    with client_for(client, key) as reader:
        assert reader.post("/candidate.list", json={}).json()["success"] is True
        info = _assert_error_envelope(
            reader.post("/candidate.create", json={"name": "X"}), 403, "missing_endpoint_permission"
        )
        assert "candidatesWrite" in str(info["message"])
        assert info["meta"] == {"permission": "candidatesWrite"}
        for endpoint, permission in (
            ("job.list", "jobsRead"),
            ("offer.list", "offersRead"),
            ("apiKey.info", "apiKeysRead"),
        ):
            info = _assert_error_envelope(reader.post(f"/{endpoint}", json={}), 403, "missing_endpoint_permission")
            assert info["meta"] == {"permission": permission}


def test_success_envelope(ats: httpx.Client) -> None:
    body = call(ats, "candidate.create", {"name": "Grace Hopper"})
    assert body["success"] is True
    assert set(body) == {"success", "results"}
    assert body["results"]["name"] == "Grace Hopper"


def test_business_errors_are_http_200_with_error_info(ats: httpx.Client) -> None:
    info = error(ats, "candidate.info", {"id": "00000000-0000-4000-8000-000000000000"})
    assert info["code"] == "candidate_not_found"
    assert info["meta"]["field"] == "id"


def test_malformed_json_is_invalid_input(ats: httpx.Client) -> None:
    response = ats.post("/candidate.create", content=b"{not json", headers={"Content-Type": "application/json"})
    info = _assert_error_envelope(response, 200, "invalid_input")
    assert info["meta"]["fields"][0]["field"] == "body"  # type: ignore[index]
    response = ats.post("/candidate.create", json=["a", "list"])
    info = _assert_error_envelope(response, 200, "invalid_input")
    assert info["meta"]["fields"] == [{"field": "body", "reason": "must be a JSON object"}]  # type: ignore[index]


def test_list_endpoints_take_an_empty_body(ats: httpx.Client) -> None:
    make_candidate(ats)
    response = ats.post("/candidate.list")  # as in Ashby's curl example: no body at all
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert len(response.json()["results"]) == 1


def test_unknown_endpoint(ats: httpx.Client) -> None:
    _assert_error_envelope(ats.post("/candidate.explode", json={}), 200, "endpoint_not_found")


def test_api_key_info(ats: httpx.Client, org: IssuedCredentials) -> None:
    response = ats.post("/apiKey.info", json={})
    info = response.json()["results"]
    assert info["title"] == "default"
    assert info["createdAt"].endswith("Z")
    assert "candidates:read" in info["scopes"]
    assert "apiKeys:write" in info["scopes"]
    assert "candidatesRead" in info["permissions"]
    assert org.api_key not in response.text
    assert org.api_key[:12] not in response.text


def test_api_key_info_shows_only_the_keys_own_permissions(
    client: httpx.Client, org: IssuedCredentials, runtime: Runtime
) -> None:
    key = new_key(runtime, org.organization_id, ["apiKeysRead", "jobsRead"])
    with client_for(client, key) as limited:
        info = results(limited, "apiKey.info")
    assert info["title"] == "test key"
    assert info["scopes"] == ["apiKeys:read", "jobs:read"]


def test_body_limits_and_content_type(settings: Settings) -> None:
    """On a service whose body limit is small: an oversized body and a non-JSON content type are refused in the
    envelope, before any work is done."""
    from hirebridge.app import create_app

    runtime = Runtime.from_settings(settings.model_copy(update={"max_body_bytes": 1024}))
    try:
        with runtime.transaction() as session:
            org = create_organization(session, "Small Org")
        with serve(create_app(runtime)) as url, httpx.Client(base_url=url, auth=(org.api_key, "")) as small:
            info = error(small, "candidate.create", {"name": "x" * 2000})
            assert info["code"] == "payload_too_large"
            response = small.post("/candidate.create", content=b"name=x", headers={"Content-Type": "text/plain"})
            _assert_error_envelope(response, 200, "unsupported_media_type")
            assert results(small, "candidate.list") == []
    finally:
        runtime.close()
