"""Failed authentication is limited per credential and per source address, through real HTTP: the partner token
endpoint and the ATS API answer 429 with Retry-After in their own envelopes; other credentials and addresses, and
successful authentication, are not held back."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import delete

from hirebridge.app import create_app
from hirebridge.orgs.models import AuthFailureCount
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.hardening import sensitive
from tests.support.servers import serve

PER_CREDENTIAL = 3
PER_ADDRESS = 5


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[str, Runtime]]:
    """The service with small limits, its own runtime, on a real socket."""
    rt = Runtime.from_settings(
        settings.model_copy(
            update={
                "auth_failures_per_credential": PER_CREDENTIAL,
                "auth_failures_per_address": PER_ADDRESS,
                "auth_failure_window_seconds": 600.0,
            }
        )
    )
    with rt.transaction() as session:  # the counts live in the run's shared database: start each test from none
        session.execute(delete(AuthFailureCount))
    with serve(create_app(rt)) as url:
        yield url, rt
    rt.close()


def _organization(rt: Runtime) -> IssuedCredentials:
    with rt.transaction() as session:
        credentials = create_organization(session, "Rate Limit Org")
    sensitive.SENSITIVE.add("client secret", credentials.client_secret)
    sensitive.SENSITIVE.add("api key", credentials.api_key)
    return credentials


def _client(url: str, source: str = "127.0.0.1") -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=source))


def _token(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post("/partner/oauth2/token", auth=(client_id, secret), json={"grant_type": "client_credentials"})


def _retry_after(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= 600
    return seconds


def test_partner_token_endpoint(limited: tuple[str, Runtime]) -> None:
    url, rt = limited
    a, b, c = _organization(rt), _organization(rt), _organization(rt)
    with _client(url) as here, _client(url, "127.0.0.2") as other:
        for _ in range(PER_CREDENTIAL):
            assert _token(here, a.client_id, "wrong-secret").status_code == 401
        refused = _token(here, a.client_id, "wrong-secret")
        seconds = _retry_after(refused)
        body = refused.json()
        assert body["error_code"] == "too_many_failed_attempts"
        assert body["meta"] == {"retryAfterSeconds": seconds}
        assert body["request_id"]
        # The client id is held back wherever the attempt comes from, even with its right secret ...
        _retry_after(_token(here, a.client_id, a.client_secret))
        _retry_after(_token(other, a.client_id, a.client_secret))
        # ... while another client from the same address still gets its token (3 failures < 5 from here).
        assert _token(here, b.client_id, b.client_secret).status_code == 200
        # Two more failures from here, under other client ids, reach the address's limit.
        for n in range(PER_ADDRESS - PER_CREDENTIAL):
            assert _token(here, f"hbc_unknown{n}", "x").status_code == 401
        _retry_after(_token(here, c.client_id, c.client_secret))
        _retry_after(_token(here, "hbc_unknown-next", "x"))
        # Another address is not held back by this one's failures.
        assert _token(other, c.client_id, c.client_secret).status_code == 200
        assert _token(other, b.client_id, b.client_secret).status_code == 200


def _info(client: httpx.Client, key: str) -> httpx.Response:
    return client.post("/apiKey.info", auth=(key, ""), json={})


def test_ats_api_keys(limited: tuple[str, Runtime]) -> None:
    url, rt = limited
    a, b = _organization(rt), _organization(rt)
    wrong = a.api_key[:-4] + "zzzz"  # the same prefix as a's key: counted under it
    with _client(url) as here, _client(url, "127.0.0.2") as other:
        for _ in range(PER_CREDENTIAL):
            answer = _info(here, wrong)
            assert answer.status_code == 403
            assert answer.json()["errors"] == ["invalid_api_key"]
        refused = _info(here, wrong)
        seconds = _retry_after(refused)
        assert refused.json()["success"] is False
        assert refused.json()["errors"] == ["too_many_failed_attempts"]
        assert refused.json()["errorInfo"]["meta"] == {"retryAfterSeconds": seconds}
        assert refused.json()["errorInfo"]["requestId"]
        # Another key from the same address works; the key prefix that failed is held back everywhere.
        assert _info(here, b.api_key).json()["success"] is True
        _retry_after(_info(other, wrong))
        for n in range(PER_ADDRESS - PER_CREDENTIAL):
            assert _info(here, f"hbk_other{n}-wrong-key").status_code == 403
        _retry_after(_info(here, b.api_key))
        # Another address still authenticates, and a valid call is answered as usual.
        answer = _info(other, b.api_key)
        assert answer.status_code == 200
        assert answer.json()["success"] is True
