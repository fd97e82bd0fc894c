"""How an HRIS push reads in the ATS API: ``push_json`` (``hrisPush.info``, ``hrisPush.list``, webhooks, and the
answer of ``candidate.pushToHris``), its attempt log, and the keyset-paginated list. Split from ``ats.pushes``,
which re-exports these names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hirebridge.ats.serializers import iso
from hirebridge.connectors.registry import display_name
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
from hirebridge.errors import NotFound
from hirebridge.hris.models import HrisConnection, HrisPush, PushState
from hirebridge.hris.push import KIND as PUSH_JOB_KIND
from hirebridge.hris.push import worker_lost_message

MAX_ATTEMPTS_SHOWN = 50


def find_push(session: Session, organization_id: str, push_id: str) -> HrisPush:
    push = session.get(HrisPush, push_id)
    if push is None or push.organization_id != organization_id:
        raise NotFound("HRIS push not found.", code="hris_push_not_found")
    return push


def get_push(session: Session, organization_id: str, push_id: str) -> HrisPush:
    return find_push(session, organization_id, push_id)


def push_json(session: Session, push: HrisPush, *, with_attempts: bool = False) -> dict[str, Any]:
    connection = session.get(HrisConnection, push.connection_id)
    body = push_body(push, connection, worker_lost_message(session, push))
    if with_attempts:
        body["attemptLog"] = attempt_log(session, push.id)
    return body


def push_body(push: HrisPush, connection: HrisConnection | None, worker_lost: str | None) -> dict[str, Any]:
    system = connection.system if connection is not None else ""
    return {
        "id": push.id,
        "applicationId": push.application_id,
        "candidateId": push.candidate_id,
        "hrisConnectionId": push.connection_id,
        "system": system,
        "systemName": display_name(system),
        "integrationPartnerId": connection.integration_partner_id if connection is not None else None,
        "state": PushState(push.state).value,
        "operation": push.operation,
        "remoteId": push.remote_id,
        "attempts": push.attempts,
        "errorMessage": worker_lost or push.error_message,
        "outcomeUnknown": push.outcome_unknown,
        "createdAt": iso(push.created_at),
        "updatedAt": iso(push.updated_at),
        "finishedAt": iso(push.finished_at),
    }


def attempt_log(session: Session, push_id: str) -> list[dict[str, Any]]:
    """Every try at the push, oldest first: the HRIS's status and message, timing, and the redacted exchanges."""
    jobs = select(DeliveryJob.id).where(DeliveryJob.subject_id == push_id, DeliveryJob.kind == PUSH_JOB_KIND)
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.job_id.in_(jobs))
        .order_by(DeliveryAttempt.started_at.desc(), DeliveryAttempt.number.desc())
        .limit(MAX_ATTEMPTS_SHOWN)
    ).all()
    log = []
    for attempt in reversed(attempts):
        duration = (
            round((attempt.finished_at - attempt.started_at).total_seconds() * 1000)
            if attempt.finished_at is not None
            else None
        )
        log.append(
            {
                "number": attempt.number,
                "startedAt": iso(attempt.started_at),
                "finishedAt": iso(attempt.finished_at),
                "durationMs": duration,
                "outcome": attempt.outcome,
                "httpStatus": attempt.http_status,
                "message": attempt.message,
                "exchanges": list(attempt.exchanges or []),
            }
        )
    return log


def list_pushes(
    session: Session,
    organization_id: str,
    *,
    application_id: str | None,
    state: PushState | None,
    limit: int,
    after: tuple[datetime, str] | None,
) -> tuple[list[HrisPush], bool]:
    """Newest first, keyset-paginated on (createdAt, id); returns the page and whether more follow."""
    query = select(HrisPush).where(HrisPush.organization_id == organization_id)
    if application_id is not None:
        query = query.where(HrisPush.application_id == application_id)
    if state is not None:
        query = query.where(HrisPush.state == state)
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(HrisPush.created_at < created, and_(HrisPush.created_at == created, HrisPush.id < last_id))
        )
    rows = list(session.scalars(query.order_by(HrisPush.created_at.desc(), HrisPush.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit
