"""The generic ``webhook`` job kind: POST a prepared body to a URL until it is accepted.

Payload: ``{"url", "headers": {..}, "secret_headers": "<encrypted>", "body": "<raw string>",
"no_retry_statuses": [401, ...]}``. Headers that carry a customer's credentials travel encrypted
(``secret_headers``, the cipher's token of a JSON object) and are decrypted only for the request. The producer
signs the body and puts the signature in ``headers`` (Ashby-style webhooks, partner result webhooks), so the
bytes sent are exactly the bytes signed, on every attempt. A 2xx answer is done; a status in
``no_retry_statuses`` gives up; anything else (other statuses, timeouts, refused connections) is retried on the
job's schedule, never sooner than the receiver's ``Retry-After``.

Use :func:`enqueue_webhook` rather than building the payload by hand.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.orm import Session

from hirebridge.delivery.backoff import Backoff, parse_retry_after
from hirebridge.delivery.engine import enqueue
from hirebridge.delivery.handlers import Done, GiveUp, JobContext, Outcome, RetryLater, register
from hirebridge.delivery.models import DeliveryJob
from hirebridge.egress import GuardedTransport, blocked
from hirebridge.security import DecryptionError

KIND = "webhook"
TIMEOUT_SECONDS = 15.0  # well under the lease
MAX_RESPONSE_CHARS = 2000


def enqueue_webhook(
    session: Session,
    *,
    organization_id: str,
    url: str,
    body: str,
    headers: dict[str, str] | None = None,
    secret_headers_encrypted: str | None = None,
    no_retry_statuses: Iterable[int] = (),
    subject_id: str | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
    backoff: Backoff | None = None,
) -> DeliveryJob:
    """Queue one webhook delivery in the caller's transaction.

    ``secret_headers_encrypted`` is stored as given (already encrypted with the runtime's cipher), so a customer's
    ``Authorization`` header never sits in the job table in the clear.
    """
    if not url.startswith(("http://", "https://")):
        raise ValueError("a webhook URL must be http(s)")
    payload = {
        "url": url,
        "headers": dict(headers or {}),
        "secret_headers": secret_headers_encrypted,
        "body": body,
        "no_retry_statuses": sorted({int(s) for s in no_retry_statuses}),
    }
    return enqueue(
        session,
        kind=KIND,
        organization_id=organization_id,
        payload=payload,
        subject_id=subject_id,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
        backoff=backoff,
    )


def redacted_url(url: str) -> str:
    """The URL without its query or credentials: either may carry a receiver's token."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "…" if parts.query else "", ""))


def deliver(ctx: JobContext) -> Outcome:
    url = str(ctx.payload["url"])
    headers = {str(k): str(v) for k, v in dict(ctx.payload.get("headers") or {}).items()}
    headers.setdefault("Content-Type", "application/json")
    if ctx.payload.get("secret_headers"):
        try:
            secret = ctx.runtime.cipher.decrypt_json(str(ctx.payload["secret_headers"]))
        except DecryptionError as exc:
            return GiveUp(f"the stored headers cannot be decrypted: {exc}")
        headers.update({str(k): str(v) for k, v in dict(secret).items()})
    body = str(ctx.payload.get("body", ""))
    no_retry = {int(s) for s in ctx.payload.get("no_retry_statuses") or []}
    exchange: dict[str, Any] = {"method": "POST", "url": redacted_url(url), "request_bytes": len(body.encode())}
    ctx.exchanges.append(exchange)
    started = time.monotonic()
    try:
        transport = GuardedTransport(allow_private=ctx.runtime.settings.private_network_allowed)
        with httpx.Client(transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        exchange["elapsed_ms"] = round((time.monotonic() - started) * 1000)
        exchange["error"] = type(exc).__name__
        refused = blocked(exc)
        if refused is not None:  # no retry reaches a refused address
            return GiveUp(f"hirebridge refused to connect to the receiver: {refused}")
        return RetryLater(f"could not reach the receiver: {type(exc).__name__}")
    exchange["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    exchange["status"] = response.status_code
    exchange["response_body"] = response.text[:MAX_RESPONSE_CHARS]
    status = response.status_code
    if 200 <= status < 300:
        return Done(f"HTTP {status}", http_status=status)
    message = f"HTTP {status}: {response.text[:500]}".strip()
    if status in no_retry:
        return GiveUp(message, http_status=status)
    return RetryLater(message, retry_after=parse_retry_after(response.headers.get("Retry-After")), http_status=status)


register(KIND, deliver)
