"""OAuth2 client credentials and the Bearer check, through the real token endpoint."""

from __future__ import annotations

import base64
import time

import httpx
import jwt
import pytest

from hirebridge.db.types import utcnow
from hirebridge.orgs.models import PartnerClient
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.conftest import PartnerSession
from tests.partner.helpers import JOBS, create_job, invite

TOKEN_PATHS = ["/partner/oauth2/token", "/partner/v1.0/partner/oauth2/token"]


def _claims(token: str, runtime: Runtime) -> dict[str, object]:
    return jwt.decode(token, runtime.signing_key, algorithms=["HS256"], audience="hirebridge-partner")


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_json_body_and_basic_auth_give_a_bearer_token(
    client: httpx.Client, org: IssuedCredentials, runtime: Runtime, path: str
) -> None:
    response = client.post(
        path,
        json={"grant_type": "client_credentials"},
        auth=(org.client_id, org.client_secret),
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "scope", "expires_in", "token_type"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == str(runtime.settings.access_token_ttl_seconds)
    claims = _claims(body["access_token"], runtime)
    assert claims["org"] == org.organization_id
    assert claims["sub"] == org.client_id
    assert int(claims["exp"]) - int(claims["iat"]) == runtime.settings.access_token_ttl_seconds  # type: ignore[call-overload]


def test_form_body_with_credentials_in_the_body(client: httpx.Client, org: IssuedCredentials) -> None:
    response = client.post(
        "/partner/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": org.client_id, "client_secret": org.client_secret},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert client.get(f"{JOBS}/nothing", headers={"Authorization": f"Bearer {token}"}).status_code == 404


@pytest.mark.parametrize(
    ("credentials", "body"),
    [
        (("wrong-client", "whatever"), {"grant_type": "client_credentials"}),
        (None, {"grant_type": "client_credentials"}),
    ],
)
def test_unknown_or_missing_client_is_invalid_client(
    client: httpx.Client, credentials: tuple[str, str] | None, body: dict[str, str]
) -> None:
    response = client.post("/partner/oauth2/token", json=body, auth=credentials)
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_client"


def test_wrong_secret_is_invalid_client(client: httpx.Client, org: IssuedCredentials) -> None:
    response = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(org.client_id, "not-the-secret")
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_client"
    assert "not-the-secret" not in response.text


def test_garbled_basic_header_is_invalid_client(client: httpx.Client) -> None:
    response = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, headers={"Authorization": "Basic %%%"}
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_client"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({}, 400, "invalid_request"),
    ],
)
def test_grant_type_errors(
    client: httpx.Client, org: IssuedCredentials, body: dict[str, str], status: int, code: str
) -> None:
    response = client.post("/partner/oauth2/token", json=body, auth=(org.client_id, org.client_secret))
    assert response.status_code == status
    assert response.json()["error_code"] == code


def test_malformed_json_token_request(client: httpx.Client, org: IssuedCredentials) -> None:
    response = client.post(
        "/partner/oauth2/token",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=(org.client_id, org.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_request"


def test_revoked_client_gets_no_token_and_its_tokens_stop_working(
    partner: PartnerSession, runtime: Runtime, client: httpx.Client
) -> None:
    ext_job_id = create_job(partner, publish=False)
    assert partner.client.get(f"{JOBS}/{ext_job_id}", headers=partner.headers).status_code == 200
    with runtime.transaction() as session:
        row = session.query(PartnerClient).filter_by(client_id=partner.credentials.client_id).one()
        row.revoked_at = utcnow()
    refused = client.post(
        "/partner/oauth2/token",
        json={"grant_type": "client_credentials"},
        auth=(partner.credentials.client_id, partner.credentials.client_secret),
    )
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "invalid_client"
    assert partner.client.get(f"{JOBS}/{ext_job_id}", headers=partner.headers).status_code == 401


def _forged(runtime: Runtime, org: IssuedCredentials, *, key: str | None = None, **claims: object) -> str:
    now = int(time.time())
    payload: dict[str, object] = {
        "iss": "hirebridge",
        "aud": "hirebridge-partner",
        "sub": org.client_id,
        "org": org.organization_id,
        "iat": now,
        "exp": now + 600,
    }
    payload.update(claims)
    return jwt.encode(payload, key or runtime.signing_key, algorithm="HS256")


@pytest.mark.parametrize(
    ("make_header", "code"),
    [
        (lambda rt, org: None, "UNAUTHENTICATED"),
        (lambda rt, org: "Bearer", "INVALID_TOKEN"),
        (lambda rt, org: "Bearer not.a.jwt", "INVALID_TOKEN"),
        (lambda rt, org: "Token abc", "INVALID_TOKEN"),
        (
            lambda rt, org: "Basic " + base64.b64encode(f"{org.client_id}:{org.client_secret}".encode()).decode(),
            "INVALID_TOKEN",
        ),
        (lambda rt, org: "Bearer " + _forged(rt, org, key="another-key-" + "y" * 32), "INVALID_TOKEN"),
        (
            lambda rt, org: "Bearer " + _forged(rt, org, exp=int(time.time()) - 5, iat=int(time.time()) - 3600),
            "TOKEN_EXPIRED",
        ),
        (lambda rt, org: "Bearer " + _forged(rt, org, aud="someone-else"), "INVALID_TOKEN"),
        (lambda rt, org: "Bearer " + _forged(rt, org, sub="hbc_unknown"), "INVALID_TOKEN"),
    ],
    ids=[
        "missing",
        "empty-bearer",
        "malformed",
        "other-scheme",
        "basic",
        "bad-signature",
        "expired",
        "audience",
        "unknown-client",
    ],
)
def test_partner_endpoints_refuse_bad_tokens(
    client: httpx.Client,
    org: IssuedCredentials,
    runtime: Runtime,
    make_header,
    code: str,  # type: ignore[no-untyped-def]
) -> None:
    header = make_header(runtime, org)
    headers = {"Authorization": header} if header is not None else {}
    for method, path in [("POST", JOBS), ("POST", "/partner/v1.0/workday/candidates"), ("GET", f"{JOBS}/X")]:
        response = client.request(method, path, json={}, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error_code"] == code
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_sees_only_its_own_organization(
    partner: PartnerSession, client: httpx.Client, runtime: Runtime
) -> None:
    invitation = invite(partner)
    ext_job_id = invitation["ext_job_id"]
    from hirebridge.orgs.service import create_organization

    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    token = client.post(
        "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(other.client_id, other.client_secret)
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    for path in (
        f"/partner/v1.0/workday/candidates/{invitation['candidate_id']}",
        f"/partner/v1.0/standard/candidates/{invitation['candidate_id']}",
        f"{JOBS}/{ext_job_id}",
    ):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "jane" not in response.text.lower()
    assert client.post(f"{JOBS}/{ext_job_id}/close", headers=headers).status_code == 404
    # The other organization's job id space is its own: the same ext_job_id is a different job there.
    other_job = create_job(PartnerSession(client, other, token), ext_job_id)
    assert other_job == ext_job_id
    mine = partner.client.get(f"{JOBS}/{ext_job_id}", headers=partner.headers).json()
    theirs = client.get(f"{JOBS}/{ext_job_id}", headers=headers).json()
    assert mine["id"] != theirs["id"]
