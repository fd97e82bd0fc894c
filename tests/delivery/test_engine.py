"""The delivery engine on a real database: claims, retries, dead letters, leases."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.backoff import Backoff
from hirebridge.delivery.engine import claim, enqueue, execute
from hirebridge.delivery.handlers import Done, GiveUp, JobContext, Outcome, RetryLater, Wait, register
from hirebridge.delivery.heartbeat import LOST_AFTER_SECONDS, TAKEOVER_AFTER_SECONDS, beat, forget, lost_since
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.models import DeliveryJob, JobState, WorkerHeartbeat
from hirebridge.delivery.worker import Worker
from hirebridge.orgs.models import Organization
from hirebridge.runtime import Runtime
from tests.delivery.helpers import load_attempts, load_job, wait_for


def _enqueue(runtime: Runtime, org_id: str, kind: str, count: int = 1, **options: object) -> list[str]:
    with runtime.transaction() as session:
        jobs = [
            enqueue(session, kind=kind, organization_id=org_id, payload={"n": n}, **options)  # type: ignore[arg-type]
            for n in range(count)
        ]
        session.flush()
        return [job.id for job in jobs]


def _make_due(runtime: Runtime, job_id: str) -> None:
    """Stand in for the passing of time: the job's next attempt is now."""
    with runtime.transaction() as session:
        session.execute(update(DeliveryJob).where(DeliveryJob.id == job_id).values(next_attempt_at=utcnow()))


def _claim(runtime: Runtime, kind: str, worker_id: str = "test:1:0", lease: float = 30.0) -> JobContext:
    ctx = claim(runtime, worker_id, kinds=[kind], lease_seconds=lease)
    assert ctx is not None
    return ctx


def test_four_competing_threads_run_each_of_500_jobs_exactly_once(runtime: Runtime, org_id: str, kind: str) -> None:
    runs: list[tuple[str, str]] = []
    lock = threading.Lock()

    def run(ctx: JobContext) -> Outcome:
        with lock:
            runs.append((ctx.job_id, ctx.worker_id))
        return Done()

    register(kind, run)
    job_ids = _enqueue(runtime, org_id, kind, 500)
    worker = Worker(runtime, 4, lease_seconds=30, idle_sleep=0.05, kinds=[kind])
    worker.start()
    try:
        wait_for(lambda: len(runs) >= 500, timeout=120)
        wait_for(lambda: load_job(runtime, job_ids[-1]).state == JobState.SUCCEEDED)
    finally:
        worker.stop()

    per_job = Counter(job_id for job_id, _ in runs)
    assert set(per_job) == set(job_ids)
    assert max(per_job.values()) == 1
    assert len({worker_id for _, worker_id in runs}) > 1, "the threads did not compete"
    with runtime.transaction() as session:
        jobs = session.query(DeliveryJob).filter(DeliveryJob.kind == kind).all()
        assert {(job.state, job.attempts) for job in jobs} == {(JobState.SUCCEEDED, 1)}


def test_retry_waits_for_retry_after_when_it_is_longer_than_the_backoff(
    runtime: Runtime, org_id: str, kind: str
) -> None:
    register(kind, lambda ctx: RetryLater("HTTP 503: busy", retry_after=30, http_status=503))
    [job_id] = _enqueue(runtime, org_id, kind, backoff=Backoff(base_seconds=1, cap_seconds=2))
    before = utcnow()
    execute(_claim(runtime, kind))
    after = utcnow()

    job = load_job(runtime, job_id)
    assert job.state == JobState.PENDING
    assert job.last_error == "HTTP 503: busy"
    assert before + timedelta(seconds=30) <= job.next_attempt_at <= after + timedelta(seconds=30)
    [attempt] = load_attempts(runtime, job_id)
    assert (attempt.outcome, attempt.http_status, attempt.message) == ("retry", 503, "HTTP 503: busy")
    assert claim(runtime, "test:1:1", kinds=[kind], lease_seconds=30) is None, "a retried job ran before its time"


def test_backoff_grows_with_each_failure_on_the_ashby_schedule(runtime: Runtime, org_id: str, kind: str) -> None:
    register(kind, lambda ctx: RetryLater("HTTP 500"))
    [job_id] = _enqueue(runtime, org_id, kind, backoff=Backoff.ashby(unit_seconds=10))
    delays = []
    for _ in range(3):
        before = utcnow()
        execute(_claim(runtime, kind))
        after = utcnow()
        due = load_job(runtime, job_id).next_attempt_at
        delays.append(((due - after).total_seconds(), (due - before).total_seconds()))
        _make_due(runtime, job_id)
    for (low, high), expected in zip(delays, (10, 30, 70), strict=True):
        assert low <= expected <= high


