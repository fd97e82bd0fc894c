"""Enqueue, claim, run and finish jobs: the durable delivery engine.

- ``enqueue`` adds a job inside the caller's transaction, so the job commits (or not) with the caller's records.
- ``claim`` takes one due job with a lease: a pending job whose time has come, or a running job whose lease
  expired or whose worker process stopped beating (``delivery.heartbeat``): its worker died, and the job is
  reclaimed with ``interrupted=True``. PostgreSQL skips rows other workers
  hold (``FOR UPDATE SKIP LOCKED``); SQLite has one writer (``BEGIN IMMEDIATE``), which makes the claim atomic.
- ``execute`` runs the handler outside any transaction and records the outcome in one fenced transaction:
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
import threading
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import hirebridge.db.models  # noqa: F401  (every mapper, so foreign keys resolve in a worker-only process)
from hirebridge.db.types import utcnow
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
from hirebridge.delivery.heartbeat import owner_lost
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.models import ACTIVE_JOB_STATES, DeliveryAttempt, DeliveryJob, JobState
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

# Events of the workers in this process, set after a transaction that enqueued a job commits.
_wake_events: set[threading.Event] = set()
_wake_lock = threading.Lock()


def add_wake_event(wake: threading.Event) -> None:
    with _wake_lock:
        _wake_events.add(wake)


def remove_wake_event(wake: threading.Event) -> None:
    with _wake_lock:
        _wake_events.discard(wake)


def wake_workers() -> None:
    """Wake this process's idle workers now instead of at their next poll."""
    with _wake_lock:
        for wake in _wake_events:
            wake.set()


def _wake_after_commit(session: Session) -> None:
    # One listener per session until it fires; after a rollback it fires at the session's next commit (harmless).
    if not session.info.get("delivery_wake_registered"):
        session.info["delivery_wake_registered"] = True

        def on_commit(committed: Session) -> None:
            committed.info.pop("delivery_wake_registered", None)
            wake_workers()

        event.listen(session, "after_commit", on_commit, once=True)


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
    _wake_after_commit(session)
    return job


def _active_with_key(session: Session, dedupe_key: str) -> DeliveryJob | None:
    return session.scalars(
        select(DeliveryJob).where(DeliveryJob.dedupe_key == dedupe_key, DeliveryJob.state.in_(ACTIVE_JOB_STATES))
    ).first()


def claim(runtime: Runtime, worker_id: str, *, kinds: Collection[str], lease_seconds: float) -> JobContext | None:
    """Take one due job of the given kinds with a lease, or None when nothing is due."""
    if not kinds:
        return None
    with runtime.transaction() as session:
        while True:
            now = utcnow()
            query = (
                select(DeliveryJob)
                .where(
                    DeliveryJob.kind.in_(list(kinds)),
                    or_(
                        and_(DeliveryJob.state == JobState.PENDING, DeliveryJob.next_attempt_at <= now),
                        and_(DeliveryJob.state == JobState.RUNNING, DeliveryJob.lease_expires_at < now),
                        and_(DeliveryJob.state == JobState.RUNNING, owner_lost(now)),
                    ),
                )
                .order_by(DeliveryJob.next_attempt_at)
                .limit(1)
            )
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            job = session.scalars(query).first()
            if job is None:
                return None
            interrupted = job.state == JobState.RUNNING
            if interrupted:
                previous_id = _close_interrupted_attempt(session, job, now)
                if job.attempts - job.waits >= job.max_attempts:
                    _dead_letter_interrupted(runtime, session, job, previous_id, now, lease_seconds)
                    continue
            job.state = JobState.RUNNING
            job.lease_owner = worker_id
            job.lease_expires_at = now + timedelta(seconds=lease_seconds)
            job.attempts += 1
            attempt = DeliveryAttempt(
                job_id=job.id, number=job.attempts, worker=worker_id, started_at=now, exchanges=[]
            )
            session.add(attempt)
            session.flush()
            return _context(runtime, job, attempt.id, worker_id, interrupted, lease_seconds)


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
    handler = get_handler(ctx.kind)
    with ctx.fenced() as session:
        now = utcnow()
        if isinstance(outcome, Done):
            # The common case, in plain UPDATEs: the fence has just verified the lease on the job's row.
            if outcome.record is not None:
                outcome.record(session)
            session.execute(
                update(DeliveryAttempt)
                .where(DeliveryAttempt.id == ctx.attempt_id)
                .values(
                    finished_at=now,
                    exchanges=_bounded_exchanges(ctx.exchanges),
                    http_status=outcome.http_status,
                    outcome="succeeded",
                    message=_bounded(outcome.detail) if outcome.detail else None,
                )
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(DeliveryJob)
                .where(DeliveryJob.id == ctx.job_id)
                .values(
                    state=JobState.SUCCEEDED, last_error=None, finished_at=now, lease_owner=None, lease_expires_at=None
                )
                .execution_options(synchronize_session=False)
            )
            return
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
