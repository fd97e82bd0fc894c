"""Rate limit on failed authentication (partner token endpoint, ATS API keys), per process.

Each failure is counted twice: under the credential it named (a partner ``client_id``, or an ATS API key's first
characters) and under the source address. Once either count reaches its limit within the sliding window, further
attempts for that credential or from that address are answered 429 with ``Retry-After`` before the credential is
looked at, until the oldest failure leaves the window. A successful authentication is never counted, delayed or
checked here beyond one dictionary lookup. The counts live in the process's memory: with several API processes
each keeps its own, so the effective limit is the setting times the number of processes.
"""

from __future__ import annotations

import collections
import math
import threading
import time

from fastapi import Request

from hirebridge.errors import AppError
from hirebridge.runtime import Runtime

KEY_PREFIX_CHARS = 12  # "hbk_" and 8 characters of an ATS API key: enough to tell keys apart, useless to an attacker
MAX_BUCKETS = 50_000  # bounded memory: the least recently failed buckets are forgotten first


class AuthFailureLimiter:
    """Sliding-window counts of failed authentications, per credential and per address."""

    def __init__(self, per_credential: int, per_address: int, window_seconds: float) -> None:
        self.per_credential = per_credential
        self.per_address = per_address
        self.window = window_seconds
        self._failures: collections.OrderedDict[tuple[str, str], collections.deque[float]] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _retry_after(self, bucket: tuple[str, str], limit: int, now: float) -> int | None:
        times = self._failures.get(bucket)
        if not times:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < limit:
            return None
        return max(1, math.ceil(times[-limit] + self.window - now))

    def blocked_for(self, credential: str | None, address: str | None) -> int | None:
        """Seconds until an attempt for this credential from this address may be tried again; None: go ahead."""
        now = time.monotonic()
        waits: list[int] = []
        with self._lock:
            if credential is not None and (wait := self._retry_after(("c", credential), self.per_credential, now)):
                waits.append(wait)
            if address is not None and (wait := self._retry_after(("a", address), self.per_address, now)):
                waits.append(wait)
        return max(waits) if waits else None

    def failed(self, credential: str | None, address: str | None) -> None:
        now = time.monotonic()
        with self._lock:
            for bucket in ((("c", credential),) if credential else ()) + ((("a", address),) if address else ()):
                times = self._failures.pop(bucket, None) or collections.deque(
                    maxlen=max(self.per_credential, self.per_address)
                )
                times.append(now)
                self._failures[bucket] = times
            while len(self._failures) > MAX_BUCKETS:
                self._failures.popitem(last=False)


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
                s.auth_failures_per_credential, s.auth_failures_per_address, s.auth_failure_window_seconds
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