def test_exponential_backoff_has_full_jitter_within_its_cap() -> None:
    backoff = Backoff(base_seconds=1, cap_seconds=8)
    draws = [backoff.delay(10) for _ in range(200)]
    assert all(0 <= d <= 8 for d in draws)
    assert max(draws) - min(draws) > 2, "no jitter"
    assert all(0 <= backoff.delay(1) <= 1 for _ in range(50))


def test_dead_letter_after_max_attempts_keeps_the_destinations_message_and_calls_on_give_up(
    runtime: Runtime, org_id: str, kind: str
) -> None:
    given_up: list[tuple[str, str, JobState]] = []

    def on_give_up(ctx: JobContext, session: object, message: str) -> None:
        job = session.get(DeliveryJob, ctx.job_id)  # type: ignore[attr-defined]
        given_up.append((ctx.job_id, message, job.state))

    register(kind, lambda ctx: RetryLater(f"HTTP 502: upstream said no ({ctx.attempt_number})"), on_give_up)
    [job_id] = _enqueue(runtime, org_id, kind, max_attempts=3)
    for _ in range(3):
        execute(_claim(runtime, kind))
        _make_due(runtime, job_id)

    job = load_job(runtime, job_id)
    assert (job.state, job.attempts, job.last_error) == (JobState.FAILED, 3, "HTTP 502: upstream said no (3)")
    assert job.lease_owner is None
    assert [a.outcome for a in load_attempts(runtime, job_id)] == ["retry", "retry", "retry"]
    # Called once, inside the transaction that fails the job (it already sees the failed state).
    assert given_up == [(job_id, "HTTP 502: upstream said no (3)", JobState.FAILED)]
    assert claim(runtime, "test:1:1", kinds=[kind], lease_seconds=30) is None


def test_give_up_fails_at_once_with_the_message(runtime: Runtime, org_id: str, kind: str) -> None:
    calls: list[str] = []
    register(kind, lambda ctx: GiveUp("HTTP 409: duplicate email", http_status=409), lambda c, s, m: calls.append(m))
    [job_id] = _enqueue(runtime, org_id, kind)
    execute(_claim(runtime, kind))
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts, job.last_error) == (JobState.FAILED, 1, "HTTP 409: duplicate email")
    assert calls == ["HTTP 409: duplicate email"]


def test_a_success_records_its_writes_with_the_job_or_not_at_all(runtime: Runtime, org_id: str, kind: str) -> None:
    """``Done(record=...)`` commits with the job's success; if the record fails, neither commits and it retries."""
    fail = [True]

    def record(session: Session) -> None:
        session.add(Organization(name="written by record"))
        session.flush()
        if fail[0]:
            raise RuntimeError("the mapping could not be written")

    register(kind, lambda ctx: Done("created", record=record))
    [job_id] = _enqueue(runtime, org_id, kind)
    outcome = execute(_claim(runtime, kind))
    assert isinstance(outcome, RetryLater)
    job = load_job(runtime, job_id)
    assert (job.state, job.last_error) == (JobState.PENDING, "unexpected error: RuntimeError")
    assert load_attempts(runtime, job_id)[0].outcome == "error"
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(Organization.name == "written by record")) == 0

    fail[0] = False
    _make_due(runtime, job_id)
    assert isinstance(execute(_claim(runtime, kind)), Done)
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts, job.last_error) == (JobState.SUCCEEDED, 2, None)
    attempt = load_attempts(runtime, job_id)[1]
    assert (attempt.outcome, attempt.message) == ("succeeded", "created")
    assert attempt.finished_at is not None
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(Organization.name == "written by record")) == 1


