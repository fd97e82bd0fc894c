"""An idle worker waits to be woken instead of polling: what it costs the database, and that it still starts work.

Each test runs a real ``Worker`` (4 threads, as `hirebridge worker` by default) on an engine of its own, claiming a
job kind of its own, so that nothing else is counted. Nothing here is timed: the idle window is five seconds of
wall clock, and the assertions are on statements, on claims (``Worker.claims``) and on jobs done.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from hirebridge.db.types import utcnow
from hirebridge.delivery.engine import enqueue
from hirebridge.delivery.handlers import Done, JobContext, Outcome, register, unregister
from hirebridge.delivery.wakeup import remove_waker
from hirebridge.delivery.worker import Worker
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.delivery.helpers import unique_kind, wait_for

log = logging.getLogger(__name__)

THREADS = 4
IDLE_WINDOW_SECONDS = 5.0
MAX_IDLE_STATEMENTS = 10  # issue 14: an idle `serve` ran about 70 statements a second
NO_TIMER = 600.0  # an idle_sleep no test waits for: only a wake-up (or a due job) gets the worker going


@contextlib.contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """Every statement any thread sends through ``engine`` while the block runs (SQLite's BEGIN IMMEDIATE aside:
    it stands for the transaction, as PostgreSQL's implicit BEGIN does)."""
    statements: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        if text.upper() != "BEGIN IMMEDIATE":
            statements.append(text[:120])

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@pytest.fixture
def org_id(org: IssuedCredentials) -> str:
    return org.organization_id


@pytest.fixture
def kind(request: pytest.FixtureRequest) -> Iterator[str]:
    """A job kind of this test's own; its handler is unregistered afterwards."""
    name = unique_kind(request.node.name.removeprefix("test_")[:20])
    yield name
    unregister(name)


@pytest.fixture
def worker_runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.from_settings(settings)
    yield rt
    rt.close()


@pytest.fixture
def done(kind: str) -> list[str]:
    """The ids of the jobs of this test's kind that ran."""
    ran: list[str] = []

    def run(ctx: JobContext) -> Outcome:
        ran.append(ctx.job_id)
        return Done("ok")

    register(kind, run)
    return ran


@contextlib.contextmanager
def idle_worker(runtime: Runtime, kind: str, **options: Any) -> Iterator[Worker]:
    """A started worker once each of its threads has looked for work once and found none (it is idle)."""
    worker = Worker(runtime, THREADS, kinds=[kind], **options)
    worker.start()
    try:
        wait_for(lambda: worker.claims >= THREADS)
        listener = getattr(worker, "_listener", None)
        if listener is not None:
            assert listener.listening.wait(30), "the worker's LISTEN connection never came up"
        time.sleep(0.2)  # the claims in flight end, and the listener's wake-up on connecting is taken
        yield worker
    finally:
        worker.stop()


def _enqueue(runtime: Runtime, org_id: str, kind: str, *, run_in: float = 0.0) -> str:
    with runtime.transaction() as session:
        job = enqueue(
            session,
            kind=kind,
            organization_id=org_id,
            payload={},
            run_at=utcnow() + timedelta(seconds=run_in) if run_in else None,
        )
        return job.id


def test_an_idle_worker_costs_a_few_statements_in_five_seconds(
    worker_runtime: Runtime, done: list[str], kind: str
) -> None:
    with idle_worker(worker_runtime, kind) as worker:
        claims = worker.claims
        with counting(worker_runtime.engine) as statements:
            time.sleep(IDLE_WINDOW_SECONDS)
        claims = worker.claims - claims

    log.info("idle for %.0f s: %d statements, %d claims", IDLE_WINDOW_SECONDS, len(statements), claims)
    assert len(statements) <= MAX_IDLE_STATEMENTS, "\n".join(statements)
    assert done == []


def test_an_enqueued_job_wakes_an_idle_worker(
    runtime: Runtime, worker_runtime: Runtime, org_id: str, done: list[str], kind: str
) -> None:
    # No idle timer: the job can only be found because its enqueue woke the worker. On PostgreSQL the in-process
    # wake-up is taken away, so the NOTIFY of the enqueue's transaction (what another process would get) does it.
    with idle_worker(worker_runtime, kind, idle_sleep=NO_TIMER) as worker:
        if worker_runtime.engine.dialect.name == "postgresql":
            remove_waker(worker.wake)
        claims = worker.claims
        job_id = _enqueue(runtime, org_id, kind)
        wait_for(lambda: done == [job_id])
        claims = worker.claims - claims

    # The woken thread claims the job and hands the wake-up on (another may be due): that one finds nothing.
    assert 1 <= claims <= 1 + THREADS


def test_an_idle_worker_runs_a_job_when_it_falls_due(
    runtime: Runtime, worker_runtime: Runtime, org_id: str, done: list[str], kind: str
) -> None:
    with idle_worker(worker_runtime, kind, idle_sleep=NO_TIMER) as worker:
        claims = worker.claims
        job_id = _enqueue(runtime, org_id, kind, run_in=1.5)
        wait_for(lambda: done == [job_id])
        claims = worker.claims - claims

    # Woken by the enqueue, a thread learns when the job is due; the watcher sleeps until then and claims it.
    assert 2 <= claims <= 2 + THREADS


def test_many_jobs_are_shared_by_the_threads(
    runtime: Runtime, worker_runtime: Runtime, org_id: str, done: list[str], kind: str
) -> None:
    seen: set[str] = set()
    lock = threading.Lock()
    with idle_worker(worker_runtime, kind, idle_sleep=NO_TIMER):
        with runtime.transaction() as session:
            ids = {enqueue(session, kind=kind, organization_id=org_id, payload={}).id for _ in range(40)}
        wait_for(lambda: len(done) >= len(ids))
        with lock:
            seen.update(done)
    assert seen == ids
    assert len(done) == len(ids)  # each once
