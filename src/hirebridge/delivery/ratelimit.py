"""A token bucket per destination, shared through the database by every worker thread and process.

``acquire(runtime, key, rate_per_second, burst)`` returns once a token was taken. Each try is one short
transaction (a row lock on PostgreSQL, the single writer on SQLite); waiting happens outside any transaction.
The bucket's rate and burst follow the latest caller, so a changed connection setting applies at once.
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

# Never sleep longer than this in one go, so that a stop request or a raised rate is noticed.
MAX_SLEEP_SECONDS = 1.0


class RateLimitTimeout(Exception):
    """No token could be taken before the deadline."""


def acquire(
    runtime: Runtime,
    key: str,
    rate_per_second: float,
    burst: float | None = None,
    *,
    timeout: float | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Block until a token of bucket ``key`` is taken (sleeping outside any transaction).

    ``burst`` defaults to max(1, rate). Raises RateLimitTimeout after ``timeout`` seconds, or when ``stop`` is set.
    """
    if rate_per_second <= 0:
        raise ValueError("rate_per_second must be positive")
    capacity = max(1.0, burst if burst is not None else rate_per_second)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = try_take(runtime, key, rate_per_second, capacity)
        if wait <= 0:
            return
        if deadline is not None and time.monotonic() + wait > deadline:
            raise RateLimitTimeout(f"no token for {key} within {timeout} s")
        pause = min(wait, MAX_SLEEP_SECONDS)
        if stop is not None:
            if stop.wait(pause):
                raise RateLimitTimeout(f"stopped while waiting for a token for {key}")
        else:
            time.sleep(pause)


def try_take(runtime: Runtime, key: str, rate_per_second: float, capacity: float) -> float:
    """Take a token if one is there: 0. Otherwise the seconds until one will be."""
    with runtime.transaction() as session:
        bucket = _locked_bucket(session, key, rate_per_second, capacity)
        now = utcnow()
        tokens = _refilled(bucket, now, rate_per_second, capacity)
        bucket.rate_per_second = rate_per_second
        bucket.burst = capacity
        bucket.updated_at = now
        if tokens >= 1.0:
            bucket.tokens = tokens - 1.0
            return 0.0
        bucket.tokens = tokens
        return (1.0 - tokens) / rate_per_second


def _refilled(bucket: RateLimitBucket, now: datetime, rate: float, capacity: float) -> float:
    # A clock that went backwards (another host) adds nothing rather than taking tokens away.
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
