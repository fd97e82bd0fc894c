"""What an unexpected exception looks like from outside: the surface's error envelope with the request id (header
and body), no stack trace, the keep-alive connection still usable, and one log record, holding the request id and
neither the exception's message nor SQL parameters (the message of an error can quote personal data)."""

from __future__ import annotations

import base64
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.support.servers import serve

LEAK = "leaky.person@example.com"


class Records:
    """Every log record created while installed, from any logger (uvicorn's do not propagate to the root)."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self._previous = logging.getLogRecordFactory()

    def __enter__(self) -> Records:
        previous = self._previous

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            self.records.append(record)
            return record

        logging.setLogRecordFactory(factory)
        return self

    def __exit__(self, *exc: object) -> None:
        logging.setLogRecordFactory(self._previous)

    def errors(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.levelno >= logging.ERROR]


@pytest.fixture(scope="module")
def failing(runtime: Runtime) -> Iterator[tuple[str, list[str]]]:
    """The service with three extra routes that fail; yields its URL and the messages of the database errors."""
    from hirebridge.app import create_app

    messages: list[str] = []
    app: FastAPI = create_app(runtime)

    def boom() -> None:
        raise RuntimeError(f"cannot handle {LEAK}")

    def database() -> None:
        with runtime.sessions() as session:
            try:
                session.execute(text("SELECT email FROM no_such_table WHERE email = :email"), {"email": LEAK})
            except DBAPIError as exc:
                messages.append(str(exc))
                raise

    app.add_api_route("/partner/v1.0/boom", boom, methods=["GET"])
    app.add_api_route("/partner/v1.0/database", database, methods=["GET"])
    app.add_api_route("/boom.now", boom, methods=["POST"])
    with serve(app) as url:
        yield url, messages


def test_a_partner_500_is_the_partner_envelope_with_the_request_id(failing: tuple[str, list[str]]) -> None:
    url, _ = failing
    with Records() as logs:
        response = httpx.get(f"{url}/partner/v1.0/boom")
    assert response.status_code == 500
    rid = response.headers["x-request-id"]
    assert response.json() == {
        "error_code": "INTERNAL_ERROR",
        "message": "Something went wrong on our side; quote the request id when reporting it.",
        "request_id": rid,
    }
    errors = logs.errors()
    assert len(errors) == 1, [r.getMessage() for r in errors]
    logged = errors[0].getMessage()
    assert rid in logged
    assert "RuntimeError" in logged
    assert "Traceback" in logged
    assert LEAK not in logged
    assert errors[0].exc_info is None


def test_an_ats_500_is_ashbys_generic_internal_error(failing: tuple[str, list[str]]) -> None:
    url, _ = failing
    with Records() as logs:
        response = httpx.post(f"{url}/boom.now", json={})
    assert response.status_code == 500
    rid = response.headers["x-request-id"]
    body = response.json()
    assert body["success"] is False
    assert body["errors"] == ["generic_internal_error"]
    assert body["errorInfo"]["requestId"] == rid
    assert "Traceback" not in response.text
    assert LEAK not in response.text
    assert len(logs.errors()) == 1


def test_a_database_error_logs_neither_parameters_nor_message(failing: tuple[str, list[str]]) -> None:
    url, messages = failing
    with Records() as logs:
        response = httpx.get(f"{url}/partner/v1.0/database")
    assert response.status_code == 500
    (message,) = messages
    assert LEAK not in message, "the engine must hide SQL parameters from error messages"
    assert "hidden" in message
    (error,) = logs.errors()
    logged = error.getMessage()
    assert response.headers["x-request-id"] in logged
    assert "no_such_table" in logged  # the statement stays: it is code, not data
    assert LEAK not in logged


def _http_exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request and read exactly one response (headers and Content-Length body)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        body += chunk
    return head


def test_the_connection_stays_usable_after_a_500(failing: tuple[str, list[str]]) -> None:
    url, _ = failing
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        first = _http_exchange(sock, b"GET /partner/v1.0/boom HTTP/1.1\r\nHost: test\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 500")
        assert b"connection: close" not in first.lower()
        second = _http_exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        assert second.startswith(b"HTTP/1.1 200")


def test_every_answer_carries_a_request_id(failing: tuple[str, list[str]]) -> None:
    url, _ = failing
    for method, path in [("GET", "/healthz"), ("GET", "/nowhere"), ("POST", "/candidate.list"), ("GET", "/a/x")]:
        response = httpx.request(method, f"{url}{path}")
        assert response.headers.get("x-request-id"), (method, path, response.status_code)
    echoed = httpx.get(f"{url}/healthz", headers={"x-request-id": "client-chosen-id-1"})
    assert echoed.headers["x-request-id"] == "client-chosen-id-1"


def test_a_client_that_leaves_mid_body_is_not_an_error(failing: tuple[str, list[str]], org: IssuedCredentials) -> None:
    url, _ = failing
    host, port = url.removeprefix("http://").split(":")
    key = base64.b64encode(f"{org.api_key}:".encode())
    with Records() as logs:
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(
                b"POST /candidate.create HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                b"Authorization: Basic " + key + b"\r\nContent-Length: 1000\r\n\r\n" + b'{"name": "Half'
            )
        access: list[str] = []
        for _ in range(1000):  # wait for the access line of that request, however long the server takes
            access = [m for r in logs.records if (m := r.getMessage()).startswith("POST /candidate.create ")]
            if access:
                break
            threading.Event().wait(0.01)
    assert access, "the server never finished the abandoned request"
    assert " 499 " in access[0]
    assert logs.errors() == []
