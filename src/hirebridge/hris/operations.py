"""What an operator does to pushes (the console and ``hirebridge pushes``): list, read, retry and cancel them.

Plain functions over a SQLAlchemy ``Session``, scoped to one organization: a push of another organization, or an
unknown id, is ``NotFound``, exactly as if it did not exist. They write in the caller's transaction and never commit.

- ``retry_push`` starts a new push for a failed one by the path ``hrisPush.retry`` and ``candidate.pushToHris`` take
  (``ats.pushes``: same preconditions, the ``uq_hris_pushes_active`` index joins a push already active), so an
  operator's retry can never make a second push of a hire run beside another.
- ``cancel_push`` stops a queued push before a worker claims it. The claim and the cancel race for the job's row: the
  cancel is one conditional ``UPDATE ... WHERE state = 'pending'``, so exactly one of them wins (PostgreSQL re-reads
  the row the claim locked; SQLite has one writer). A cancelled push is ``failed`` with the message
  ``CANCELLED_MESSAGE`` (its job ``cancelled``), so it can be retried like any failed push.
- ``retry_failed_for_connection`` retries, one transaction each, every hire whose latest push on a connection failed.
- ``test_connection`` (``hris.connection_check``) makes one harmless authenticated call to the HRIS.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, CursorResult, Update, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from hirebridge.core.models import Candidate
from hirebridge.db.types import utcnow
from hirebridge.delivery.handlers import load_handler_modules
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.errors import AppError, BusinessRuleViolation, FieldError, NotFound, ValidationFailed
from hirebridge.hris import events, start
from hirebridge.hris.connection_check import ConnectionTest, last_test, test_connection
from hirebridge.hris.models import HrisConnection, HrisPush, PushState
from hirebridge.hris.push import KIND as PUSH_JOB_KIND
from hirebridge.hris.push_detail import (
    CANCELLED_MESSAGE,
    AttemptInfo,
    JobInfo,
    PushDetail,
    PushSummary,
    read_detail,
    summarize,
)
from hirebridge.orgs.service import get_organization
from hirebridge.runtime import Runtime

__all__ = [
    "CANCELLED_MESSAGE",
    "AttemptInfo",
    "BulkRetry",
    "ConnectionTest",
    "JobInfo",
    "PushDetail",
    "PushPage",
    "PushSummary",
    "cancel_push",
    "get_push",
    "last_test",
    "list_pushes",
    "retry_failed_for_connection",
    "retry_push",
    "test_connection",
]

MAX_LIMIT = 200
MAX_CANDIDATE_QUERY_CHARS = 255
OPERATOR = "operator"


@dataclass(frozen=True)
class PushPage:
    items: list[PushSummary]
    next_cursor: str | None  # pass as ``cursor`` for the next (older) page; None on the last page


@dataclass(frozen=True)
class BulkRetry:
    """What ``retry_failed_for_connection`` did: new push ids, and the pushes it could not retry with the reason."""

    retried: list[tuple[str, str]]  # (failed push id, new push id)
    refused: list[tuple[str, str]]  # (failed push id, reason)

    @property
    def total(self) -> int:
        return len(self.retried) + len(self.refused)


def list_pushes(
    session: Session,
    organization_id: str,
    *,
    state: str | None = None,
    hris: str | None = None,
    connection_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    candidate: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> PushPage:
    """The organization's pushes, newest first, keyset-paginated on (created, id).

    ``state``: queued, running, succeeded, failed; ``hris``: the system slug (bamboohr...); ``since``/``until``:
    created at or after / before; ``candidate``: a candidate id, or text found in the candidate's name or email.
    Bad values raise ValidationFailed naming the field."""
    get_organization(session, organization_id)
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    query = (
        select(HrisPush, HrisConnection, Candidate)
        .join(HrisConnection, HrisConnection.id == HrisPush.connection_id)
        .join(Candidate, Candidate.id == HrisPush.candidate_id)
        .where(HrisPush.organization_id == organization_id)
    )
    if state is not None:
        try:
            query = query.where(HrisPush.state == PushState(state))
        except ValueError:
            raise _invalid("state", f"must be one of {', '.join(s.value for s in PushState)}") from None
    if hris is not None:
        query = query.where(HrisConnection.system == hris.strip().lower())
    if connection_id is not None:
        if not _is_uuid(connection_id):
            raise _invalid("connection_id", "must be a connection id (a UUID)")
        query = query.where(HrisPush.connection_id == connection_id)
    if since is not None:
        query = query.where(HrisPush.created_at >= since)
    if until is not None:
        query = query.where(HrisPush.created_at < until)
    if candidate is not None and candidate.strip():
        query = query.where(_candidate_matches(candidate.strip()))
    if cursor:
        created, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(HrisPush.created_at < created, and_(HrisPush.created_at == created, HrisPush.id < last_id))
        )
    rows = session.execute(query.order_by(HrisPush.created_at.desc(), HrisPush.id.desc()).limit(limit + 1)).all()
    items = [summarize(session, push, connection, person) for push, connection, person in rows[:limit]]
    more = len(rows) > limit
    return PushPage(items, _encode_cursor(items[-1]) if more and items else None)


def get_push(session: Session, organization_id: str, push_id: str) -> PushDetail:
    """The push, its job(s), every attempt with the HRIS's status and message, the payload it sent (redacted), the
    remote record id. A malformed id is not found either."""
    push = _owned_push(session, organization_id, push_id)
    return read_detail(session, push, summary(session, push))


def summary(session: Session, push: HrisPush) -> PushSummary:
    connection = session.get(HrisConnection, push.connection_id)
    person = session.get(Candidate, push.candidate_id)
    assert connection is not None  # the push's foreign keys cascade from both
    assert person is not None
    return summarize(session, push, connection, person)


def retry_push(session: Session, organization_id: str, push_id: str, *, requested_by: str = OPERATOR) -> PushSummary:
    """A new push for a failed (or dead-lettered, or cancelled) push's hire and connection, queued in the caller's
    transaction; a push of that hire already active is joined instead. The failed push stays as it was. Refused
    (``hris_push_superseded``) when the hire was pushed to that HRIS again after it: retry the latest push instead."""
    failed = _owned_push(session, organization_id, push_id)
    if failed.state != PushState.FAILED:
        hint = (
            "push the candidate again to update the record"
            if failed.state == PushState.SUCCEEDED
            else "it is still in progress"
        )
        raise BusinessRuleViolation(
            "hris_push_not_retryable", f"Only a failed push can be retried; this one is {failed.state}: {hint}."
        )
    newer = session.scalars(
        select(HrisPush)
        .where(
            HrisPush.application_id == failed.application_id,
            HrisPush.connection_id == failed.connection_id,
            HrisPush.created_at > failed.created_at,
        )
        .order_by(HrisPush.created_at.desc())
        .limit(1)
    ).first()
    if newer is not None:
        raise BusinessRuleViolation(
            "hris_push_superseded",
            f"This hire was pushed to this HRIS again since: push {newer.id} ({newer.state}); "
            + ("retry that one." if newer.state == PushState.FAILED else "there is nothing to retry here."),
            meta={"newerPushId": newer.id},
        )
    connection = session.get(HrisConnection, failed.connection_id)
    assert connection is not None
    # hrisPush.retry's own checks and start (hris.start): the beta flag, the application, the preconditions, and
    # the insert that joins a push of this hire already active (uq_hris_pushes_active).
    facts = start.read_facts(session, organization_id, failed.application_id, connection.system)
    if not connection.is_enabled:
        raise start.disabled_error(connection)
    started = start.start_push(session, facts, connection, requested_by)
    session.flush()
    return summary(session, session.get_one(HrisPush, started.id))


def cancel_push(session: Session, organization_id: str, push_id: str, *, runtime: Runtime) -> PushSummary:
    """Cancel a queued push that no worker holds; refused (``hris_push_not_cancellable``) for any other. The push
    becomes failed with ``CANCELLED_MESSAGE`` and the ATS's ``pushToHRIS`` webhook is sent (``runtime`` signs it)."""
    push = _owned_push(session, organization_id, push_id)
    if push.state != PushState.QUEUED:
        raise _not_cancellable(push.state.value)
    now = utcnow()
    # The race with a worker's claim is decided here, on the job's row (see the module docstring).
    claimed_first = (
        _rowcount(
            session,
            update(DeliveryJob)
            .where(
                DeliveryJob.subject_id == push.id,
                DeliveryJob.kind == PUSH_JOB_KIND,
                DeliveryJob.state == JobState.PENDING,
            )
            .values(state=JobState.CANCELLED, last_error=CANCELLED_MESSAGE, finished_at=now, updated_at=now),
        )
        == 0
    )
    if claimed_first:
        raise _not_cancellable("running: a worker has just taken it")
    changed = _rowcount(
        session,
        update(HrisPush)
        .where(HrisPush.id == push.id, HrisPush.state == PushState.QUEUED)
        .values(state=PushState.FAILED, error_message=CANCELLED_MESSAGE, finished_at=now, updated_at=now),
    )
    if changed != 1:  # cannot happen while its job was pending; never leave the two disagreeing
        raise _not_cancellable("changing state")
    session.expire(push)
    load_handler_modules()  # the subscribers (the ATS's pushToHRIS webhook) in this process too, a CLI's included
    events.push_finished(runtime, session, organization_id, push.id)
    return summary(session, push)


