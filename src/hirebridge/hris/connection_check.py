"""Test a connection: one harmless authenticated read from the HRIS through its connector (``Connector.check``).

The call goes out like a push's (the outbound address guard, a slot of the connection's rate limit, one record per
exchange) but authenticates afresh with the connection's current credentials: a token cached by earlier pushes is not
used, so a test after fixing the credentials tests the new ones. The answer is sorted by the connector's own rules
(``connectors.errors``) into ``category``: ok, credentials, throttled, unavailable, rejected, unsupported.

The result is kept where ``hrisConnection.request`` keeps its calls: a ``delivery_jobs`` row of kind ``hris_test``
(``subject_id`` the connection; never run by a worker) with one attempt holding the redacted exchanges, its time,
outcome and message; ``last_test`` reads the latest. (``hris_connections`` has no column for it; a model change for
three fields was not worth a migration while the schema is shared.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.connectors.errors import AuthError, ConnectorError, RejectedError, RetryableError, clip
from hirebridge.connectors.redaction import redact_exchange
from hirebridge.connectors.registry import UnsupportedSystem, display_name
from hirebridge.connectors.tokens import MemoryTokenStore
from hirebridge.db.types import iso, utcnow
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob, JobState
from hirebridge.delivery.ratelimit import RateLimitTimeout
from hirebridge.hris.clients import RATE_WAIT_SECONDS, connector_for, rate_limited_client
from hirebridge.hris.connections import get_connection
from hirebridge.hris.push import rate_key
from hirebridge.orgs.service import get_organization
from hirebridge.runtime import Runtime
from hirebridge.security import DecryptionError

KIND = "hris_test"
MAX_KEPT_EXCHANGES = 10


@dataclass(frozen=True)
class ConnectionTest:
    """The outcome of one test call."""

    connection_id: str
    system: str
    ok: bool
    category: str  # ok, credentials, throttled, unavailable, rejected, unsupported
    http_status: int | None  # the HRIS's last answer, if any
    latency_ms: int  # the whole test, token request included
    message: str  # "BambooHR answered HTTP 200", or the HRIS's own message on failure
    tested_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "hrisConnectionId": self.connection_id,
            "system": self.system,
            "ok": self.ok,
            "category": self.category,
            "httpStatus": self.http_status,
            "latencyMs": self.latency_ms,
            "message": self.message,
            "testedAt": iso(self.tested_at),
        }


def test_connection(runtime: Runtime, organization_id: str, connection_id: str) -> ConnectionTest:
    """Make the connector's test call to ``connection_id`` (of ``organization_id``: NotFound otherwise), record the
    result, and return it. Never raises for what the HRIS answers: a refusal is a result with ``ok`` False."""
    with runtime.sessions() as session:
        get_organization(session, organization_id)
        connection = get_connection(session, organization_id, connection_id)
        session.expunge(connection)
    exchanges: list[dict[str, Any]] = []
    rate = max(connection.rate_limit_per_second, 0.01)
    started_at = utcnow()
    started = time.monotonic()
    name = display_name(connection.system)
    status: int | None = None
    try:
        credentials = runtime.cipher.decrypt_json(connection.credentials_encrypted)
        with rate_limited_client(runtime, connection, exchanges) as http:
            # A token of its own: the test proves the current credentials.
            connector = connector_for(connection, credentials, http, MemoryTokenStore())
            status = connector.check()
        category, message = "ok", f"{name} answered HTTP {status}"
    except DecryptionError as exc:
        category, message = "credentials", str(exc)
    except UnsupportedSystem as exc:
        category, message = "unsupported", str(exc)
    except RateLimitTimeout:
        category = "throttled"
        message = f"the connection's rate limit ({rate:g} calls a second) had no free slot in {RATE_WAIT_SECONDS:g} s"
    except AuthError as exc:
        category, message, status = "credentials", exc.message, exc.http_status
    except RetryableError as exc:
        category = "throttled" if exc.http_status == 429 else "unavailable"
        message, status = exc.message, exc.http_status
    except (RejectedError, ConnectorError) as exc:
        category, message, status = "rejected", exc.message, exc.http_status
    latency_ms = round((time.monotonic() - started) * 1000)
    if status is None:
        status = next((e["status"] for e in reversed(exchanges) if e.get("status") is not None), None)
    result = ConnectionTest(
        connection_id=connection.id,
        system=connection.system,
        ok=category == "ok",
        category=category,
        http_status=status,
        latency_ms=latency_ms,
        message=clip(message),
        tested_at=started_at,
    )
    _record(runtime, connection.organization_id, result, exchanges)
    return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # pytest: not a test when a test module imports it


def _record(runtime: Runtime, organization_id: str, result: ConnectionTest, exchanges: list[dict[str, Any]]) -> None:
    now = utcnow()
    with runtime.transaction() as session:
        job = DeliveryJob(
            organization_id=organization_id,
            kind=KIND,
            subject_id=result.connection_id,
            rate_key=rate_key(result.connection_id),
            payload={"category": result.category, "latencyMs": result.latency_ms},
            state=JobState.SUCCEEDED if result.ok else JobState.FAILED,  # never claimed: no worker runs this kind
            attempts=1,
            max_attempts=1,
            next_attempt_at=result.tested_at,
            last_error=None if result.ok else result.message,
            finished_at=now,
        )
        session.add(job)
        session.flush()
        session.add(
            DeliveryAttempt(
                job_id=job.id,
                number=1,
                worker="connection test",
                started_at=result.tested_at,
                finished_at=now,
                outcome=result.category,
                http_status=result.http_status,
                message=result.message,
                exchanges=[redact_exchange(e) for e in exchanges[-MAX_KEPT_EXCHANGES:]],
            )
        )


def last_test(session: Session, organization_id: str, connection_id: str) -> ConnectionTest | None:
    """The latest recorded test of the connection (NotFound for another organization's), or None if never tested."""
    connection = get_connection(session, organization_id, connection_id)
    row = session.execute(
        select(DeliveryJob, DeliveryAttempt)
        .join(DeliveryAttempt, DeliveryAttempt.job_id == DeliveryJob.id)
        .where(DeliveryJob.kind == KIND, DeliveryJob.subject_id == connection.id)
        .order_by(DeliveryJob.created_at.desc(), DeliveryJob.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    job, attempt = row
    latency = (job.payload or {}).get("latencyMs")
    return ConnectionTest(
        connection_id=connection.id,
        system=connection.system,
        ok=job.state == JobState.SUCCEEDED,
        category=attempt.outcome or "",
        http_status=attempt.http_status,
        latency_ms=int(latency) if isinstance(latency, int | float) else 0,
        message=attempt.message or "",
        tested_at=attempt.started_at,
    )
