"""One caller-given request to a connection's HRIS (``hrisConnection.request``), sent as a push sends its calls.

The same client a push attempt uses (``transport.make_http_client``): the outbound address guard, a token from the
connection's rate limit before the call (waiting at most ``RATE_WAIT_SECONDS``), bounded answers, and one redacted
record per exchange. The connector adds its own credentials (``Connector.passthrough``) and keeps the call under the
vendor's API base. Every call is kept in the push attempt log's tables: a ``delivery_jobs`` row of kind
``hris_request`` (never run by a worker: no handler is registered for the kind) with one ``delivery_attempts`` row
holding the exchanges, written before the call leaves and completed after it, so a call whose process died is on
record too. A connector with access tokens (ADP, Personio) shares its pushes' tokens (``hris.tokens``). Credentials
never reach the record: they travel in headers (never recorded) or, for Workday, in a SOAP password element that the
transport redacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.connectors.base import PassthroughRefused, PassthroughRequest
from hirebridge.connectors.errors import AuthError, ConnectorError, clip
from hirebridge.connectors.registry import UnsupportedSystem
from hirebridge.db.types import iso, utcnow
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob, JobState
from hirebridge.delivery.ratelimit import RateLimitTimeout
from hirebridge.hris.clients import RATE_WAIT_SECONDS, connector_for, rate_limited_client
from hirebridge.hris.models import HrisConnection
from hirebridge.hris.push import rate_key
from hirebridge.hris.tokens import DbTokenStore
from hirebridge.runtime import Runtime
from hirebridge.security import DecryptionError

KIND = "hris_request"
MAX_KEPT_EXCHANGES = 10
MAX_LOG_ROWS = 100


@dataclass(frozen=True)
class Answer:
    """The HRIS's answer, whatever its status, and the id of the call's record."""

    request_id: str
    url: str  # without any userinfo
    status: int
    headers: httpx.Headers
    content: bytes


class RequestFailed(Exception):
    """The call got no answer from the HRIS, or could not be made; ``code`` says which (see ``send``)."""

    def __init__(self, code: str, message: str, *, request_id: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.field = field


def send(runtime: Runtime, connection: HrisConnection, request: PassthroughRequest, *, requested_by: str) -> Answer:
    """Send ``request`` to ``connection``'s HRIS and return its answer. Raises RequestFailed with code
    ``invalid_input`` (``field`` names path, method or body; nothing was sent), ``hris_rate_limited`` (no slot in
    the connection's rate limit in time; nothing was sent), ``hris_connection_credentials_invalid`` or
    ``hris_request_failed`` (refused address, could not connect, no answer in time: the connector's message)."""
    request_id = _record_start(runtime, connection, request, requested_by)
    exchanges: list[dict[str, Any]] = []
    rate = max(connection.rate_limit_per_second, 0.01)
    try:
        credentials = runtime.cipher.decrypt_json(connection.credentials_encrypted)
    except DecryptionError as exc:
        raise _failed(runtime, request_id, exchanges, "hris_connection_credentials_invalid", str(exc)) from None
    with rate_limited_client(runtime, connection, exchanges) as http:
        try:
            # The tokens its pushes use, fetched once for all.
            connector = connector_for(connection, credentials, http, DbTokenStore(runtime, connection.id))
            response = connector.passthrough(request)
        except UnsupportedSystem as exc:
            raise _failed(runtime, request_id, exchanges, "hris_system_not_supported", str(exc)) from None
        except PassthroughRefused as exc:
            failed = _failed(runtime, request_id, exchanges, "invalid_input", exc.message, outcome="refused")
            failed.field = exc.field
            raise failed from None
        except RateLimitTimeout:
            message = f"the connection's rate limit ({rate:g} calls a second) has no free slot in the next "
            message += f"{RATE_WAIT_SECONDS:g} s; try again later"
            raise _failed(runtime, request_id, exchanges, "hris_rate_limited", message, outcome="retry") from None
        except AuthError as exc:
            raise _failed(
                runtime, request_id, exchanges, "hris_connection_credentials_invalid", exc.message, outcome="auth"
            ) from None
        except ConnectorError as exc:
            raise _failed(runtime, request_id, exchanges, "hris_request_failed", exc.message) from None
    _record_end(runtime, request_id, exchanges, "answered", f"HTTP {response.status_code}", response.status_code)
    url = str(response.request.url.copy_with(username=None, password=None))
    return Answer(request_id, url, response.status_code, response.headers, response.content)


def _record_start(runtime: Runtime, connection: HrisConnection, request: PassthroughRequest, requested_by: str) -> str:
    now = utcnow()
    with runtime.transaction() as session:
        job = DeliveryJob(
            organization_id=connection.organization_id,
            kind=KIND,
            subject_id=connection.id,
            rate_key=rate_key(connection.id),
            payload={"method": request.method, "path": request.path[:2048], "requestedBy": requested_by[:100]},
            state=JobState.RUNNING,  # never claimed: no worker runs this kind, and it holds no lease to expire
            attempts=1,
            max_attempts=1,
            next_attempt_at=now,
        )
        session.add(job)
        session.flush()
        session.add(DeliveryAttempt(job_id=job.id, number=1, worker=requested_by[:100], started_at=now, exchanges=[]))
        return job.id


def _record_end(
    runtime: Runtime,
    request_id: str,
    exchanges: list[dict[str, Any]],
    outcome: str,
    message: str,
    http_status: int | None,
) -> None:
    now = utcnow()
    with runtime.transaction() as session:
        job = session.get(DeliveryJob, request_id)
        attempt = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.job_id == request_id)).first()
        if job is None or attempt is None:  # the connection (and with it the record) was deleted meanwhile
            return
        answered = outcome == "answered"
        job.state = JobState.SUCCEEDED if answered else JobState.FAILED
        job.finished_at = now
        job.last_error = None if answered else message
        attempt.finished_at = now
        attempt.outcome = outcome
        attempt.http_status = http_status
        attempt.message = message
        attempt.exchanges = exchanges[-MAX_KEPT_EXCHANGES:]


