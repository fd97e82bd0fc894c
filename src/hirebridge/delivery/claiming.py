"""Claiming a due job: the lease, the attempt's record, the process's beat and the kind's ``prepare``, in one
transaction (see ``delivery.engine`` for the whole life of a job).

A claim takes one due job with a lease: a pending job whose time has come, or a running job whose lease expired or
whose worker process stopped beating (``delivery.heartbeat``): its worker died, and the job is reclaimed with
``interrupted=True`` (dead-lettered instead when that attempt was its last). PostgreSQL skips rows other workers
hold (``FOR UPDATE SKIP LOCKED``); SQLite has one writer (``BEGIN IMMEDIATE``), which makes the claim atomic. The
statements are built once (Core, bound parameters): one SELECT finds a due job or, with nothing due, says when the
next pending job will be (``claim_next``); an UPDATE takes the lease and an INSERT opens the attempt. The kind's
``prepare`` then runs in the same transaction (a push reads its plan, commits its write-ahead record and takes its
rate-limit slot there), and the process's row is beaten last, only when its heartbeat thread has not beaten it
within ``CLAIM_BEATS_AFTER_SECONDS``: that row is shared by every thread of the process and stays locked until the
commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from hirebridge.db.types import new_id, utcnow
from hirebridge.delivery.handlers import JobContext, get_handler, outcome_for_exception
from hirebridge.delivery.heartbeat import (
    TAKEOVER_AFTER_SECONDS,
    beat_owner,
    beaten,
    last_beat,
    owner_silent_since,
    process_of,
)
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob, JobState
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
INTERRUPTED_MESSAGE = (
    "the worker stopped during this attempt (its process stopped beating, or its lease expired); the outcome is unknown"
)
CLAIM_BEATS_AFTER_SECONDS = 1.0  # a claim beats the process's row itself when no beat committed for this long


def claim(runtime: Runtime, worker_id: str, *, kinds: Collection[str], lease_seconds: float) -> JobContext | None:
    """Take one due job of the given kinds with a lease, or None when nothing is due."""
    return claim_next(runtime, worker_id, kinds=kinds, lease_seconds=lease_seconds)[0]


def claim_next(
    runtime: Runtime, worker_id: str, *, kinds: Collection[str], lease_seconds: float, prepare: bool = True
) -> tuple[JobContext | None, datetime | None]:
    """Take one due job with a lease; else (None, when the next pending job is due, or None if there is none).

    In the same transaction the worker's process row is beaten and the kind's ``prepare`` (if any, and ``prepare``)
    runs, so a push needs no transaction of its own before its first call. A prepare that fails rolls the claim back
    and the claim is made again at once without prepares.
    """
    if not kinds:
        return None, None
    try:
        return _claim(runtime, worker_id, list(kinds), lease_seconds, prepare)
    except _PrepareFailed as failed:
        log.warning("job %s (%s): preparing the attempt failed; claiming without it", failed.job_id, failed.kind)
        return _claim(runtime, worker_id, list(kinds), lease_seconds, False)


class _PrepareFailed(Exception):
    def __init__(self, job_id: str, kind: str) -> None:
        super().__init__(job_id)
        self.job_id, self.kind = job_id, kind


_jobs = cast(Table, DeliveryJob.__table__)
_attempts = cast(Table, DeliveryAttempt.__table__)
_CLAIM_COLUMNS = [
    _jobs.c[name]
    for name in (
        "id",
        "organization_id",
        "kind",
        "subject_id",
        "rate_key",
        "payload",
        "state",
        "attempts",
        "waits",
        "max_attempts",
        "next_attempt_at",
    )
]
_TAKE = (
    update(_jobs)
    .where(_jobs.c.id == bindparam("job_id"))
    .values(
        state=JobState.RUNNING,
        lease_owner=bindparam("owner"),
        lease_expires_at=bindparam("expires"),
        attempts=_jobs.c.attempts + 1,
        updated_at=bindparam("now"),
    )
)
_OPEN_ATTEMPT = insert(_attempts).values(
    id=bindparam("v_id"),
    job_id=bindparam("v_job"),
    number=bindparam("v_number"),
    worker=bindparam("v_worker"),
    started_at=bindparam("v_now"),
    exchanges=bindparam("v_exchanges", type_=_attempts.c.exchanges.type),
)


def _candidates(postgres: bool) -> Select[Any]:
    """Every pending job, due or not, beside the running jobs that may be taken over, ordered by next_attempt_at:
    the first row is due if any is (a running job became due when it was claimed), and otherwise it says when the
    next one will be, in the same statement. Built once per dialect; ``kinds``, ``now`` and ``lost_before``
    (``now - TAKEOVER_AFTER_SECONDS``) are bound at each claim."""
    now = bindparam("now", type_=_jobs.c.next_attempt_at.type)
    query = (
        select(*_CLAIM_COLUMNS)
        .where(
            _jobs.c.kind.in_(bindparam("kinds", expanding=True)),
            or_(
                _jobs.c.state == JobState.PENDING,
                and_(_jobs.c.state == JobState.RUNNING, _jobs.c.lease_expires_at < now),
                and_(
                    _jobs.c.state == JobState.RUNNING,
                    owner_silent_since(bindparam("lost_before", type_=_jobs.c.next_attempt_at.type)),
                ),
            ),
        )
        .order_by(_jobs.c.next_attempt_at)
        .limit(1)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


_CANDIDATES = {True: _candidates(True), False: _candidates(False)}


def _claim(
    runtime: Runtime, worker_id: str, kinds: list[str], lease_seconds: float, prepare: bool
) -> tuple[JobContext | None, datetime | None]:
    verified_at = time.monotonic()
    process = process_of(worker_id)
    with runtime.transaction() as session:
        ctx, due = _claim_in(session, runtime, worker_id, kinds, lease_seconds, prepare, verified_at)
        # The process's row is beaten last (it is one hot row for every thread of the process, locked until the
        # commit), and only when the heartbeat thread has not done it within the last second.
        beats = ctx is not None and verified_at - last_beat(process) > CLAIM_BEATS_AFTER_SECONDS
        if beats:
            beat_owner(session, worker_id)
    if beats:
        beaten(process, verified_at)
    return ctx, due


def _claim_in(
    session: Session,
    runtime: Runtime,
    worker_id: str,
    kinds: list[str],
    lease_seconds: float,
    prepare: bool,
    verified_at: float,
) -> tuple[JobContext | None, datetime | None]:
    postgres = session.get_bind().dialect.name == "postgresql"
    while True:
        now = utcnow()
        lost_before = now - timedelta(seconds=TAKEOVER_AFTER_SECONDS)
        row = session.execute(_CANDIDATES[postgres], {"kinds": kinds, "now": now, "lost_before": lost_before}).first()
        if row is None:
            return None, None
        if row.state == JobState.PENDING and row.next_attempt_at > now:
            return None, row.next_attempt_at
        interrupted = row.state == JobState.RUNNING
        if interrupted and _reclaim_exhausted(runtime, session, row.id, now, lease_seconds):
            continue
        attempt_id = new_id()
        session.execute(
            _TAKE,
            {"job_id": row.id, "owner": worker_id, "expires": now + timedelta(seconds=lease_seconds), "now": now},
        )
        number = row.attempts + 1
        session.execute(
            _OPEN_ATTEMPT,
            {"v_id": attempt_id, "v_job": row.id, "v_number": number, "v_worker": worker_id, "v_now": now}
            | {"v_exchanges": []},
        )
        ctx = JobContext(
            runtime=runtime,
            job_id=row.id,
            organization_id=row.organization_id,
            kind=row.kind,
            payload=dict(row.payload or {}),
            attempt_number=number,
            max_attempts=row.max_attempts,
            worker_id=worker_id,
            interrupted=interrupted,
            lease_seconds=lease_seconds,
            attempt_id=attempt_id,
            subject_id=row.subject_id,
            rate_key=row.rate_key,
            waits=row.waits,
            verified_at=verified_at,
        )
        handler = get_handler(row.kind) if prepare else None
        if handler is not None and handler.prepare is not None:
            try:
                ctx.prepared_outcome = handler.prepare(ctx, session)
            except Exception as exc:
                outcome_for_exception(ctx, exc)  # logs it
                raise _PrepareFailed(row.id, row.kind) from exc
        return ctx, None


def _reclaim_exhausted(runtime: Runtime, session: Session, job_id: str, now: datetime, lease_seconds: float) -> bool:
    """Close the attempt of a worker that stopped; True when that was the job's last (it is dead-lettered)."""
    job = session.get(DeliveryJob, job_id)
    assert job is not None
    previous_id = _close_interrupted_attempt(session, job, now)
    if job.attempts - job.waits < job.max_attempts:
        session.flush()
        return False
    _dead_letter_interrupted(runtime, session, job, previous_id, now, lease_seconds)
    session.flush()
    return True


