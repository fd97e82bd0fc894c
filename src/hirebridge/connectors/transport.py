"""The HTTP client connectors talk through: a rate-limit hook before each call, and one redacted record per exchange.

``make_http_client(on_exchange=...)`` hands every exchange to the caller as
``{"method", "url", "status", "elapsed_ms", "request_body", "response_body", "response_headers", "error"}``.
Headers are never recorded except a few harmless response headers that carry the vendor's verdict (its error text,
``Retry-After``, rate-limit counters, ``Location``); URLs lose any userinfo; secret-looking values in bodies and query
strings are redacted (``connectors.redaction``); bodies are cut to ~2 KB. Bodies hold the
customer's own hire data, which the caller stores as attempt history; nothing here goes to Python logging.

``send()`` is how a connector makes a call: transport failures come out already sorted into the error tree.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from hirebridge.connectors.base import REDACTED, PreparedRequest
from hirebridge.connectors.errors import RejectedError, ResponseTooLarge, from_transport_error
from hirebridge.connectors.redaction import redact_text, redact_url
from hirebridge.egress import GuardedTransport

USER_AGENT = "hirebridge"
MAX_LOGGED_BODY_CHARS = 2048
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
RECORDED_RESPONSE_HEADERS = (
    "location",
    "retry-after",
    "x-bamboohr-error-message",
    "x-bamboohr-error-messsage",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)

Exchange = dict[str, Any]


class _RecordingTransport(httpx.BaseTransport):
    """Wraps the real transport: takes a rate-limit token, reads the whole (bounded) answer, records the exchange."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        on_exchange: Callable[[Exchange], None] | None,
        before_request: Callable[[], None] | None,
    ) -> None:
        self._inner = inner
        self._on_exchange = on_exchange
        self._before_request = before_request
        self._children: list[_RecordingTransport] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._before_request is not None:
            self._before_request()
        started = time.monotonic()
        try:
            response = self._inner.handle_request(request)
            try:
                content = _read_bounded(response)
            finally:
                response.close()
        except Exception as exc:
            self._record(request, started, error=f"{type(exc).__name__}: {str(exc)[:300]}")
            raise
        answered = httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=httpx.ByteStream(content),
            extensions=response.extensions,
            request=request,
        )
        self._record(request, started, response=answered, content=content)
        return answered

    def close(self) -> None:
        for child in self._children:
            child.close()
        self._inner.close()

    def sibling(self, inner: httpx.BaseTransport) -> _RecordingTransport:
        """The same recording and rate limit over another transport, closed when this one is."""
        child = _RecordingTransport(inner, self._on_exchange, self._before_request)
        self._children.append(child)
        return child

    def _record(
        self,
        request: httpx.Request,
        started: float,
        *,
        response: httpx.Response | None = None,
        content: bytes = b"",
        error: str | None = None,
    ) -> None:
        if self._on_exchange is None:
            return
        self._on_exchange(
            {
                "method": request.method,
                "url": redact_url(str(request.url.copy_with(username=None, password=None))),
                "status": response.status_code if response is not None else None,
                "elapsed_ms": round((time.monotonic() - started) * 1000, 1),
                "request_body": _clip_body(_without_passwords(request.content)),
                "response_body": _clip_body(content) if response is not None else None,  # (both redacted)
                "response_headers": _recorded_headers(response.headers) if response is not None else {},
                "error": error,
            }
        )


def _read_bounded(response: httpx.Response) -> bytes:
    try:  # an inner transport (a test observer, say) may have read the answer already
        content = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(f"the HRIS answered with more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB")
        return content
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(f"the HRIS answered with more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB")
        chunks.append(chunk)
    return b"".join(chunks)


# A WS-Security password travels in the SOAP body (Workday); it never reaches the attempt log.
_PASSWORD_ELEMENT = re.compile(rb"(<(?:[A-Za-z_][\w.-]*:)?Password\b[^>]*>)[^<]*(</)")


def _without_passwords(content: bytes) -> bytes:
    if b"Password" not in content:
        return content
    return _PASSWORD_ELEMENT.sub(rb"\1[redacted]\2", content)


