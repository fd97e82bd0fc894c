"""Fixtures for the ADP simulator's tests: a test PKI, the simulator over TLS, and httpx clients with and without the
client certificate. Requests are written from ADP's documentation, not from any hirebridge code."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hirebridge.sandbox.adp.app import create_app
from hirebridge.sandbox.adp.certs import TestPki, generate
from hirebridge.sandbox.adp.tls import serve_tls

CLIENT_ID, CLIENT_SECRET = "sandbox-client-id", "sandbox-client-secret"
TEMPLATE = "169748818049_1"  # "Applicant Onboard" in the simulator's meta


def tls_context(pki: TestPki, client: TestPki | None) -> ssl.SSLContext:
    """Trust the simulator's server certificate; present ``client``'s certificate when given."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    if client is not None:
        context.load_cert_chain(str(client.client_cert), str(client.client_key))
    return context


@dataclass
class Adp:
    url: str
    pki: TestPki
    client: httpx.Client  # presents the client certificate
    bare: httpx.Client  # trusts the server but presents no certificate

    def token(self) -> str:
        response = self.client.post(
            "/auth/oauth/v2/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def authed(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token()}"}

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.bare.request(method, path, **kwargs)

    def counters(self) -> dict[str, int]:
        return dict(self.admin("GET", "/_sandbox/tokens").json())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return generate(tmp_path_factory.mktemp("adp-pki"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return generate(tmp_path_factory.mktemp("other-pki"), label="Another")


@pytest.fixture
def adp(pki: TestPki) -> Iterator[Adp]:
    with (
        serve_tls(create_app(ca_cert=pki.ca_cert, seed=3), pki) as url,
        httpx.Client(base_url=url, verify=tls_context(pki, pki)) as client,
        httpx.Client(base_url=url, verify=tls_context(pki, None)) as bare,
    ):
        yield Adp(url, pki, client, bare)


def applicant(
    given: str = "Ada", family: str = "Lovelace", email: str = "ada@example.com", **extra: Any
) -> dict[str, Any]:
    """The minimal in-progress body of ADP's samples (V2/success/InProgress-US-200.request.json), plus an email."""
    data: dict[str, Any] = {
        "onboardingTemplateCode": {"code": TEMPLATE},
        "onboardingStatus": {"statusCode": {"code": "inprogress"}},
        "applicantPersonalProfile": {
            "birthName": {"givenName": given, "familyName": family},
            "communication": {"emails": [{"emailUri": email, "notificationIndicator": True}]},
        },
        "applicantWorkerProfile": {"hireDate": "2026-01-15"},
    }
    data.update(extra)
    return {"applicantOnboarding": data}


def messages_v03(response: httpx.Response) -> list[str]:
    body = response.json()["confirmMessage"]
    return [m["userMessage"]["messageTxt"] for r in body["resourceMessages"] for m in r["processMessages"]]
