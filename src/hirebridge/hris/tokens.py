"""The database-backed ``TokenStore`` the push domain hands a connector: one access token per connection (and key),
fetched once for every worker thread and process.

``refresh`` takes a short *lease* on the token's row: in one transaction (the row locked with ``SELECT ... FOR
UPDATE`` on PostgreSQL; SQLite's single writer, ``BEGIN IMMEDIATE``) it looks again, returns a good token another
worker stored meanwhile, or marks itself as the one fetching. The fetch runs outside any transaction, because it
makes HTTP calls whose rate-limit hook writes to the database too (on SQLite a transaction held across it would
block that write); a second worker finds the lease and waits for the token instead of fetching its own. A lease
outlives the HTTP timeout, so a worker that died mid-fetch is replaced once it lapses. Values are encrypted with the
credentials' key.

Each process also keeps the good tokens it has read or fetched in memory until they expire, so a push does not read
the table (a transaction) for a token it already holds. A token the HRIS refuses is dropped from memory when the
connector asks for a fresh one (``refresh(stale=...)``), which goes to the table as before: another process may
have stored a newer one.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hirebridge.connectors.errors import RetryableError
from hirebridge.connectors.tokens import Token, usable_for
from hirebridge.db.types import utcnow
from hirebridge.hris.models import HrisAccessToken
from hirebridge.runtime import Runtime
from hirebridge.security import DecryptionError

LEASE_SECONDS = 30.0  # longer than a push's HTTP timeout (20 s)
POLL_SECONDS = 0.05


class DbTokenStore:
    def __init__(self, runtime: Runtime, connection_id: str, *, wait_seconds: float = LEASE_SECONDS + 5) -> None:
        self._runtime = runtime
        self._connection_id = connection_id
        self._wait_seconds = wait_seconds

    def get(self, key: str) -> str | None:
        held = _held(self._connection_id, key)
        if held is not None:
            return held
        with self._runtime.sessions() as session:
            row = session.get(HrisAccessToken, (self._connection_id, key))
            value = self._good(row)
            if value is not None and row is not None and row.expires_at is not None:
                _hold(self._connection_id, key, value, row.expires_at)
            return value

    def refresh(self, key: str, fetch: Callable[[], Token], *, stale: str | None = None) -> str:
        _forget(self._connection_id, key, stale)
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self._wait_seconds
        while True:
            with self._runtime.transaction() as session:
                row = self._locked(session, key)
                current = self._good(row)
                if current is not None and current != stale and row.expires_at is not None:
                    _hold(self._connection_id, key, current, row.expires_at)
                    return current
                now = utcnow()
                leased = row.lease_until is not None and row.lease_until > now
                if not leased:
                    row.lease_owner, row.lease_until = owner, now + timedelta(seconds=LEASE_SECONDS)
            if not leased:
                break
            if time.monotonic() >= deadline:
                raise RetryableError("another worker is fetching the HRIS access token; the push will try again")
            time.sleep(POLL_SECONDS)
        try:
            token = fetch()
        except BaseException:
            self._release(key, owner)
            raise
        with self._runtime.transaction() as session:
            row = self._locked(session, key)
            now = utcnow()
            row.value_encrypted = self._runtime.cipher.encrypt_json({"value": token.value})
            row.expires_at = now + timedelta(seconds=usable_for(token.expires_in))
            _hold(self._connection_id, key, token.value, row.expires_at)
            row.updated_at = now
            if row.lease_owner == owner:
                row.lease_owner, row.lease_until = None, None
        return token.value

    def _good(self, row: HrisAccessToken | None) -> str | None:
        if row is None or row.value_encrypted is None or row.expires_at is None or row.expires_at <= utcnow():
            return None
        try:
            value = self._runtime.cipher.decrypt_json(row.value_encrypted).get("value")
        except (DecryptionError, AttributeError):
            return None  # a key rotated away: fetch a new token
        return value if isinstance(value, str) and value else None

    def _release(self, key: str, owner: str) -> None:
        with self._runtime.transaction() as session:
            row = self._locked(session, key)
            if row.lease_owner == owner:
                row.lease_owner, row.lease_until = None, None

    def _locked(self, session: Session, key: str) -> HrisAccessToken:
        dialect = session.get_bind().dialect.name
        query = (
            select(HrisAccessToken)
            .where(HrisAccessToken.connection_id == self._connection_id, HrisAccessToken.key == key)
            .execution_options(populate_existing=True)
        )
        if dialect == "postgresql":
            query = query.with_for_update()
        row = session.scalars(query).first()
        if row is not None:
            return row
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Two first callers may race to create the row: one insert wins, both then lock the same row.
        session.execute(
            insert(HrisAccessToken)
            .values(connection_id=self._connection_id, key=key, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["connection_id", "key"])
        )
        return session.scalars(query).one()


# Good tokens this process holds: (connection id, key) -> (value, expires_at).
_tokens: dict[tuple[str, str], tuple[str, datetime]] = {}
_tokens_lock = threading.Lock()


def _held(connection_id: str, key: str) -> str | None:
    with _tokens_lock:
        held = _tokens.get((connection_id, key))
        if held is None:
            return None
        if held[1] <= utcnow():
            del _tokens[(connection_id, key)]
            return None
        return held[0]


def _hold(connection_id: str, key: str, value: str, expires_at: datetime) -> None:
    with _tokens_lock:
        _tokens[(connection_id, key)] = (value, expires_at)


def _forget(connection_id: str, key: str, stale: str | None) -> None:
    """Drop the held token if it is the one the HRIS refused (or any, without ``stale``: a fresh one is asked for)."""
    with _tokens_lock:
        held = _tokens.get((connection_id, key))
        if held is not None and (stale is None or held[0] == stale):
            del _tokens[(connection_id, key)]
