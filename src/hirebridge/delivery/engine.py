"""Enqueue, claim, run and finish jobs: the durable delivery engine.

- ``enqueue`` adds a job inside the caller's transaction, so the job commits (or not) with the caller's records.
  It wakes idle workers once that transaction commits (``delivery.wakeup``: in-process, and PostgreSQL NOTIFY).
- ``claim`` takes one due job with a lease: a pending job whose time has come, or a running job whose lease
  expired or whose worker process stopped beating (``delivery.heartbeat``): its worker died, and the job is
  reclaimed with ``interrupted=True``. PostgreSQL skips rows other workers
  hold (``FOR UPDATE SKIP LOCKED``); SQLite has one writer (``BEGIN IMMEDIATE``), which makes the claim atomic.
  The claim's transaction also beats the worker's process row and runs the kind's ``prepare`` (a push reads its
  plan, commits its write-ahead record and takes its rate-limit slot there). With nothing due, ``claim_next`` says
  when the next pending job will be, from the same statement.
- ``execute`` runs the handler outside any transaction and records the outcome in one fenced transaction (for a
  success, the job's own UPDATE is the fence):
  succeeded; pending again after a backoff (never sooner than Retry-After); pending again after a ``Wait``, which
  spends no attempt; or failed (given up, or dead-lettered after ``max_attempts`` spent attempts) with the
  destination's own message, calling the kind's ``on_give_up`` in that same transaction. Every attempt is kept with
  its exchanges; a wait is kept (outcome ``waited``) only when it made calls.

Spent attempts are ``attempts - waits``: ``attempts`` counts claims (the lease's fence token, never reused), and
only a failure (``RetryLater``, an interrupted attempt) spends one; the exponential backoff grows with spent
attempts only and is capped by ``HIREBRIDGE_RETRY_BACKOFF_CAP_SECONDS``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import hirebridge.db.models  # noqa: F401  (every mapper, so foreign keys resolve in a worker-only process)
from hirebridge.db.types import new_id, utcnow
from hirebridge.delivery.backoff import Backoff, next_delay
from hirebridge.delivery.handlers import (
    Done,
    JobContext,
    Outcome,
    RetryLater,
    Wait,
    get_handler,
    outcome_for_exception,
)
from hirebridge.delivery.heartbeat import (
    TAKEOVER_AFTER_SECONDS,
    beat_owner,
    beaten,
    last_beat,
    owner_silent_since,
    process_of,
)
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.models import ACTIVE_JOB_STATES, DeliveryAttempt, DeliveryJob, JobState
from hirebridge.delivery.wakeup import notify_on_commit
from hirebridge.delivery.wakeup import wake_workers as wake_workers  # re-exported: callers wake through the engine
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 2000
MAX_EXCHANGES = 20
MAX_EXCHANGE_BODY_CHARS = 4000
INTERRUPTED_MESSAGE = (
    "the worker stopped during this attempt (its process stopped beating, or its lease expired); the outcome is unknown"
)
# Re-checks a job may make without spending an attempt; past this, each wait spends one (nothing loops forever).
MAX_WAITS = 300
MIN_WAIT_SECONDS = 0.1
MAX_WAIT_SECONDS = 300.0
CLAIM_BEATS_AFTER_SECONDS = 1.0  # a claim beats the process's row itself when no beat committed for this long


def enqueue(
    session: Session,
    *,
    kind: str,
    organization_id: str,
    payload: dict[str, Any],
    subject_id: str | None = None,
    dedupe_key: str | None = None,
    rate_key: str | None = None,
    max_attempts: int = 10,
    run_at: datetime | None = None,
    backoff: Backoff | None = None,
) -> DeliveryJob:
    """Add a job in the caller's transaction; it runs once that transaction commits.

    With a ``dedupe_key``, at most one job per key is active (pending or running): enqueueing again while one is
    active returns that job instead of adding another.
    """
    if not 1 <= max_attempts <= 100:
        raise ValueError("max_attempts must be between 1 and 100")
    if dedupe_key is not None:
        existing = _active_with_key(session, dedupe_key)
        if existing is not None:
            return existing
    job = DeliveryJob(
        organization_id=organization_id,
        kind=kind,
        subject_id=subject_id,
        dedupe_key=dedupe_key,
        rate_key=rate_key,
        payload=payload,
        state=JobState.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=run_at or utcnow(),
        backoff=(backoff or Backoff()).to_json(),
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        # Another transaction enqueued the same key between our look-up and our insert.
        existing = _active_with_key(session, dedupe_key) if dedupe_key is not None else None
        if existing is None:
            raise
        return existing
    notify_on_commit(session)
    return job


def _active_with_key(session: Session, dedupe_key: str) -> DeliveryJob | None:
    return session.scalars(
        select(DeliveryJob).where(DeliveryJob.dedupe_key == dedupe_key, DeliveryJob.state.in_(ACTIVE_JOB_STATES))
    ).first()


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
        handler.on_give_up(ctx, session, _bounded(message))
    _mark_failed(job, message, now)
    log.warning("job %s (%s) dead-lettered: every attempt was interrupted", job.id, job.kind)


def _mark_failed(job: DeliveryJob, message: str, now: datetime) -> None:
    job.state = JobState.FAILED
    job.last_error = _bounded(message)
    job.finished_at = now
    job.lease_owner = None
    job.lease_expires_at = None


def execute(ctx: JobContext) -> Outcome | None:
    """Run a claimed job's handler and record the outcome. None when the lease was lost (nothing recorded)."""
    handler = get_handler(ctx.kind)
    outcome: Outcome
    if handler is None:
        outcome = RetryLater(f"no handler for job kind {ctx.kind!r} in this worker", label="error")
    elif ctx.prepared_outcome is not None:
        outcome = ctx.prepared_outcome
    else:
        try:
            outcome = handler.run(ctx)
        except LeaseLost:
            log.warning(
                "job %s (%s) attempt %d: lease lost; another worker has it", ctx.job_id, ctx.kind, ctx.attempt_number
            )
            return None
        except Exception as exc:
            outcome = outcome_for_exception(ctx, exc)
    try:
        _finish(ctx, outcome)
    except LeaseLost:
        log.warning(
            "job %s (%s) attempt %d: lease lost before its outcome was recorded",
            ctx.job_id,
            ctx.kind,
            ctx.attempt_number,
        )
        return None
    except Exception as exc:
        if not (isinstance(outcome, Done) and outcome.record is not None):
            raise
        # The handler's own writes failed (everything rolled back): that is this attempt's outcome instead.
        outcome = outcome_for_exception(ctx, exc)
        try:
            _finish(ctx, outcome)
        except LeaseLost:
            return None
    return outcome