def test_unexpected_exception_is_retried_without_leaking_its_text(
    runtime: Runtime, org_id: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    def run(ctx: JobContext) -> Outcome:
        raise ValueError(f"{ctx.payload['email']} is not valid")

    register(kind, run)
    with runtime.transaction() as session:
        job_id = enqueue(session, kind=kind, organization_id=org_id, payload={"email": "jane.doe@example.com"}).id
    with caplog.at_level(logging.ERROR):
        execute(_claim(runtime, kind))
    job = load_job(runtime, job_id)
    assert job.state == JobState.PENDING
    assert job.last_error == "unexpected error: ValueError"
    assert "ValueError" in caplog.text
    assert "jane.doe" not in caplog.text
    assert "jane.doe" not in (load_attempts(runtime, job_id)[0].message or "")


def test_expired_lease_is_reclaimed_as_interrupted_and_the_stale_worker_is_fenced_out(
    runtime: Runtime, org_id: str, kind: str
) -> None:
    register(kind, lambda ctx: Done(f"interrupted={ctx.interrupted}"))
    [job_id] = _enqueue(runtime, org_id, kind)
    stale = _claim(runtime, kind, "host-a:1:0", lease=0.2)
    assert not stale.interrupted
    assert claim(runtime, "host-b:2:0", kinds=[kind], lease_seconds=30) is None, "claimed while leased"

    fresh = wait_for(lambda: claim(runtime, "host-b:2:0", kinds=[kind], lease_seconds=30), timeout=10)
    assert (fresh.interrupted, fresh.attempt_number) == (True, 2)

    with pytest.raises(LeaseLost), stale.fenced() as session:
        session.execute(update(DeliveryJob).where(DeliveryJob.id == job_id).values(last_error="stale write"))
    assert execute(stale) is None, "a stale worker recorded an outcome"
    assert load_job(runtime, job_id).last_error is None

    assert isinstance(execute(fresh), Done)
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)
    first, second = load_attempts(runtime, job_id)
    assert (first.worker, first.outcome) == ("host-a:1:0", "interrupted")
    assert (second.worker, second.outcome, second.message) == ("host-b:2:0", "succeeded", "interrupted=True")


def test_heartbeats_keep_a_long_attempt_leased(runtime: Runtime, org_id: str, kind: str) -> None:
    release = threading.Event()
    started = threading.Event()

    def run(ctx: JobContext) -> Outcome:
        started.set()
        release.wait(30)
        return Done()

    register(kind, run)
    [job_id] = _enqueue(runtime, org_id, kind)
    worker = Worker(runtime, 1, lease_seconds=0.5, idle_sleep=0.05, kinds=[kind])
    worker.start()
    try:
        assert started.wait(30)
        # Several lease lengths pass; an intruder never gets the job, because the worker keeps renewing.
        for _ in range(20):
            assert claim(runtime, "intruder:9:0", kinds=[kind], lease_seconds=30) is None
            threading.Event().wait(0.1)
        release.set()
        wait_for(lambda: load_job(runtime, job_id).state == JobState.SUCCEEDED)
    finally:
        release.set()
        worker.stop()
    assert load_job(runtime, job_id).attempts == 1


def test_stop_lets_the_attempt_in_hand_finish(runtime: Runtime, org_id: str, kind: str) -> None:
    started = threading.Event()

    def run(ctx: JobContext) -> Outcome:
        started.set()
        threading.Event().wait(0.5)
        return Done("finished")

    register(kind, run)
    [job_id] = _enqueue(runtime, org_id, kind)
    worker = Worker(runtime, 2, lease_seconds=30, idle_sleep=0.05, kinds=[kind])
    worker.start()
    assert started.wait(30)
    worker.stop(timeout=30)
    job = load_job(runtime, job_id)
    assert (job.state, job.lease_owner) == (JobState.SUCCEEDED, None)


def test_enqueue_with_a_dedupe_key_joins_the_active_job(runtime: Runtime, org_id: str, kind: str) -> None:
    register(kind, lambda ctx: Done())
    first = _enqueue(runtime, org_id, kind, dedupe_key=f"{kind}:same")
    second = _enqueue(runtime, org_id, kind, dedupe_key=f"{kind}:same")
    assert first == second
    execute(_claim(runtime, kind))
    third = _enqueue(runtime, org_id, kind, dedupe_key=f"{kind}:same")
    assert third != first, "a finished job must not block a new one"


def test_enqueue_commits_with_the_callers_transaction(runtime: Runtime, org_id: str, kind: str) -> None:
    register(kind, lambda ctx: Done())

    def callers_work_that_fails() -> None:
        with runtime.transaction() as session:
            enqueue(session, kind=kind, organization_id=org_id, payload={})
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        callers_work_that_fails()
    assert claim(runtime, "test:1:0", kinds=[kind], lease_seconds=30) is None


