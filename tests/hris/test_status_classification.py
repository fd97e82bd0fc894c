"""Each vendor's statuses sorted into the error tree, with the vendor's own words kept."""

from __future__ import annotations

import time

import httpx
import pytest

from hirebridge.connectors.bamboohr.connector import raise_for_response as bamboohr_raise
from hirebridge.connectors.bob.connector import raise_for_response as bob_raise
from hirebridge.connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    parse_reset_epoch,
    parse_retry_after,
)


def _response(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body)


def _bamboohr(response: httpx.Response, operation: str = "create") -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        bamboohr_raise(response, operation=operation)
    return caught.value


def _bob(response: httpx.Response, *, create: bool = True) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        bob_raise(response, create=create)
    return caught.value


def test_bamboohr_success_raises_nothing() -> None:
    bamboohr_raise(_response(201), operation="create")
    bamboohr_raise(_response(200), operation="update")


@pytest.mark.parametrize("operation", ["create", "update", "lookup"])
def test_bamboohr_throttle_is_a_429_with_retry_after_and_is_retried_after_it(operation: str) -> None:
    error = _bamboohr(_response(429, {"Retry-After": "12"}), operation=operation)
    assert type(error) is RetryableError
    assert (error.retry_after, error.http_status) == (12.0, 429)


@pytest.mark.parametrize("operation", ["create", "update", "lookup"])
def test_bamboohr_503_is_unavailable_and_retried_after_its_retry_after(operation: str) -> None:
    error = _bamboohr(_response(503, {"Retry-After": "12"}), operation=operation)
    assert type(error) is RetryableError  # a 503 applied nothing, even to a create
    assert (error.retry_after, error.http_status) == (12.0, 503)
    assert type(_bamboohr(_response(503), operation=operation)) is RetryableError


def test_bamboohr_429_to_a_create_without_retry_after_is_the_employee_limit() -> None:
    error = _bamboohr(_response(429, {"X-BambooHR-Error-Message": "Employee limit reached for this plan"}))
    assert type(error) is RejectedError
    assert error.message == "Employee limit reached for this plan"
    assert (error.http_status, error.body) == (429, None)
    assert type(_bamboohr(_response(429), operation="lookup")) is RetryableError


@pytest.mark.parametrize("header", ["X-BambooHR-Error-Message", "X-BambooHR-Error-Messsage"])
@pytest.mark.parametrize("status", [400, 406, 409])
def test_bamboohr_refusals_carry_the_header_text_in_either_spelling(header: str, status: int) -> None:
    error = _bamboohr(_response(status, {header: "Invalid value for field 'department'"}))
    assert type(error) is RejectedError
    assert (error.message, error.http_status) == ("Invalid value for field 'department'", status)


def test_bamboohr_refusal_without_a_header_says_what_happened() -> None:
    assert "duplicate" in _bamboohr(_response(409)).message
    html = _bamboohr(_response(400, {"Content-Type": "text/html"}, b"<html><body>Bad</body></html>"))
    assert html.message == "BambooHR refused the data (HTTP 400)"


@pytest.mark.parametrize("status", [401, 403])
def test_bamboohr_credentials_and_permissions_are_auth_failures(status: int) -> None:
    assert isinstance(_bamboohr(_response(status)), AuthError)


def test_bamboohr_server_errors_are_retried_and_a_create_answered_500_may_have_been_written() -> None:
    assert type(_bamboohr(_response(502))) is RetryableError
    assert type(_bamboohr(_response(500))) is OutcomeUnknownError
    assert type(_bamboohr(_response(504))) is OutcomeUnknownError
    assert type(_bamboohr(_response(500), operation="update")) is RetryableError
    assert type(_bamboohr(_response(500), operation="lookup")) is RetryableError


def test_bob_rate_limit_waits_until_the_reset_epoch() -> None:
    reset = int(time.time()) + 30
    error = _bob(_response(429, {"X-RateLimit-Reset": str(reset), "X-RateLimit-Remaining": "0"}))
    assert type(error) is RetryableError
    assert error.retry_after is not None
    assert 25 <= error.retry_after <= 30
    assert _bob(_response(429, {"Retry-After": "3", "X-RateLimit-Reset": str(reset)})).retry_after == 3.0


def test_bob_400_carries_the_message_from_the_body() -> None:
    body = b'{"key": "site", "error": "Site \\"Atlantis\\" does not exist"}'
    error = _bob(_response(400, {"Content-Type": "application/json"}, body))
    assert type(error) is RejectedError
    assert error.message == 'Site "Atlantis" does not exist'
    assert _bob(_response(400, body=b'{"message": "surname is required"}')).message == "surname is required"
    assert _bob(_response(400, body=b"plain words")).message == "plain words"


@pytest.mark.parametrize("status", [401, 403])
def test_bob_credentials_and_permissions_are_auth_failures(status: int) -> None:
    assert isinstance(_bob(_response(status)), AuthError)


def test_bob_304_is_an_update_that_changed_nothing() -> None:
    bob_raise(_response(304), create=False)


def test_bob_server_errors() -> None:
    assert type(_bob(_response(503))) is RetryableError
    assert type(_bob(_response(500))) is OutcomeUnknownError
    assert type(_bob(_response(500), create=False)) is RetryableError


def test_retry_after_forms_and_bounds() -> None:
    now = 1_000_000.0
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("Mon, 12 Jan 1970 14:23:30 GMT", now=now) == 2210.0
    assert parse_retry_after("999999") == 3600.0
    assert parse_retry_after("soon") is None
    epoch_now = 1_800_000_000.0
    assert parse_reset_epoch(str(int(epoch_now + 10)), now=epoch_now) == 10.0
    assert parse_reset_epoch(str(int((epoch_now + 10) * 1000)), now=epoch_now) == 10.0
    assert parse_reset_epoch(str(int(epoch_now - 10)), now=epoch_now) == 0.0


def test_errors_keep_the_answer_they_were_built_from() -> None:
    request = httpx.Request("POST", "https://acme.bamboohr.com/api/v1/employees/?x=1")
    response = httpx.Response(400, headers={"X-BambooHR-Error-Message": "Invalid date"}, content=b"x" * 5000)
    response.request = request
    error = _bamboohr(response)
    assert (error.http_status, error.endpoint, error.message) == (400, "POST /api/v1/employees/", "Invalid date")
    assert error.body == "x" * 2048
