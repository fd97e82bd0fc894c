"""The service's own surface: health, request ids, and errors that never leak a stack trace."""

from __future__ import annotations

import httpx


def test_healthz_answers_ok(client: httpx.Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert len(response.headers["x-request-id"]) >= 16


def test_incoming_request_id_is_echoed_when_well_formed(client: httpx.Client) -> None:
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["x-request-id"] == "abc-123"
    weird = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"}).headers["x-request-id"]
    assert weird != "bad id with spaces"


def test_unknown_partner_path_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/partner/v1.0/nothing-here")
    assert response.status_code == 404
    assert response.json()["error_code"] == "NOT_FOUND"


def test_unknown_ats_endpoint_uses_ashby_envelope(client: httpx.Client) -> None:
    response = client.post("/nothing.here", json={})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False
    assert body["errorInfo"]["code"] == "endpoint_not_found"
    assert body["errors"] == ["endpoint_not_found"]