def _finish(ctx: JobContext, outcome: Outcome) -> None:
    if isinstance(outcome, Done):
        _succeed(ctx, outcome)
        return
    handler = get_handler(ctx.kind)
    with ctx.fenced() as session:
        now = utcnow()
        job = session.get(DeliveryJob, ctx.job_id)
        attempt = session.get(DeliveryAttempt, ctx.attempt_id)
        # The fence has just seen the job, and its attempts are deleted only with it.
        assert job is not None
        assert attempt is not None
        if isinstance(outcome, Wait):
            if job.waits < MAX_WAITS:
                _record_wait(session, job, attempt, ctx, outcome, now)
                return
            outcome = RetryLater(
                f"{outcome.reason} (still so after {MAX_WAITS} re-checks)",
                retry_after=outcome.seconds,
                http_status=outcome.http_status,
            )
        attempt.finished_at = now
        attempt.exchanges = _bounded_exchanges(ctx.exchanges)
        attempt.http_status = outcome.http_status
        attempt.outcome = outcome.label
        attempt.message = _bounded(outcome.message)
        spent = job.attempts - job.waits
        if isinstance(outcome, RetryLater) and spent < job.max_attempts:
            delay = next_delay(_capped(ctx, Backoff.from_json(job.backoff)), spent, outcome.retry_after)
            job.state = JobState.PENDING
            job.next_attempt_at = now + timedelta(seconds=delay)
            job.last_error = _bounded(outcome.message)
            job.lease_owner = None
            job.lease_expires_at = None
            return
        # Given up, or out of attempts (dead letter): failed with the destination's own last message.
        _mark_failed(job, outcome.message, now)
        if handler is not None and handler.on_give_up is not None:
            handler.on_give_up(ctx, session, _bounded(outcome.message))


