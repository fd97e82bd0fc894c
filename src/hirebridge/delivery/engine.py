"""Enqueue, claim, run and finish jobs: the durable delivery engine.

- ``enqueue`` adds a job inside the caller's transaction, so the job commits (or not) with the caller's records.
  It wakes idle workers once that transaction commits (``delivery.wakeup``: in-process, and PostgreSQL NOTIFY).
- ``claim`` (``delivery.claiming``) takes one due job with a lease, in a transaction that also runs the kind's
  ``prepare`` (a push reads its plan, commits its write-ahead record and takes its rate-limit slot there); with
  nothing due, ``claim_next`` says when the next pending job will be.
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
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import hirebridge.db.models  # noqa: F401  (every mapper, so foreign keys resolve in a worker-only process)
from hirebridge.db.types import utcnow
from hirebridge.delivery.backoff import Backoff, next_delay
from hirebridge.delivery.claiming import bounded, mark_failed
from hirebridge.delivery.claiming import claim as claim  # re-exported: the engine's API
from hirebridge.delivery.claiming import claim_next as claim_next
from hirebridge.delivery.handlers import (
    Done,
    JobContext,
    Outcome,
    RetryLater,
    Wait,
    get_handler,
    outcome_for_exception,
)
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.models import ACTIVE_JOB_STATES, DeliveryAttempt, DeliveryJob, JobState
from hirebridge.delivery.wakeup import notify_on_commit
from hirebridge.delivery.wakeup import wake_workers as wake_workers  # re-exported: callers wake through the engine

log = logging.getLogger(__name__)

_jobs = cast(Table, DeliveryJob.__table__)
_attempts = cast(Table, DeliveryAttempt.__table__)

MAX_EXCHANGES = 20
MAX_EXCHANGE_BODY_CHARS = 4000
# Re-checks a job may make without spending an attempt; past this, each wait spends one (nothing loops forever).
MAX_WAITS = 300
MIN_WAIT_SECONDS = 0.1
MAX_WAIT_SECONDS = 300.0


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
        attempt.message = bounded(outcome.message)
        spent = job.attempts - job.waits
        if isinstance(outcome, RetryLater) and spent < job.max_attempts:
            delay = next_delay(_capped(ctx, Backoff.from_json(job.backoff)), spent, outcome.retry_after)
            job.state = JobState.PENDING
            job.next_attempt_at = now + timedelta(seconds=delay)
            job.last_error = bounded(outcome.message)
            job.lease_owner = None
            job.lease_expires_at = None
            return
        # Given up, or out of attempts (dead letter): failed with the destination's own last message.
        mark_failed(job, outcome.message, now)
        if handler is not None and handler.on_give_up is not None:
            handler.on_give_up(ctx, session, bounded(outcome.message))


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
                    "v_message": bounded(outcome.detail) if outcome.detail else None,
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
        attempt.message = bounded(wait.reason)
    else:
        session.delete(attempt)


def _capped(ctx: JobContext, backoff: Backoff) -> Backoff:
    """The exponential schedule under the service's cap (a hire someone is waiting for); Ashby's schedule as is."""
    if backoff.kind != "exponential":
        return backoff
    cap = min(backoff.cap_seconds, ctx.runtime.settings.retry_backoff_cap_seconds)
    return Backoff(kind=backoff.kind, base_seconds=backoff.base_seconds, cap_seconds=cap)


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
