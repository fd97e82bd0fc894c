"""When to try a job again: exponential backoff with full jitter, or Ashby's webhook schedule; and `Retry-After`.

A job stores its schedule as JSON (``delivery_jobs.backoff``) so that a webhook to Ashby and an HRIS push can
retry on different clocks through the same engine.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

# No destination gets to park a job for longer than this, whatever its Retry-After says.
MAX_DELAY_SECONDS = 24 * 3600.0

_rng = random.SystemRandom()


@dataclass(frozen=True)
class Backoff:
    """``exponential``: a delay drawn uniformly from [0, min(cap, base * 2**(n-1))] after the n-th failed attempt
    (full jitter, so that jobs which failed together do not retry together).
    ``ashby``: Ashby's documented webhook schedule, ``(2**n - 1) * base`` (base 10 s: 10 s, 30 s, 70 s, ...),
    capped at ``cap``."""

    kind: Literal["exponential", "ashby"] = "exponential"
    base_seconds: float = 2.0
    cap_seconds: float = 3600.0

    @classmethod
    def ashby(cls, unit_seconds: float = 10.0, cap_seconds: float = MAX_DELAY_SECONDS) -> Backoff:
        return cls(kind="ashby", base_seconds=unit_seconds, cap_seconds=cap_seconds)

    def delay(self, failed_attempts: int) -> float:
        n = max(1, failed_attempts)
        if self.kind == "ashby":
            return min(self.cap_seconds, (2.0 ** min(n, 40) - 1) * self.base_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** min(n - 1, 40))
        return _rng.uniform(0, ceiling)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Backoff:
        if not value:
            return cls()
        kind = value.get("kind", "exponential")
        if kind not in ("exponential", "ashby"):
            kind = "exponential"
        return cls(
            kind=kind,
            base_seconds=float(value.get("base_seconds", cls.base_seconds)),
            cap_seconds=float(value.get("cap_seconds", cls.cap_seconds)),
        )


def next_delay(backoff: Backoff, failed_attempts: int, retry_after: float | None) -> float:
    """The wait before the next attempt: the schedule's delay, but never sooner than the destination asked."""
    delay = backoff.delay(failed_attempts)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(max(delay, 0.0), MAX_DELAY_SECONDS)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header in seconds: either delta-seconds or an HTTP date. None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_DELAY_SECONDS)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_DELAY_SECONDS)
