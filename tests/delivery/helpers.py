"""Helpers for the delivery tests: unique job kinds, waiting for database states, reading jobs back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select

from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
from hirebridge.runtime import Runtime

T = TypeVar("T")


def unique_kind(name: str) -> str:
    """A job kind no other test (nor the service's own workers) knows about."""
    return f"t.{uuid.uuid4().hex[:10]}.{name}"[:40]


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.05) -> T:
    """Poll until ``probe`` returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s")
        time.sleep(interval)


def load_job(runtime: Runtime, job_id: str) -> DeliveryJob:
    with runtime.transaction() as session:
        job = session.get(DeliveryJob, job_id)
        assert job is not None
        return job


def load_attempts(runtime: Runtime, job_id: str) -> list[DeliveryAttempt]:
    with runtime.transaction() as session:
        return list(
            session.scalars(
                select(DeliveryAttempt).where(DeliveryAttempt.job_id == job_id).order_by(DeliveryAttempt.number)
            )
        )
