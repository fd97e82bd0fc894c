"""Transport failures over real sockets: whether a write may have been applied decides RetryableError vs
OutcomeUnknownError; and what the exchange record keeps (and never keeps)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from hirebridge.connectors.errors import OutcomeUnknownError, RetryableError
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import MAX_LOGGED_BODY_CHARS, make_http_client
from tests.hris.helpers import a_hire
from tests.hris.rawserver import closed_port_url, misbehaving
from tests.support.servers import serve

API_KEY = "bhr-secret-key-0123456789"
CREDENTIALS = {"companyDomain": "acme", "apiKey": API_KEY}


def _bamboohr(base_url: str, *, timeout: float = 5.0, exchanges: list[dict[str, Any]] | None = None) -> Any:
    http = make_http_client(
        timeout=timeout,
        on_exchange=None if exchanges is None else exchanges.append,
        allow_private_network=True,
    )
    connector = make_connector(
        "bamboohr", base_url=base_url, credentials=CREDENTIALS, field_mapping={}, settings={}, http=http
    )
    return connector, http


def test_nothing_listening_is_retryable_because_nothing_was_sent() -> None:
    connector, http = _bamboohr(closed_port_url())
    with http, pytest.raises(RetryableError) as caught:
        connector.create(connector.build_payload(a_hire()))
    assert type(caught.value) is RetryableError
    assert "could not connect" in caught.value.message


def test_a_create_whose_answer_is_cut_off_has_an_unknown_outcome() -> None:
    with misbehaving("drop") as server:
        connector, http = _bamboohr(server.url)
        with http, pytest.raises(OutcomeUnknownError) as caught:
            connector.create(connector.build_payload(a_hire()))
    assert server.requests_read == 1
    assert "may have been applied" in caught.value.message


def test_a_create_that_times_out_after_sending_has_an_unknown_outcome() -> None:
    with misbehaving("hang") as server:
        connector, http = _bamboohr(server.url, timeout=0.3)
        with http, pytest.raises(OutcomeUnknownError):
            connector.create(connector.build_payload(a_hire()))
    assert server.requests_read == 1


def test_a_look_up_whose_answer_is_cut_off_is_simply_retried() -> None:
    with misbehaving("drop") as server:
        connector, http = _bamboohr(server.url)
        with http, pytest.raises(RetryableError) as caught:
            connector.find_existing(a_hire())
    assert type(caught.value) is RetryableError


def _refusing_app(received_auth: list[str]) -> FastAPI:
    app = FastAPI()

    @app.post("/api/gateway.php/acme/v1/employees/")
    async def refuse(request: Request) -> Response:
        received_auth.append(request.headers.get("authorization", ""))
        return Response(
            content=json.dumps({"error": "refused"}),
            status_code=400,
            media_type="application/json",
            headers={"X-BambooHR-Error-Message": "Invalid department", "Set-Cookie": "session=abc"},
        )

    return app


def test_every_exchange_is_recorded_without_credentials_and_bodies_are_clipped() -> None:
    exchanges: list[dict[str, Any]] = []
    tokens: list[int] = []
    received_auth: list[str] = []
    with serve(_refusing_app(received_auth)) as base_url:
        http = make_http_client(
            timeout=5, on_exchange=exchanges.append, before_request=lambda: tokens.append(1), allow_private_network=True
        )
        connector = make_connector(
            "bamboohr", base_url=base_url, credentials=CREDENTIALS, field_mapping={}, settings={}, http=http
        )
        hire = a_hire(custom_fields={"notes": "n" * 5000})
        with http, pytest.raises(Exception, match="Invalid department"):
            connector.create(connector.build_payload(hire) | {"customNotes": "n" * 5000})
    assert len(tokens) == 1
    [exchange] = exchanges
    assert set(exchange) == {
        "method", "url", "status", "elapsed_ms", "request_body", "response_body", "response_headers", "error"
    }  # fmt: skip
    assert (exchange["method"], exchange["status"], exchange["error"]) == ("POST", 400, None)
    assert exchange["url"] == f"{base_url}/api/gateway.php/acme/v1/employees/"
    assert exchange["response_headers"] == {"x-bamboohr-error-message": "Invalid department"}
    assert exchange["request_body"].startswith('{"firstName":"Ada"')
    assert len(exchange["request_body"]) < MAX_LOGGED_BODY_CHARS + 50
    # The server did get the credentials; the record must hold neither the key nor its Basic encoding.
    [authorization] = received_auth
    assert authorization == "Basic " + base64.b64encode(f"{API_KEY}:x".encode()).decode()
    recorded = json.dumps(exchanges)
    assert API_KEY not in recorded
    assert authorization.split()[1] not in recorded


def test_a_transport_failure_is_recorded_with_its_error() -> None:
    exchanges: list[dict[str, Any]] = []
    connector, http = _bamboohr(closed_port_url(), exchanges=exchanges)
    with http, pytest.raises(RetryableError):
        connector.find_existing(a_hire())
    [exchange] = exchanges
    assert exchange["status"] is None
    assert exchange["error"].startswith("ConnectError")
    assert exchange["response_body"] is None


def test_a_token_exchange_is_recorded_without_the_client_secret_or_the_token() -> None:
    """OAuth vendors (ADP, Personio) ask for tokens through this transport; attempt records are shown to API callers
    (hrisPush.info) and operators, so neither the secret sent nor the token received may be in them."""
    client_secret, access_token = "client-secret-0123456789abcdef", "issued-token-fedcba9876543210"
    app = FastAPI()

    @app.post("/oauth/token")
    async def token(request: Request) -> dict[str, Any]:
        form = dict(x.split("=", 1) for x in (await request.body()).decode().split("&"))
        assert form["client_secret"] == client_secret  # it was sent as it is
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}

    @app.post("/auth")
    async def auth(request: Request) -> dict[str, Any]:
        assert (await request.json())["client_secret"] == client_secret
        return {"success": True, "data": {"token": access_token}}

    exchanges: list[dict[str, Any]] = []
    with serve(app) as base_url:
        http = make_http_client(timeout=5, on_exchange=exchanges.append, allow_private_network=True)
        with http:
            form = {"grant_type": "client_credentials", "client_id": "cid", "client_secret": client_secret}
            assert http.post(f"{base_url}/oauth/token", data=form).status_code == 200
            body = {"client_id": "cid", "client_secret": client_secret}
            assert http.post(f"{base_url}/auth?api_token={access_token}", json=body).status_code == 200
    recorded = json.dumps(exchanges)
    assert client_secret not in recorded
    assert access_token not in recorded
    form_exchange, json_exchange = exchanges
    assert "grant_type=client_credentials" in form_exchange["request_body"]
    assert "client_id=cid" in form_exchange["request_body"]
    assert json.loads(form_exchange["response_body"])["token_type"] == "Bearer"  # the rest is kept
    assert json.loads(json_exchange["request_body"]) == {"client_id": "cid", "client_secret": "[redacted]"}
    assert json.loads(json_exchange["response_body"]) == {"success": True, "data": {"token": "[redacted]"}}
    assert json_exchange["url"].endswith("/auth?api_token=%5Bredacted%5D")