ProgressCallback = Callable[[int, int, str, str | None], object]
"""``progress(done, total, failed_push_id, error)``: called after each push; ``error`` is None when it was retried."""


def retry_failed_for_connection(
    session_factory: sessionmaker[Session],
    organization_id: str,
    connection_id: str,
    *,
    progress: ProgressCallback | None = None,
    requested_by: str = OPERATOR,
) -> BulkRetry:
    """Retry every hire whose latest push on this connection failed, each in its own transaction (one refusal does
    not stop the others). A hire pushed again since its failure (queued, running or succeeded) is left alone."""
    with session_factory() as session:
        get_organization(session, organization_id)
        connection = session.get(HrisConnection, connection_id) if _is_uuid(connection_id) else None
        if connection is None or connection.organization_id != organization_id:
            raise NotFound("HRIS connection not found.", code="hris_connection_not_found")
        latest = (
            select(HrisPush.application_id, func.max(HrisPush.created_at).label("created"))
            .where(HrisPush.connection_id == connection_id)
            .group_by(HrisPush.application_id)
            .subquery()
        )
        failed_ids = list(
            session.scalars(
                select(HrisPush.id)
                .join(
                    latest,
                    and_(HrisPush.application_id == latest.c.application_id, HrisPush.created_at == latest.c.created),
                )
                .where(HrisPush.connection_id == connection_id, HrisPush.state == PushState.FAILED)
                .order_by(HrisPush.created_at, HrisPush.id)
            )
        )
    retried: list[tuple[str, str]] = []
    refused: list[tuple[str, str]] = []
    for done, failed_id in enumerate(failed_ids, start=1):
        error: str | None = None
        try:
            with session_factory() as session, session.begin():
                new = retry_push(session, organization_id, failed_id, requested_by=requested_by)
            retried.append((failed_id, new.id))
        except AppError as exc:
            error = exc.message
            refused.append((failed_id, error))
        if progress is not None:
            progress(done, len(failed_ids), failed_id, error)
    return BulkRetry(retried, refused)