def _failed(
    runtime: Runtime,
    request_id: str,
    exchanges: list[dict[str, Any]],
    code: str,
    message: str,
    *,
    outcome: str = "failed",
) -> RequestFailed:
    message = clip(message)
    status = next((e["status"] for e in reversed(exchanges) if e.get("status") is not None), None)
    _record_end(runtime, request_id, exchanges, outcome, message, status)
    return RequestFailed(code, message, request_id=request_id)


def request_log(session: Session, connection_id: str, limit: int) -> list[dict[str, Any]]:
    """The connection's latest passthrough calls, newest first: what was asked, the outcome and the exchanges."""
    rows = session.execute(
        select(DeliveryJob, DeliveryAttempt)
        .join(DeliveryAttempt, DeliveryAttempt.job_id == DeliveryJob.id)
        .where(DeliveryJob.kind == KIND, DeliveryJob.subject_id == connection_id)
        .order_by(DeliveryJob.created_at.desc(), DeliveryJob.id.desc())
        .limit(max(1, min(limit, MAX_LOG_ROWS)))
    ).all()
    return [_log_entry(job, attempt) for job, attempt in rows]


def _log_entry(job: DeliveryJob, attempt: DeliveryAttempt) -> dict[str, Any]:
    payload = job.payload or {}
    duration = (
        round((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
        if attempt.finished_at is not None
        else None
    )
    return {
        "requestId": job.id,
        "method": payload.get("method"),
        "path": payload.get("path"),
        "requestedBy": payload.get("requestedBy"),
        "startedAt": iso(attempt.started_at),
        "finishedAt": iso(attempt.finished_at),
        "durationMs": duration,
        "outcome": attempt.outcome,  # None while the call is in flight (or its process died during it)
        "httpStatus": attempt.http_status,
        "message": attempt.message,
        "exchanges": list(attempt.exchanges or []),
    }
