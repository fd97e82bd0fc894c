"""Access tokens shared by every worker: the ``TokenStore`` a connector caches its vendor's tokens in.

A connector whose HRIS hands out access tokens (ADP, Personio) asks the store first and fetches a new token only when
there is none that is still good. ``refresh`` runs the fetch under a lock that every thread and process of the
service shares, and looks again once it holds the lock, so a token expiring under 16 busy workers is fetched once,
not 16 times. The push domain passes a database-backed store (``hirebridge.hris.tokens``); without one a connector
falls back to ``MemoryTokenStore`` (one process).

Keys are the connector's own (say ``"adp:token:<fingerprint of the client id>"``); a store is per connection.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["MemoryTokenStore", "Token", "TokenStore", "fingerprint", "usable_for"]

# A token is put aside this long before it expires (at most; a tenth of a short lifetime), so a call never leaves
# with a token that expires on its way.
EARLY_SECONDS = 120.0


@dataclass(frozen=True)
class Token:
    """What a fetch returns: the token and how long the vendor says it lasts."""

    value: str
    expires_in: float


def fingerprint(*parts: str) -> str:
    """A short, non-reversible name for a credential, for keys: never the credential itself."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def usable_for(expires_in: float) -> float:
    """How long a token that lasts ``expires_in`` seconds is used: until shortly before it expires."""
    expires_in = max(0.0, float(expires_in))
    return max(0.0, expires_in - min(EARLY_SECONDS, expires_in / 10))


class TokenStore(Protocol):
    def get(self, key: str) -> str | None:
        """The stored token, if it is still good (not within the early margin of its expiry)."""
        ...

    def refresh(self, key: str, fetch: Callable[[], Token], *, stale: str | None = None) -> str:
        """A good token: under the shared lock, the stored one if it is good and is not ``stale`` (the token the
        caller saw refused), else the result of ``fetch()``, stored. Errors of ``fetch`` propagate; nothing is
        stored then."""
        ...


class MemoryTokenStore:
    """A store for one process: a dict under a lock (the fallback, and for tests of a connector alone)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}  # one per key: fetching one token may need another
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        found = self._tokens.get(key)
        if found is None or found[1] <= time.monotonic():
            return None
        return found[0]

    def refresh(self, key: str, fetch: Callable[[], Token], *, stale: str | None = None) -> str:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            current = self.get(key)
            if current is not None and current != stale:
                return current
            token = fetch()
            self._tokens[key] = (token.value, time.monotonic() + usable_for(token.expires_in))
            return token.value
