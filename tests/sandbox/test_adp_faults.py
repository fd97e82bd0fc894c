"""The ADP simulator's shared fault switches, over real TLS sockets."""

# ruff: noqa: F401, F811 - the fixtures are imported from adp_support

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.adp_support import CLIENT_ID, CLIENT_SECRET, Adp, adp, applicant, messages_v03, pki, tls_context

TOKEN_FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def records(adp: Adp) -> list[dict[str, object]]:
    return list(adp.admin("GET", "/_sandbox/records").json()["records"])


def test_throttle_answers_429_with_retry_after_on_token_and_api_calls(adp: Adp) -> None:
    token = adp.token()
    adp.admin("PUT", "/_sandbox/faults", json={"throttle_rate": 1, "retry_after_seconds": 7})

    api = adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=adp.authed(token))
    token_call = adp.client.post("/auth/oauth/v2/token", data=TOKEN_FORM)

    assert (api.status_code, api.headers["Retry-After"]) == (429, "7")
    assert messages_v03(api) == ["Too Many Requests"]
    assert (token_call.status_code, token_call.headers["Retry-After"]) == (429, "7")
    assert adp.counters()["token_requests"] == 2
    assert adp.counters()["tokens_issued"] == 1
    assert records(adp) == []


def test_a_429_without_retry_after_when_switched(adp: Adp) -> None:
    token = adp.token()
    adp.admin("PUT", "/_sandbox/settings", json={"throttle_retry_after": False})
    adp.admin("PUT", "/_sandbox/faults", json={"throttle_rate": 1})

    response = adp.client.get("/hr/v2/workers", headers=adp.authed(token))

    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_rate_limit_bucket_throttles_the_call_beyond_it(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"rate_limit_per_second": 0.01})

    statuses = [adp.client.get("/hcm/v2/applicant.onboard/meta", headers=headers).status_code for _ in range(2)]

    assert statuses == [200, 429]
    assert adp.admin("GET", "/_sandbox/faults").json()["counters"]["rate_limited"] == 1


def test_error_switch_answers_5xx_confirm_messages_without_writing(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"error_rate": 1})

    responses = [adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers) for _ in range(6)]

    assert {r.status_code for r in responses} <= {500, 503}
    assert all(r.json()["confirmMessage"]["requestStatusCode"]["codeValue"] == "failed" for r in responses)
    assert records(adp) == []


def test_timeout_switch_answers_504_and_writes_nothing(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 0})

    assert adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers).status_code == 504
    assert records(adp) == []


def test_a_timeout_longer_than_the_clients_is_a_client_timeout(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 3})

    with (
        httpx.Client(base_url=adp.url, verify=tls_context(adp.pki, adp.pki), timeout=0.5) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get("/hr/v2/workers", headers=headers)


def test_dropped_response_after_commit_leaves_the_applicant_created(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"drop_after_commit_rate": 1})

    with pytest.raises(httpx.TransportError):
        adp.client.post("/hcm/v2/applicant.onboard", json=applicant(workerID={"id": "HB-LOST"}), headers=headers)

    assert [r["workerID"] for r in records(adp)] == ["HB-LOST"]
    assert adp.admin("GET", "/_sandbox/faults").json()["counters"]["dropped_after_commit"] == 1
    found = adp.client.get(
        "/hr/v2/workers", params={"$filter": "workers/workerID/idValue eq 'HB-LOST'"}, headers=headers
    )
    assert len(found.json()["workers"]) == 1


def test_latency_delays_but_still_answers(adp: Adp) -> None:
    headers = adp.authed()
    adp.admin("PUT", "/_sandbox/faults", json={"latency_ms": 20, "latency_jitter_ms": 10})

    assert adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers).status_code == 201


def test_latency_beyond_the_client_timeout_is_a_client_timeout(adp: Adp) -> None:
    adp.admin("PUT", "/_sandbox/faults", json={"latency_ms": 3000})

    with (
        httpx.Client(base_url=adp.url, verify=tls_context(adp.pki, adp.pki), timeout=0.5) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.post("/auth/oauth/v2/token", data=TOKEN_FORM)


def test_the_certificate_is_checked_before_any_fault(adp: Adp) -> None:
    adp.admin("PUT", "/_sandbox/faults", json={"error_rate": 1})

    assert adp.bare.get("/hr/v2/workers").status_code == 401
    assert "error" not in adp.admin("GET", "/_sandbox/faults").json()["counters"]


def test_reset_forgets_applicants_tokens_settings_and_faults(adp: Adp) -> None:
    adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=adp.authed())
    adp.admin("PUT", "/_sandbox/settings", json={"error_style": "nextgen", "token_lifetime_seconds": 9})
    adp.admin("PUT", "/_sandbox/faults", json={"error_rate": 0.5})

    assert adp.admin("POST", "/_sandbox/reset").status_code == 200

    assert records(adp) == []
    assert adp.counters()["token_requests"] == 0
    assert adp.admin("GET", "/_sandbox/settings").json()["error_style"] == "v03"
    assert adp.admin("GET", "/_sandbox/settings").json()["token_lifetime_seconds"] == 3600
    assert adp.admin("GET", "/_sandbox/faults").json()["switches"]["error_rate"] == 0
