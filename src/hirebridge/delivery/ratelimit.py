"""A token bucket per destination, shared through the database by every worker thread and process.

``acquire(runtime, key, rate_per_second, burst)`` returns once the caller may make its call. It costs one short
transaction (a row lock on PostgreSQL, the single writer on SQLite), whatever the contention: when the bucket is
empty the caller reserves the next free slot by taking the token ahead of time (the balance goes below zero), then
sleeps until that slot outside any transaction. Callers are therefore spaced 1/rate apart in the order they asked,
instead of waking together to poll for the same token (which, with 16 threads at 50/s, cost more database work
than the pushes themselves). The bucket's rate and burst follow the latest caller, so a changed connection setting
applies from the next call on; slots already reserved keep their time.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.models import RateLimitBucket
from hirebridge.runtime import Runtime


class RateLimitTimeout(Exception):
    """No slot within the deadline, or the wait was stopped."""


def acquire(
    runtime: Runtime,
    key: str,
    rate_per_second: float,
    burst: float | None = None,
    *,
    timeout: float | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Block until the caller's slot in bucket ``key`` has come (sleeping outside any transaction).

    ``burst`` defaults to max(1, rate). Raises RateLimitTimeout, taking nothing, when the next free slot is more
    than ``timeout`` seconds away; and when ``stop`` is set while waiting (the reserved slot then goes unused,
    which errs on the side of fewer calls).
    """
    if rate_per_second <= 0:
        raise ValueError("rate_per_second must be positive")
    capacity = max(1.0, burst if burst is not None else rate_per_second)
    wait = reserve(runtime, key, rate_per_second, capacity, max_wait=timeout)
    if wait is None:
        raise RateLimitTimeout(f"no slot for {key} within {timeout} s")
    if wait <= 0:
        return
    if stop is None:
        time.sleep(wait)
    elif stop.wait(wait):
        raise RateLimitTimeout(f"stopped while waiting for a slot for {key}")


def reserve(
    runtime: Runtime, key: str, rate_per_second: float, capacity: float, *, max_wait: float | None = None
) -> float | None:
    """Take the next token: the seconds until it may be used (0: now). None, taking nothing, beyond ``max_wait``."""
    with runtime.transaction() as session:
        bucket = _locked_bucket(session, key, rate_per_second, capacity)
        now = utcnow()
        tokens = _refilled(bucket, now, rate_per_second, capacity)
        wait = max(0.0, (1.0 - tokens) / rate_per_second)
        bucket.rate_per_second = rate_per_second
        bucket.burst = capacity
        bucket.updated_at = now
        if max_wait is not None and wait > max_wait:
            bucket.tokens = tokens
            return None
        bucket.tokens = tokens - 1.0
        return wait


def _refilled(bucket: RateLimitBucket, now: datetime, rate: float, capacity: float) -> float:
    # A clock that went backwards (another host) adds nothing rather than taking tokens away. A negative balance
    # (slots reserved ahead) refills the same way, so the next free slot is always 1/rate after the last one.
    elapsed = max(0.0, (now - bucket.updated_at).total_seconds())
    return min(capacity, bucket.tokens + elapsed * rate)


def _locked_bucket(session: Session, key: str, rate: float, capacity: float) -> RateLimitBucket:
    dialect = session.get_bind().dialect.name
    query = select(RateLimitBucket).where(RateLimitBucket.key == key).execution_options(populate_existing=True)
    if dialect == "postgresql":
        query = query.with_for_update()
    bucket = session.scalars(query).first()
    if bucket is not None:
        return bucket
    values = {"key": key, "rate_per_second": rate, "burst": capacity, "tokens": capacity, "updated_at": utcnow()}
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Two first callers may race to create the bucket: one insert wins, both then lock the same row.
    session.execute(insert(RateLimitBucket).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    return session.scalars(query).one()
