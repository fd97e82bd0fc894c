"""One delivery job as the operator sees it: its log context, its metrics, and one log line per recorded attempt.

The worker runs each claimed job through ``run_job(execute, ctx)``. Around the call the log context holds the job,
its organization and (for a push) the push id; the push handler adds the HRIS system once it has read the
connection (``context.bind(hris=...)``). After the engine has recorded the outcome, the metrics move:

- ``hris_push``: ``hirebridge_push_attempts_total{hris, outcome}`` with the attempt log's outcome label,
  ``hirebridge_push_attempt_duration_seconds{hris}``, ``hirebridge_hris_request_duration_seconds{hris}`` per HTTP
  exchange, ``hirebridge_rate_limit_waits_total{limiter="hris"}`` for a 429, and ``hirebridge_pushes_total{hris,
  outcome}`` when the push ended: ``succeeded`` (a success the handler recorded) or ``failed`` (refused, or out of
  attempts).
- ``webhook``: ``hirebridge_webhook_deliveries_total{outcome}`` (succeeded, retry, failed).

Nothing moves when the lease was lost (``execute`` returns None: nothing was recorded by this worker).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from hirebridge.delivery.handlers import Done, GiveUp, JobContext, Outcome, RetryLater, Wait
from hirebridge.observability import context, metrics

log = logging.getLogger("hirebridge.delivery.jobs")

PUSH_KIND = "hris_push"  # hirebridge.hris.push.KIND, named here so the worker need not import the push module
WEBHOOK_KIND = "webhook"


def run_job(execute: Callable[[JobContext], Outcome | None], ctx: JobContext) -> Outcome | None:
    """``execute(ctx)`` with the job's log context bound, then its metrics and log line."""
    push_id = str(ctx.payload.get("push_id")) if ctx.kind == PUSH_KIND and ctx.payload.get("push_id") else None
    reset = context.bind(
        job_id=ctx.job_id, job_kind=ctx.kind, organization_id=ctx.organization_id, push_id=push_id, hris=None
    )
    started = time.perf_counter()
    try:
        outcome = execute(ctx)
        if outcome is not None:
            seconds = time.perf_counter() - started
            try:
                _observe(ctx, outcome, seconds)
            except Exception:  # metrics must never fail a job that has been recorded
                log.exception("could not record the metrics of job %s", ctx.job_id)
        return outcome
    finally:
        reset()


def outcome_label(outcome: Outcome) -> str:
    """The attempt log's word for an outcome (``delivery_attempts.outcome``)."""
    if isinstance(outcome, Done):
        return "succeeded"
    if isinstance(outcome, Wait):
        return "waited"
    return outcome.label


def ended_in_failure(ctx: JobContext, outcome: Outcome) -> bool:
    """Whether the engine marked the job failed: given up, or a retry with no attempt left (dead letter)."""
    return isinstance(outcome, GiveUp) or (isinstance(outcome, RetryLater) and ctx.is_last_attempt)


def _observe(ctx: JobContext, outcome: Outcome, seconds: float) -> None:
    label = outcome_label(outcome)
    failed = ended_in_failure(ctx, outcome)
    if ctx.kind == PUSH_KIND:
        hris = context.get("hris") or metrics.UNKNOWN
        metrics.PUSH_ATTEMPTS.labels(hris, label).inc()
        metrics.PUSH_ATTEMPT_DURATION.labels(hris).observe(seconds)
        for exchange in ctx.exchanges:
            elapsed = exchange.get("elapsed_ms")
            if isinstance(elapsed, int | float):
                metrics.HRIS_REQUEST_DURATION.labels(hris).observe(elapsed / 1000)
        if isinstance(outcome, Wait) and outcome.http_status == 429:
            metrics.RATE_LIMIT_WAITS.labels(hris, "hris").inc()
        if isinstance(outcome, Done) and outcome.record is not None:
            metrics.PUSHES.labels(hris, "succeeded").inc()
        elif failed:
            metrics.PUSHES.labels(hris, "failed").inc()
    elif ctx.kind == WEBHOOK_KIND:
        delivered = "failed" if failed else "succeeded" if label == "succeeded" else "retry"
        metrics.WEBHOOK_DELIVERIES.labels(delivered).inc()
    log.info(
        "job %s (%s) attempt %d: %s%s in %.0f ms",
        ctx.job_id,
        ctx.kind,
        ctx.spent_attempts,
        label,
        " (ended)" if failed else "",
        seconds * 1000,
    )