def _clip_body(content: bytes) -> str | None:
    """The body as recorded: secret-looking values redacted (a token request's client secret, its answer's access
    token), then cut to about MAX_LOGGED_BODY_CHARS."""
    if not content:
        return None
    text = redact_text(content[: MAX_LOGGED_BODY_CHARS * 4].decode("utf-8", errors="replace"))
    if len(text) > MAX_LOGGED_BODY_CHARS or len(content) > MAX_LOGGED_BODY_CHARS * 4:
        return text[:MAX_LOGGED_BODY_CHARS] + f"… [{len(content)} bytes]"
    return text


def _recorded_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name][:500] for name in RECORDED_RESPONSE_HEADERS if name in headers}


def make_http_client(
    *,
    timeout: float,
    on_exchange: Callable[[Exchange], None] | None,
    before_request: Callable[[], None] | None = None,
    auth: httpx.Auth | None = None,
    allow_private_network: bool = False,
) -> httpx.Client:
    """A client for one push attempt. Connectors pass their own per-request auth, so ``auth`` is optional.

    Only public addresses are reached unless ``allow_private_network`` (see ``hirebridge.egress``)."""
    inner = GuardedTransport(allow_private=allow_private_network)
    transport = _RecordingTransport(inner, on_exchange, before_request)
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        auth=auth,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def client_with_tls(http: httpx.Client, ssl_context: ssl.SSLContext) -> httpx.Client:
    """A client like ``http`` (same address guard, rate limit, exchange record, timeout and headers) whose TLS uses
    ``ssl_context``: for a vendor that demands a client certificate (ADP). It is closed with ``http``.

    ``http`` must come from ``make_http_client``; the guard's private-network setting is carried over."""
    transport = http._transport
    if not isinstance(transport, _RecordingTransport) or not isinstance(transport._inner, GuardedTransport):
        raise TypeError("client_with_tls needs a client made by make_http_client")
    inner = GuardedTransport(allow_private=transport._inner.allow_private, ssl_context=ssl_context)
    return httpx.Client(
        transport=transport.sibling(inner),
        timeout=http.timeout,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def request_headers(headers: Mapping[str, str] | None = None, *, json_body: bool = False) -> dict[str, str]:
    """The headers ``send`` sets on a call (the client adds ``User-Agent``, httpx ``Host`` and ``Content-Length``)."""
    out = {"Accept": "application/json", **(headers or {})}
    if json_body:
        # Exactly this value: BambooHR parses anything else (even with "; charset=utf-8") as XML.
        out["Content-Type"] = "application/json"
    return out


def encode_json(body: Any) -> bytes:
    """A JSON body exactly as ``send`` puts it on the wire."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    write: bool,
    auth: httpx.Auth | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """One call; a transport failure is raised as the ConnectorError it amounts to (see ``errors``).

    ``write`` says whether the call changes data the HRIS might have applied before its answer was lost.
    """
    request_headers_ = request_headers(headers, json_body=json_body is not None)
    content = encode_json(json_body) if json_body is not None else None
    try:
        return http.request(
            method, url, content=content, headers=request_headers_, auth=auth or httpx.USE_CLIENT_DEFAULT
        )
    except httpx.TransportError as exc:
        raise from_transport_error(exc, write=write) from exc
    except httpx.InvalidURL as exc:
        raise RejectedError(f"the connection's base URL is not valid: {exc}") from exc


def prepared_request(
    method: str,
    url: str,
    *,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    auth_scheme: str | None = "Basic",
) -> PreparedRequest:
    """What ``send`` would put on the wire for this call, for a preview: the client's and ``send``'s headers, the
    credentials replaced by ``Authorization: <scheme> [redacted]``. Nothing is sent."""
    out = {"User-Agent": USER_AGENT, **request_headers(headers, json_body=json_body is not None)}
    if auth_scheme:
        out["Authorization"] = f"{auth_scheme} {REDACTED}"
    return PreparedRequest(method=method, url=url, headers=out, body=json_body)
