"""A worker process killed mid-job: another worker takes the job over once the lease has expired."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from hirebridge.delivery.engine import enqueue
from hirebridge.delivery.handlers import Done, JobContext, Outcome, register
from hirebridge.delivery.models import JobState
from hirebridge.delivery.worker import Worker
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.delivery.helpers import load_attempts, load_job, wait_for

REPO = Path(__file__).resolve().parents[2]

# The child registers a handler that never finishes, then runs the real worker entry point.
CHILD = """
import sys, threading
from hirebridge.delivery.handlers import register
from hirebridge.delivery.worker import run_worker_process
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings

register(sys.argv[1], lambda ctx: threading.Event().wait(3600))
run_worker_process(Runtime.from_settings(Settings()), 1, lease_seconds=1.5, idle_sleep=0.05)
"""


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["HIREBRIDGE_DATABASE_URL"] = settings.database_url
    env.pop("DATABASE_URL", None)
    assert settings.secret_key is not None
    assert settings.encryption_key is not None
    env["HIREBRIDGE_SECRET_KEY"] = settings.secret_key.get_secret_value()
    env["HIREBRIDGE_ENCRYPTION_KEY"] = settings.encryption_key.get_secret_value()
    return env


def test_killed_workers_job_is_taken_over_after_its_lease(
    runtime: Runtime, settings: Settings, org_id: str, kind: str
) -> None:
    with runtime.transaction() as session:
        job_id = enqueue(session, kind=kind, organization_id=org_id, payload={}).id
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind], cwd=REPO, env=_child_env(settings), stdin=subprocess.DEVNULL
    )
    child_prefix = f"{socket.gethostname()[:60]}:{child.pid}:"
    try:
        wait_for(lambda: (load_job(runtime, job_id).lease_owner or "").startswith(child_prefix), timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert load_job(runtime, job_id).state == JobState.RUNNING

    def run(ctx: JobContext) -> Outcome:
        return Done(f"interrupted={ctx.interrupted}")

    register(kind, run)
    worker = Worker(runtime, 1, lease_seconds=30, idle_sleep=0.05, kinds=[kind])
    worker.start()
    try:
        wait_for(lambda: load_job(runtime, job_id).state == JobState.SUCCEEDED, timeout=60)
    finally:
        worker.stop()

    assert load_job(runtime, job_id).attempts == 2
    first, second = load_attempts(runtime, job_id)
    assert first.worker.startswith(child_prefix)
    assert first.outcome == "interrupted"
    assert not second.worker.startswith(child_prefix)
    assert (second.outcome, second.message) == ("succeeded", "interrupted=True")
