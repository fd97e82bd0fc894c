"""ADP Workforce Now beyond the contract suite: the client certificate is really what lets the connector in (mTLS
proven against the simulator, which demands it), the onboarding template is learned from the meta endpoint once, and
a certificate or key that cannot be used is refused when the connection is created, naming the field."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest

from hirebridge.connectors.errors import AuthError, ConnectorError, RetryableError
from hirebridge.sandbox.adp.certs import generate
from tests.ats.hris_helpers import call, error_code
from tests.hris.contract import running
from tests.hris.helpers import a_hire
from tests.hris.kits import _adp, adp_credentials, adp_pki


def _tokens(admin: httpx.Client) -> dict[str, int]:
    return dict(admin.get("/_sandbox/tokens").json())


def test_the_simulator_refuses_a_call_without_the_client_certificate_and_the_connector_gets_in_with_it() -> None:
    with running(_adp()) as sim:
        form = {"grant_type": "client_credentials", "client_id": "sandbox-client-id"}
        form["client_secret"] = "sandbox-client-secret"
        # The same token request the connector makes, over TLS that trusts the server but presents no certificate.
        bare = sim.admin.post("/auth/oauth/v2/token", data=form)
        assert bare.status_code == 401
        assert "certificate" in bare.json()["error_description"]
        assert _tokens(sim.admin)["token_requests_refused"] == 1

        with sim.connector() as connector:
            hire = a_hire()
            created = connector.create(connector.build_payload(hire))
            assert connector.find_existing(hire) == created
        counters = _tokens(sim.admin)
    assert counters["token_requests_refused"] == 1  # only the bare request
    assert counters["tokens_issued"] == 1


def test_a_certificate_from_another_ca_is_refused(tmp_path: Any) -> None:
    other = generate(tmp_path / "other", label="Another")
    cert_pem, key_pem = other.client_pem()
    with running(_adp()) as sim:
        credentials = adp_credentials(adp_pki(), certificatePem=cert_pem, privateKeyPem=key_pem)
        with sim.connector(credentials=credentials) as connector, pytest.raises(ConnectorError) as caught:
            connector.create(connector.build_payload(a_hire()))
        assert sim.hires() == []
        assert _tokens(sim.admin)["tokens_issued"] == 0
    # The server ends the TLS 1.3 connection right after the handshake (ADP's own answer to an unknown certificate
    # is a 401 or a closed connection): nothing is created, no token is issued, and the message says what to check.
    assert isinstance(caught.value, AuthError | RetryableError)
    assert "certificatePem" in caught.value.message


def test_the_onboarding_template_is_learned_from_the_meta_endpoint_once() -> None:
    kit = _adp()
    kit = dataclasses.replace(kit, settings={"serverCaPem": kit.settings["serverCaPem"]})
    with running(kit) as sim, sim.connector() as connector:
        for _ in range(2):
            connector.create(connector.build_payload(a_hire()))
        journal = sim.admin.get("/_sandbox/requests").json()["requests"]
        held = sim.hires()
    assert [c["path"].split("?")[0] for c in journal].count("/hcm/v2/applicant.onboard/meta") == 1
    assert {record["onboardingTemplateCode"] for record in held} == {"169748818049_1"}  # the first one listed


def test_adps_own_words_for_a_refusal_in_either_documented_body() -> None:
    with running(_adp()) as sim, sim.connector() as connector:
        for style in ("v03", "nextgen"):
            sim.admin.put("/_sandbox/settings", json={"error_style": style}).raise_for_status()
            with pytest.raises(ConnectorError) as caught:
                connector.create(connector.build_payload(a_hire(email="not-an-email")))
            assert type(caught.value).__name__ == "RejectedError"
            assert caught.value.message == "Email is invalid.", style


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"certificatePem": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"},
            "certificatePem",
        ),
        ({"certificatePem": "not a pem"}, "certificatePem"),
        ({"privateKeyPem": "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"}, "privateKeyPem"),
        ({"privateKeyPem": "__other__"}, "privateKeyPem"),  # a real key, but not the certificate's
    ],
)
def test_a_certificate_or_key_that_cannot_be_used_is_refused_at_creation_naming_the_field(
    ats: httpx.Client, tmp_path: Any, changes: dict[str, str], field: str
) -> None:
    if changes.get("privateKeyPem") == "__other__":
        changes = {"privateKeyPem": generate(tmp_path / "other", label="Another").client_pem()[1]}
    credentials = adp_credentials(adp_pki(), **changes)
    body = {"system": "adp", "name": "ADP", "baseUrl": "https://api.adp.com", "credentials": credentials}
    response = ats.post("/hrisConnection.create", json=body)
    answer = response.json()
    assert error_code(answer) == "invalid_input"
    assert field in answer["errorInfo"]["message"]
    assert credentials["privateKeyPem"] not in response.text
    assert call(ats, "hrisConnection.list", {})["results"] == []


def test_a_token_refused_with_adps_400_validation_error_is_fetched_again_once() -> None:
    with running(_adp()) as sim, sim.connector() as connector:
        sim.admin.put("/_sandbox/settings", json={"bad_token_status": 400}).raise_for_status()
        connector.create(connector.build_payload(a_hire()))
        sim.admin.post("/_sandbox/tokens/expire").raise_for_status()
        connector.create(connector.build_payload(a_hire()))
        counters = _tokens(sim.admin)
        assert len(sim.hires()) == 2
    assert (counters["token_requests"], counters["tokens_issued"]) == (2, 2)


def test_credentials_that_adp_refuses_are_an_auth_error_in_adps_words() -> None:
    kit = _adp()
    with (
        running(kit) as sim,
        sim.connector(credentials=kit.bad_credentials) as connector,
        pytest.raises(AuthError) as caught,
    ):
        connector.find_existing(a_hire())
    assert "The given client credentials were not valid" in caught.value.message
