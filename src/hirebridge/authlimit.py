"""Rate limit on failed authentication (partner token endpoint, ATS API keys, console sign-in), shared by every API
process through the database.

Each failure is counted twice: under the credential it named (a partner ``client_id``, or an ATS API key's first
characters) and under the source address, in ``auth_failure_counts`` (one row per scope and SHA-256 of the key: a
window start and a count). A failure writes both counts with one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
statement, which starts a new window when the row's has passed, so every process and machine spends one budget.

Once either count reaches its limit, the process that saw it keeps "blocked until the window ends" in memory, and
further attempts for that credential or from that address are answered 429 with ``Retry-After`` before the
credential is looked at. A process that has not seen the count learns it from its own next failure, which is then
answered 429 instead of 401. So a successful authentication costs no statement here, only a dictionary lookup, and
the budget is exceeded by at most one verified attempt per API process that had not yet seen the limit reached.
The window is fixed: it starts at the first failure after the previous one ended.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import math
import threading
import time
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from hirebridge.db.types import utcnow
from hirebridge.errors import AppError
from hirebridge.orgs.models import AuthFailureCount
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

KEY_PREFIX_CHARS = 12  # "hbk_" and 8 characters of an ATS API key: enough to tell keys apart, useless to an attacker
MAX_BUCKETS = 50_000  # bounded memory: the oldest blocks are forgotten first
PRUNE_EVERY_SECONDS = 60.0  # a process that writes failures deletes rows whose window ended, at most this often
CREDENTIAL, ADDRESS = "credential", "address"


def _digest(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()


class AuthFailureLimiter:
    """Failed authentications per credential and per address, counted in the database, blocks cached here."""

    def __init__(self, runtime: Runtime, per_credential: int, per_address: int, window_seconds: float) -> None:
        self.runtime = runtime
        self.limits = {CREDENTIAL: per_credential, ADDRESS: per_address}
        self.window = window_seconds
        self._blocked: collections.OrderedDict[tuple[str, str], float] = collections.OrderedDict()  # monotonic ends
        self._lock = threading.Lock()
        self._pruned_at = -math.inf

    @staticmethod
    def _buckets(credential: str | None, address: str | None) -> list[tuple[str, str]]:
        return [(scope, key) for scope, key in ((CREDENTIAL, credential), (ADDRESS, address)) if key]

    def blocked_for(self, credential: str | None, address: str | None) -> int | None:
        """Seconds until an attempt for this credential from this address may be tried again; None: go ahead.
        Reads only this process's memory."""
        now = time.monotonic()
        waits: list[float] = []
        with self._lock:
            if not self._blocked:
                return None
            for bucket in self._buckets(credential, address):
                until = self._blocked.get(bucket)
                if until is None:
                    continue
                if until <= now:
                    del self._blocked[bucket]
                else:
                    waits.append(until - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, credential: str | None, address: str | None, *, code: str = "too_many_failed_attempts") -> None:
        """Count a failed authentication; raises the 429 (``too_many_failures(code, ...)``) when this attempt was
        beyond the shared budget, else returns and the caller answers its own refusal. Call it outside any open
        transaction: it writes, and SQLite has one writer."""
        if (wait := self.count_failure(credential, address)) is not None:
            raise too_many_failures(code, wait)

    def count_failure(self, credential: str | None, address: str | None) -> int | None:
        """``failed`` without the raise, for a caller that answers its own 429 (the console's sign-in page):
        the seconds to wait when this attempt was beyond the shared budget, else None."""
        buckets = self._buckets(credential, address)
        if not buckets:
            return None
        try:
            counts = self._count(buckets)
        except SQLAlchemyError as exc:  # the database is unreachable: the attempt fails anyway
            log.warning("could not count a failed authentication: %s", type(exc).__name__)
            return None
        now_wall, now = utcnow(), time.monotonic()
        waits: list[float] = []
        with self._lock:
            for bucket in buckets:
                failures, window_start = counts[(bucket[0], _digest(*bucket))]
                if failures < self.limits[bucket[0]]:
                    continue
                left = (window_start + timedelta(seconds=self.window) - now_wall).total_seconds()
                if left <= 0:
                    continue
                self._blocked.pop(bucket, None)
                self._blocked[bucket] = now + left
                if failures > self.limits[bucket[0]]:
                    waits.append(left)
            while len(self._blocked) > MAX_BUCKETS:
                self._blocked.popitem(last=False)
        return max(1, math.ceil(max(waits))) if waits else None

    def _count(self, buckets: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, datetime]]:
        """One UPSERT for every bucket; returns each one's count and window start, keyed by (scope, digest)."""
        now = utcnow()
        window_ended = AuthFailureCount.window_start <= now - timedelta(seconds=self.window)
        with self.runtime.transaction() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            values = insert(AuthFailureCount).values(
                [
                    {"scope": scope, "key": _digest(scope, key), "window_start": now, "failures": 1}
                    for scope, key in buckets
                ]
            )
            statement = values.on_conflict_do_update(
                index_elements=["scope", "key"],
                set_={
                    "window_start": case(
                        (window_ended, values.excluded.window_start), else_=AuthFailureCount.window_start
                    ),
                    "failures": case((window_ended, 1), else_=AuthFailureCount.failures + 1),
                },
            ).returning(
                AuthFailureCount.scope, AuthFailureCount.key, AuthFailureCount.failures, AuthFailureCount.window_start
            )
            rows = session.execute(statement).all()
            if time.monotonic() - self._pruned_at >= PRUNE_EVERY_SECONDS:
                self._pruned_at = time.monotonic()
                session.execute(delete(AuthFailureCount).where(window_ended))
        return {(row.scope, row.key): (int(row.failures), row.window_start) for row in rows}


_CREATE_LOCK = threading.Lock()


def limiter(runtime: Runtime) -> AuthFailureLimiter:
    """The runtime's limiter, made from its settings on first use."""
    found = runtime.extras.get("auth_failure_limiter")
    if isinstance(found, AuthFailureLimiter):
        return found
    with _CREATE_LOCK:
        found = runtime.extras.get("auth_failure_limiter")
        if not isinstance(found, AuthFailureLimiter):
            s = runtime.settings
            found = AuthFailureLimiter(
                runtime, s.auth_failures_per_credential, s.auth_failures_per_address, s.auth_failure_window_seconds
            )
            runtime.extras["auth_failure_limiter"] = found
        return found


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def too_many_failures(code: str, seconds: int) -> AppError:
    """The 429 both surfaces answer; ``retryAfterSeconds`` in meta also becomes the ``Retry-After`` header."""
    return AppError(
        code,
        f"Too many failed authentication attempts for this credential or from this address; try again in {seconds} s.",
        429,
        meta={"retryAfterSeconds": seconds},
    )