def _context(
    runtime: Runtime,
    job: DeliveryJob,
    attempt_id: str,
    worker_id: str,
    interrupted: bool,
    lease_seconds: float,
) -> JobContext:
    return JobContext(
        runtime=runtime,
        job_id=job.id,
        organization_id=job.organization_id,
        kind=job.kind,
        payload=dict(job.payload or {}),
        attempt_number=job.attempts,
        max_attempts=job.max_attempts,
        worker_id=worker_id,
        interrupted=interrupted,
        lease_seconds=lease_seconds,
        attempt_id=attempt_id,
        subject_id=job.subject_id,
        rate_key=job.rate_key,
        waits=job.waits,
    )


def _close_interrupted_attempt(session: Session, job: DeliveryJob, now: datetime) -> str:
    previous = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.job_id == job.id, DeliveryAttempt.number == job.attempts)
    ).first()
    if previous is None:
        return ""
    if previous.finished_at is None:
        previous.finished_at = now
        previous.outcome = "interrupted"
        previous.message = INTERRUPTED_MESSAGE
    return previous.id


def _dead_letter_interrupted(
    runtime: Runtime, session: Session, job: DeliveryJob, attempt_id: str, now: datetime, lease_seconds: float
) -> None:
    """A job whose every attempt was interrupted (a handler that kills its worker) must not loop forever."""
    message = f"gave up after {job.attempts - job.waits} attempts: {job.last_error or INTERRUPTED_MESSAGE}"
    handler = get_handler(job.kind)
    if handler is not None and handler.on_give_up is not None:
        ctx = _context(runtime, job, attempt_id, job.lease_owner or "-", True, lease_seconds)
        handler.on_give_up(ctx, session, bounded(message))
    mark_failed(job, message, now)
    log.warning("job %s (%s) dead-lettered: every attempt was interrupted", job.id, job.kind)


def mark_failed(job: DeliveryJob, message: str, now: datetime) -> None:
    job.state = JobState.FAILED
    job.last_error = bounded(message)
    job.finished_at = now
    job.lease_owner = None
    job.lease_expires_at = None


def bounded(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"
