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
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.models import RateLimitBucket
from hirebridge.observability.metrics import rate_limit_waited
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
    rate_limit_waited(wait)  # hirebridge_rate_limit_waits_total{limiter="hirebridge"} (HRIS from the log context)
    if stop is None:
        time.sleep(wait)
    elif stop.wait(wait):
        raise RateLimitTimeout(f"stopped while waiting for a slot for {key}")


def reserve(
    runtime: Runtime, key: str, rate_per_second: float, capacity: float, *, max_wait: float | None = None
) -> float | None:
    """Take the next token: the seconds until it may be used (0: now). None, taking nothing, beyond ``max_wait``."""
    with runtime.transaction() as session:
        return reserve_in(session, key, rate_per_second, capacity, max_wait=max_wait)


def reserve_in(
    session: Session, key: str, rate_per_second: float, capacity: float, *, max_wait: float | None = None
) -> float | None:
    """``reserve`` inside the caller's transaction (a push takes its first slot in the transaction that claims it).

    The bucket's row stays locked until that transaction ends, so take the slot last, just before committing."""
    postgres = session.get_bind().dialect.name == "postgresql"
    row = session.execute(_LOCK_PG if postgres else _LOCK, {"b_key": key}).first()
    now = utcnow()
    if row is None:
        values = {"key": key, "rate_per_second": rate_per_second, "burst": capacity, "tokens": capacity}
        insert = postgresql.insert if postgres else sqlite.insert
        # Two first callers may race to create the bucket: one insert wins, both then lock the same row.
        session.execute(
            insert(RateLimitBucket).values(**values, updated_at=now).on_conflict_do_nothing(index_elements=["key"])
        )
        row = session.execute(_LOCK_PG if postgres else _LOCK, {"b_key": key}).one()
    tokens = _refilled(row.tokens, row.updated_at, now, rate_per_second, capacity)
    wait = max(0.0, (1.0 - tokens) / rate_per_second)
    taken = max_wait is None or wait <= max_wait
    session.execute(
        _UPDATE,
        {
            "b_key": key,
            "v_tokens": tokens - 1.0 if taken else tokens,
            "v_rate": rate_per_second,
            "v_burst": capacity,
            "v_now": now,
        },
    )
    return wait if taken else None


_table = cast(Table, RateLimitBucket.__table__)
_LOCK = select(_table.c.tokens, _table.c.updated_at).where(_table.c.key == bindparam("b_key"))
_LOCK_PG = _LOCK.with_for_update()
_UPDATE = (
    update(_table)
    .where(_table.c.key == bindparam("b_key"))
    .values(
        tokens=bindparam("v_tokens"),
        rate_per_second=bindparam("v_rate"),
        burst=bindparam("v_burst"),
        updated_at=bindparam("v_now"),
    )
)


def _refilled(tokens: float, updated_at: datetime, now: datetime, rate: float, capacity: float) -> float:
    # A clock that went backwards (another host) adds nothing rather than taking tokens away. A negative balance
    # (slots reserved ahead) refills the same way, so the next free slot is always 1/rate after the last one.
    elapsed = max(0.0, (now - updated_at).total_seconds())
    return min(capacity, tokens + elapsed * rate)
