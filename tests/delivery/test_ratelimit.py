"""The shared token bucket: two workers drawing on one destination's budget stay within it together."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from hirebridge.delivery.engine import enqueue
from hirebridge.delivery.handlers import Done, JobContext, Outcome, register
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.delivery.ratelimit import RateLimitTimeout, acquire, reserve
from hirebridge.delivery.worker import Worker
from hirebridge.runtime import Runtime
from tests.delivery.helpers import wait_for

RATE = 10.0
BURST = 2.0
JOBS = 30


def test_two_workers_share_one_rate_limit(runtime: Runtime, org_id: str, kind: str) -> None:
    bucket = f"test:{uuid.uuid4()}"
    taken: list[tuple[float, str]] = []
    lock = threading.Lock()

    def run(ctx: JobContext) -> Outcome:
        acquire(ctx.runtime, bucket, RATE, BURST)
        with lock:
            taken.append((time.monotonic(), ctx.worker_id))
        return Done()

    register(kind, run)
    with runtime.transaction() as session:
        for n in range(JOBS):
            enqueue(session, kind=kind, organization_id=org_id, payload={"n": n}, rate_key=bucket)
    workers = [Worker(runtime, 2, lease_seconds=30, idle_sleep=0.05, kinds=[kind]) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        wait_for(lambda: len(taken) >= JOBS, timeout=60)
    finally:
        for worker in workers:
            worker.stop()

    assert len({worker_id for _, worker_id in taken}) >= 2
    times = sorted(t for t, _ in taken)
    # In any stretch of time, no more tokens than the burst plus what the rate refilled (one spare for the
    # moments between taking a token and noting the time).
    for i in range(len(times)):
        for j in range(i + 1, len(times)):
            allowed = BURST + RATE * (times[j] - times[i]) + 1
            assert j - i + 1 <= allowed, f"{j - i + 1} tokens in {times[j] - times[i]:.3f} s"
    with runtime.transaction() as session:
        states = {job.state for job in session.query(DeliveryJob).filter(DeliveryJob.kind == kind)}
    assert states == {JobState.SUCCEEDED}


def test_a_full_bucket_gives_its_burst_at_once_then_makes_callers_wait(runtime: Runtime) -> None:
    bucket = f"test:{uuid.uuid4()}"
    for _ in range(3):
        acquire(runtime, bucket, 0.01, 3, timeout=0.5)
    with pytest.raises(RateLimitTimeout):
        acquire(runtime, bucket, 0.01, 3, timeout=0.5)


def test_an_empty_bucket_hands_out_consecutive_slots_and_a_refused_caller_takes_none(runtime: Runtime) -> None:
    bucket = f"test:{uuid.uuid4()}"
    assert reserve(runtime, bucket, 1.0, 1.0) == 0.0
    # The next slot is about a second away: too far for this caller, who takes nothing.
    assert reserve(runtime, bucket, 1.0, 1.0, max_wait=0.2) is None
    first = reserve(runtime, bucket, 1.0, 1.0)
    second = reserve(runtime, bucket, 1.0, 1.0)
    assert first is not None
    assert second is not None
    assert 0.5 < first <= 1.0
    # Reserved one after the other, one second apart: the refused caller did not push them back.
    assert 0.9 < second - first < 1.1