def test_waits_spend_no_attempt_and_do_not_grow_the_backoff(runtime: Runtime, org_id: str, kind: str) -> None:
    """Five waits and one failure on a budget of two attempts: the job still gets its second attempt."""
    script: list[Outcome] = [Wait(0.5, "reads lag") for _ in range(5)]
    script += [RetryLater("HTTP 502", http_status=502), Wait(0.5, "throttled", http_status=429), Done()]

    def run(ctx: JobContext) -> Outcome:
        return script.pop(0)

    register(kind, run)
    [job_id] = _enqueue(runtime, org_id, kind, max_attempts=2, backoff=Backoff(base_seconds=1000, cap_seconds=5000))
    for n in range(5):
        before = utcnow()
        execute(_claim(runtime, kind))
        job = load_job(runtime, job_id)
        assert (job.state, job.attempts, job.waits) == (JobState.PENDING, n + 1, n + 1)
        assert job.next_attempt_at <= utcnow() + timedelta(seconds=0.5), "a wait grew into a backoff"
        assert job.next_attempt_at >= before + timedelta(seconds=0.5)
        _make_due(runtime, job_id)
    assert load_attempts(runtime, job_id) == [], "a wait that made no call left an attempt behind"

    execute(_claim(runtime, kind))  # the first spent attempt: the backoff's first step, under the service's cap
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts - job.waits, job.last_error) == (JobState.PENDING, 1, "HTTP 502")
    cap = runtime.settings.retry_backoff_cap_seconds
    assert job.next_attempt_at <= utcnow() + timedelta(seconds=cap)
    _make_due(runtime, job_id)

    ctx = _claim(runtime, kind)
    ctx.exchanges.append({"method": "POST", "url": "/x", "status": 429})
    execute(ctx)  # a throttle with a call made: kept in the log as 'waited', nothing spent
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts - job.waits, job.last_error) == (JobState.PENDING, 1, "HTTP 502")
    _make_due(runtime, job_id)

    execute(_claim(runtime, kind))
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts, job.waits) == (JobState.SUCCEEDED, 8, 6)
    outcomes = [(a.outcome, a.http_status) for a in load_attempts(runtime, job_id)]
    assert outcomes == [("retry", 502), ("waited", 429), ("succeeded", None)]


def test_waits_are_bounded_and_then_spend_attempts(
    runtime: Runtime, org_id: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hirebridge.delivery.engine.MAX_WAITS", 3)
    register(kind, lambda ctx: Wait(0.1, "another push is in flight"))
    [job_id] = _enqueue(runtime, org_id, kind, max_attempts=2)
    for _ in range(5):
        execute(_claim(runtime, kind))
        _make_due(runtime, job_id)
    job = load_job(runtime, job_id)
    assert (job.state, job.attempts, job.waits) == (JobState.FAILED, 5, 3)
    assert job.last_error is not None
    assert "another push is in flight" in job.last_error


def test_a_job_whose_workers_heartbeat_stopped_is_taken_over_before_its_lease(
    runtime: Runtime, org_id: str, kind: str
) -> None:
    register(kind, lambda ctx: Done())
    [job_id] = _enqueue(runtime, org_id, kind)
    held = _claim(runtime, kind, worker_id="host-a:41:0", lease=3600)
    beat(runtime, "host-a:41", 1)
    beat(runtime, "host-b:42", 1)
    assert claim(runtime, "host-b:42:0", kinds=[kind], lease_seconds=30) is None, "taken from a live worker"

    def stopped_beating(seconds_ago: float) -> None:  # stand in for the passing of time
        with runtime.transaction() as session:
            session.execute(
                update(WorkerHeartbeat)
                .where(WorkerHeartbeat.worker == "host-a:41")
                .values(beat_at=utcnow() - timedelta(seconds=seconds_ago))
            )

    # Shown as lost within seconds, but not taken over while a call it began could still be on the wire.
    stopped_beating(LOST_AFTER_SECONDS + 1)
    with runtime.transaction() as session:
        push_like = session.get(DeliveryJob, job_id)
        assert push_like is not None
        assert lost_since(session, push_like.lease_owner) is not None
        assert lost_since(session, "host-b:42:0") is None
    assert claim(runtime, "host-b:42:0", kinds=[kind], lease_seconds=30) is None, "taken while a call may be in flight"

    stopped_beating(TAKEOVER_AFTER_SECONDS + 1)
    taken = claim(runtime, "host-b:42:0", kinds=[kind], lease_seconds=30)
    assert taken is not None
    assert (taken.job_id, taken.interrupted) == (job_id, True)
    assert held.attempt_number < taken.attempt_number
    execute(taken)
    assert load_job(runtime, job_id).state == JobState.SUCCEEDED
    assert [a.outcome for a in load_attempts(runtime, job_id)] == ["interrupted", "succeeded"]
    with pytest.raises(LeaseLost):
        held.heartbeat()
    forget(runtime, "host-a:41")
    forget(runtime, "host-b:42")
