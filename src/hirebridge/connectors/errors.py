"""The connector error tree, and the one place where a failed transport is sorted into it.

    ConnectorError(message, http_status)
     ├── RetryableError(retry_after)  certainly not applied: throttled, could not connect, 502/503; retry later
     │     └── OutcomeUnknownError    may have been applied: sent and its answer lost (read timeout, connection dropped
     │                                mid-response), or a create answered 500/504; look the record up before writing
     ├── RejectedError                the HRIS refused the data (or we refused to send it); final; ``message`` is the
     │                                HRIS's own text, shown to the user
     └── AuthError                    wrong or expired credentials, or a missing permission; final until fixed

Transport failures are sorted here (``from_transport_error``, applied by ``transport.send``). Each vendor sorts its
own statuses in one ``raise_for_response`` in its ``connector.py``, because a status means different things per
vendor; it builds every error from the answer with the class's ``from_response`` (status, the body's first 2 KB and
the endpoint kept on the error; ``RetryableError.from_response`` reads ``Retry-After`` itself) and the helpers below
(``server_error``, ``body_message``). Nothing else in a connector guesses at a status.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any, Self

import httpx

from hirebridge.egress import blocked

MAX_MESSAGE_CHARS = 1000
MAX_RETRY_AFTER_SECONDS = 3600.0


MAX_KEPT_BODY_CHARS = 2048


class ConnectorError(Exception):
    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        body: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.body = body  # the vendor's answer (first 2 KB), for the attempt log; never shown to other tenants
        self.endpoint = endpoint  # "POST /v1/people": the call that failed, without host or query

    @classmethod
    def from_response(cls, response: httpx.Response, message: str) -> Self:
        """The error an HTTP answer amounts to, keeping its status, body and endpoint."""
        return cls(message, **_answer(response))


class RetryableError(ConnectorError):
    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        body: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, body=body, endpoint=endpoint)
        self.retry_after = retry_after

    @classmethod
    def from_response(cls, response: httpx.Response, message: str, *, retry_after: float | None = None) -> Self:
        """As ``ConnectorError.from_response``; the wait is ``retry_after`` if given, else the answer's
        ``Retry-After`` (seconds or an HTTP date), else None (the push domain backs off on its own)."""
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return cls(message, retry_after=retry_after, **_answer(response))


def _answer(response: httpx.Response) -> dict[str, Any]:
    body = response.text[:MAX_KEPT_BODY_CHARS] if response.content else None
    endpoint = None
    try:
        request = response.request
    except RuntimeError:  # a response built without a request (tests)
        request = None
    if request is not None:
        endpoint = f"{request.method} {request.url.path}"
    return {"http_status": response.status_code, "body": body, "endpoint": endpoint}


class OutcomeUnknownError(RetryableError):
    """The request may have been applied: look the record up before writing again."""


class RejectedError(ConnectorError):
    """The HRIS refused the data (or we refused to send it); retrying the same data will not help."""


class AuthError(ConnectorError):
    """The credentials are wrong, expired or lack a permission; retrying will not help until they are fixed."""


class ResponseTooLarge(httpx.TransportError):
    """The HRIS's answer exceeded the size we are willing to read."""


def from_transport_error(exc: httpx.TransportError, *, write: bool) -> ConnectorError:
    """Sort a transport failure by whether the request can have reached the HRIS.

    Nothing was sent when the connection could not be made (or no pooled connection was free), so a retry is safe.
    After the request was sent, a lost answer leaves the outcome unknown for a write; a read is simply retried.
    """
    if isinstance(exc, ResponseTooLarge):
        return RejectedError(str(exc))
    refused = blocked(exc)
    if refused is not None:  # a configuration problem that no retry fixes; nothing was sent
        return RejectedError(f"hirebridge refused to connect to the HRIS: {refused}")
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout | httpx.UnsupportedProtocol):
        return RetryableError(f"could not connect to the HRIS: {_describe(exc)}")
    if isinstance(exc, httpx.TimeoutException):
        what = f"no answer from the HRIS in time ({_describe(exc)})"
    else:
        what = f"the connection to the HRIS failed mid-exchange ({_describe(exc)})"
    if write:
        return OutcomeUnknownError(f"{what}; the write may have been applied")
    return RetryableError(what)


def server_error(response: httpx.Response, *, write: bool, retry_after: float | None = None) -> RetryableError:
    """A 5xx. A create answered 500 or 504 may have been written before the server failed, so its outcome is
    unknown; a gateway that never reached the application (502, 503) applied nothing."""
    status = response.status_code
    message = f"the HRIS had a server error (HTTP {status})"
    if write and status in (500, 504):
        return OutcomeUnknownError.from_response(
            response, f"{message}; the write may have been applied", retry_after=retry_after
        )
    return RetryableError.from_response(response, message, retry_after=retry_after)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds (either delta-seconds or an HTTP date), bounded to an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return _bounded(seconds)


def parse_reset_epoch(value: str | None, *, now: float | None = None) -> float | None:
    """A rate-limit reset given as a Unix epoch (seconds, or milliseconds if it is that large), as seconds from now."""
    if not value:
        return None
    try:
        epoch = float(value.strip())
    except ValueError:
        return None
    if epoch > 1e12:
        epoch /= 1000
    return _bounded(epoch - (time.time() if now is None else now))


def _bounded(seconds: float) -> float | None:
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def body_message(response: httpx.Response) -> str | None:
    """The human text in an error body: a JSON ``message``/``error``/``errors`` member, else the plain text."""
    text = response.text.strip() if response.content else ""
    if not text:
        return None
    try:
        data: Any = json.loads(text)
    except ValueError:
        return clip(text)
    found = _find_message(data)
    return clip(found) if found else clip(text)


def _find_message(data: Any) -> str | None:
    if isinstance(data, str):
        return data or None
    if isinstance(data, list):
        parts = [part for part in (_find_message(item) for item in data[:10]) if part]
        return "; ".join(parts) or None
    if isinstance(data, dict):
        for key in ("message", "error_description", "error", "errors", "detail", "title"):
            if key in data:
                found = _find_message(data[key])
                if found:
                    return found
    return None


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(exc: Exception) -> str:
    detail = str(exc).strip()
    return f"{type(exc).__name__}: {clip(detail, 200)}" if detail else type(exc).__name__
