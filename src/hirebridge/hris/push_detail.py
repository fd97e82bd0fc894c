"""A push as the console and ``hirebridge pushes list|show`` present it: a summary, and in detail its job, every
attempt and the payload it sent.

Attempt records hold each exchange with the HRIS as the transport recorded it (headers dropped, SOAP passwords
redacted). Token requests carry client secrets in their bodies and their answers carry access tokens, the transport
records them through ``connectors.redaction``; what is shown passes through it once more (records written before
that rule need it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.connectors.redaction import redact_exchange
from hirebridge.connectors.registry import display_name
from hirebridge.core.models import Candidate
from hirebridge.db.types import iso
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
from hirebridge.hris.models import HrisConnection, HrisPush, PushState, RemoteRecord
from hirebridge.hris.push import KIND as PUSH_JOB_KIND
from hirebridge.hris.push import worker_lost_message

CANCELLED_MESSAGE = "cancelled by an operator before a worker took it"
MAX_ATTEMPTS_SHOWN = 100
WRITE_METHODS = ("POST", "PUT", "PATCH")
# Calls that are not the hire's payload: token requests and look-ups.
_NOT_PAYLOAD = re.compile(r"/(auth|token|oauth2?|reports/custom|people/search)(/|$|\?)|applicant\.onboard/meta", re.I)


@dataclass(frozen=True)
class PushSummary:
    """One push as a list shows it."""

    id: str
    state: str  # queued, running, succeeded, failed
    cancelled: bool  # failed because an operator cancelled it while queued
    system: str
    system_name: str
    connection_id: str
    connection_name: str
    candidate_id: str
    candidate_name: str
    application_id: str
    operation: str | None  # create, update, adopt
    remote_id: str | None
    attempts: int
    message: str | None  # the HRIS's message, why it waits, or "worker lost, will be retried at ..."
    outcome_unknown: bool
    requested_by: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "cancelled": self.cancelled,
            "system": self.system,
            "systemName": self.system_name,
            "hrisConnectionId": self.connection_id,
            "connectionName": self.connection_name,
            "candidateId": self.candidate_id,
            "candidateName": self.candidate_name,
            "applicationId": self.application_id,
            "operation": self.operation,
            "remoteId": self.remote_id,
            "attempts": self.attempts,
            "message": self.message,
            "outcomeUnknown": self.outcome_unknown,
            "requestedBy": self.requested_by,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "finishedAt": iso(self.finished_at),
        }


@dataclass(frozen=True)
class JobInfo:
    id: str
    state: str  # pending, running, succeeded, failed, cancelled
    attempts: int  # spent attempts (waits excluded)
    waits: int
    max_attempts: int
    next_attempt_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class AttemptInfo:
    number: int
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    outcome: str | None  # succeeded, retry, rejected, auth, unknown, waited, interrupted; None while running
    http_status: int | None
    message: str | None  # the HRIS's message
    worker: str
    exchanges: list[dict[str, Any]] = field(default_factory=list)  # redacted


@dataclass(frozen=True)
class PushDetail:
    push: PushSummary
    jobs: list[JobInfo]
    attempts: list[AttemptInfo]  # oldest first
    payload: dict[str, Any] | None  # {"method", "url", "status", "body", "attempt"}: the last write sent, redacted
    remote_id: str | None  # the HRIS's record of this candidate on this connection (now)
    remote_kind: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            **self.push.as_json(),
            "jobs": [
                {
                    "id": j.id,
                    "state": j.state,
                    "attempts": j.attempts,
                    "waits": j.waits,
                    "maxAttempts": j.max_attempts,
                    "nextAttemptAt": iso(j.next_attempt_at),
                    "leaseOwner": j.lease_owner,
                    "leaseExpiresAt": iso(j.lease_expires_at),
                    "lastError": j.last_error,
                }
                for j in self.jobs
            ],
            "attemptLog": [
                {
                    "number": a.number,
                    "startedAt": iso(a.started_at),
                    "finishedAt": iso(a.finished_at),
                    "durationMs": a.duration_ms,
                    "outcome": a.outcome,
                    "httpStatus": a.http_status,
                    "message": a.message,
                    "worker": a.worker,
                    "exchanges": a.exchanges,
                }
                for a in self.attempts
            ],
            "payloadSent": self.payload,
            "remoteRecord": {"remoteId": self.remote_id, "kind": self.remote_kind} if self.remote_id else None,
        }


def read_detail(session: Session, push: HrisPush, summary: PushSummary) -> PushDetail:
    jobs = list(
        session.scalars(
            select(DeliveryJob)
            .where(DeliveryJob.subject_id == push.id, DeliveryJob.kind == PUSH_JOB_KIND)
            .order_by(DeliveryJob.created_at)
        )
    )
    rows = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.job_id.in_([j.id for j in jobs]))
        .order_by(DeliveryAttempt.started_at.desc(), DeliveryAttempt.number.desc())
        .limit(MAX_ATTEMPTS_SHOWN)
    ).all()
    attempts = [_attempt(a) for a in reversed(rows)]
    remote = session.scalars(
        select(RemoteRecord).where(
            RemoteRecord.connection_id == push.connection_id, RemoteRecord.candidate_id == push.candidate_id
        )
    ).first()
    return PushDetail(
        push=summary,
        jobs=[_job(j) for j in jobs],
        attempts=attempts,
        payload=_payload_sent(attempts),
        remote_id=remote.remote_id if remote is not None else push.remote_id,
        remote_kind=remote.remote_kind if remote is not None else None,
    )


def _job(job: DeliveryJob) -> JobInfo:
    return JobInfo(
        id=job.id,
        state=job.state.value,
        attempts=job.attempts - job.waits,
        waits=job.waits,
        max_attempts=job.max_attempts,
        next_attempt_at=job.next_attempt_at if job.state.value == "pending" else None,
        lease_owner=job.lease_owner,
        lease_expires_at=job.lease_expires_at,
        last_error=job.last_error,
    )


def _attempt(attempt: DeliveryAttempt) -> AttemptInfo:
    duration = None
    if attempt.finished_at is not None:
        duration = round((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
    return AttemptInfo(
        number=attempt.number,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        duration_ms=duration,
        outcome=attempt.outcome,
        http_status=attempt.http_status,
        message=attempt.message,
        worker=attempt.worker,
        exchanges=[redact_exchange(e) for e in attempt.exchanges or [] if isinstance(e, dict)],
    )


def _payload_sent(attempts: list[AttemptInfo]) -> dict[str, Any] | None:
    for attempt in reversed(attempts):
        for exchange in reversed(attempt.exchanges):
            method = str(exchange.get("method") or "").upper()
            url = str(exchange.get("url") or "")
            if method in WRITE_METHODS and not _NOT_PAYLOAD.search(urlsplit(url).path):
                return {
                    "method": method,
                    "url": url,
                    "status": exchange.get("status"),
                    "body": _parsed(exchange.get("request_body")),
                    "attempt": attempt.number,
                }
    return None


def _parsed(body: Any) -> Any:
    if not isinstance(body, str):
        return body
    try:
        return json.loads(body)
    except ValueError:
        return body


def summarize(session: Session, push: HrisPush, connection: HrisConnection, person: Candidate) -> PushSummary:
    """One push as a list shows it."""
    cancelled = push.state == PushState.FAILED and push.error_message == CANCELLED_MESSAGE
    return PushSummary(
        id=push.id,
        state=PushState(push.state).value,
        cancelled=cancelled,
        system=connection.system,
        system_name=display_name(connection.system),
        connection_id=connection.id,
        connection_name=connection.name,
        candidate_id=person.id,
        candidate_name=person.name,
        application_id=push.application_id,
        operation=push.operation,
        remote_id=push.remote_id,
        attempts=push.attempts,
        message=worker_lost_message(session, push) or push.error_message,
        outcome_unknown=push.outcome_unknown,
        requested_by=push.requested_by,
        created_at=push.created_at,
        updated_at=push.updated_at,
        finished_at=push.finished_at,
    )