_SUCCEED_JOB = (
    update(_jobs)
    .where(
        _jobs.c.id == bindparam("job_id"),
        _jobs.c.lease_owner == bindparam("owner"),
        _jobs.c.attempts == bindparam("attempt"),
        _jobs.c.state == JobState.RUNNING,
    )
    .values(
        state=JobState.SUCCEEDED,
        last_error=None,
        finished_at=bindparam("now"),
        lease_owner=None,
        lease_expires_at=None,
        updated_at=bindparam("now"),
    )
)
_SUCCEED_ATTEMPT = (
    update(_attempts)
    .where(_attempts.c.id == bindparam("attempt_id"))
    .values(
        finished_at=bindparam("now"),
        exchanges=bindparam("v_exchanges", type_=_attempts.c.exchanges.type),
        http_status=bindparam("v_status"),
        outcome="succeeded",
        message=bindparam("v_message"),
    )
)


def _succeed(ctx: JobContext, outcome: Done) -> None:
    """The common case in one transaction: the job's success is its fence (the UPDATE matches only while this
    worker holds the lease, and locks the row), then the handler's own writes and the attempt's record."""
    if ctx.lease_lost:
        raise LeaseLost(ctx.job_id)
    try:
        with ctx.runtime.transaction() as session:
            now = utcnow()
            result = cast(
                CursorResult[Any],
                session.execute(
                    _SUCCEED_JOB,
                    {"job_id": ctx.job_id, "owner": ctx.worker_id, "attempt": ctx.attempt_number, "now": now},
                ),
            )
            if result.rowcount != 1:
                raise LeaseLost(ctx.job_id)
            if outcome.record is not None:
                outcome.record(session)
            session.execute(
                _SUCCEED_ATTEMPT,
                {
                    "attempt_id": ctx.attempt_id,
                    "now": now,
                    "v_exchanges": _bounded_exchanges(ctx.exchanges),
                    "v_status": outcome.http_status,
                    "v_message": _bounded(outcome.detail) if outcome.detail else None,
                },
            )
    except LeaseLost:
        ctx.mark_lease_lost()
        raise


def _record_wait(
    session: Session, job: DeliveryJob, attempt: DeliveryAttempt, ctx: JobContext, wait: Wait, now: datetime
) -> None:
    """Pending again after the wait, with nothing spent: no attempt, no backoff step, ``last_error`` kept."""
    job.waits += 1
    job.state = JobState.PENDING
    job.next_attempt_at = now + timedelta(seconds=min(max(wait.seconds, MIN_WAIT_SECONDS), MAX_WAIT_SECONDS))
    job.lease_owner = None
    job.lease_expires_at = None
    if ctx.exchanges:  # the calls it made (a throttled request, a look-up) stay in the log
        attempt.finished_at = now
        attempt.exchanges = _bounded_exchanges(ctx.exchanges)
        attempt.http_status = wait.http_status
        attempt.outcome = "waited"
        attempt.message = _bounded(wait.reason)
    else:
        session.delete(attempt)


def _capped(ctx: JobContext, backoff: Backoff) -> Backoff:
    """The exponential schedule under the service's cap (a hire someone is waiting for); Ashby's schedule as is."""
    if backoff.kind != "exponential":
        return backoff
    cap = min(backoff.cap_seconds, ctx.runtime.settings.retry_backoff_cap_seconds)
    return Backoff(kind=backoff.kind, base_seconds=backoff.base_seconds, cap_seconds=cap)


def _bounded(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def _bounded_exchanges(exchanges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept = exchanges[-MAX_EXCHANGES:]
    bounded = []
    for exchange in kept:
        item = dict(exchange)
        for key in ("request_body", "response_body"):
            value = item.get(key)
            if isinstance(value, str) and len(value) > MAX_EXCHANGE_BODY_CHARS:
                item[key] = value[:MAX_EXCHANGE_BODY_CHARS] + "…"
        bounded.append(item)
    return bounded