def _rowcount(session: Session, statement: Update) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)


def _owned_push(session: Session, organization_id: str, push_id: str) -> HrisPush:
    push = session.get(HrisPush, push_id) if _is_uuid(push_id) else None
    if push is None or push.organization_id != organization_id:
        raise NotFound("HRIS push not found.", code="hris_push_not_found")
    return push


def _not_cancellable(state: str) -> AppError:
    return BusinessRuleViolation(
        "hris_push_not_cancellable", f"Only a queued push that no worker holds can be cancelled; this one is {state}."
    )


def _candidate_matches(text: str) -> Any:
    if len(text) > MAX_CANDIDATE_QUERY_CHARS:
        raise _invalid("candidate", f"must be at most {MAX_CANDIDATE_QUERY_CHARS} characters")
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    full_name = func.lower(func.coalesce(Candidate.first_name, "") + " " + func.coalesce(Candidate.last_name, ""))
    matches: list[ColumnElement[bool]] = [
        func.lower(func.coalesce(Candidate.email, "")).like(pattern, escape="\\"),
        full_name.like(pattern, escape="\\"),
    ]
    if _is_uuid(text):
        matches.append(HrisPush.candidate_id == str(UUID(text)))
    return or_(*matches)


def _is_uuid(text: str) -> bool:
    try:
        UUID(text)
    except ValueError:
        return False
    return True


def _encode_cursor(last: PushSummary) -> str:
    raw = json.dumps([last.created_at.isoformat(), last.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, last_id = json.loads(raw)
        return datetime.fromisoformat(created), str(UUID(last_id))
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise _invalid("cursor", "is not a cursor this listing gave") from None


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, reason)])
