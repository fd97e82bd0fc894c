"""What a running service holds: settings, the database, the keys. One per process, built at start-up."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from hirebridge.db.engine import autocommit, make_engine, make_session_factory
from hirebridge.security import Cipher
from hirebridge.settings import Settings, encryption_keys, signing_key

# Connections one process keeps (``HIREBRIDGE_DB_POOL_SIZE`` overrides): 16 for the API's requests (its 40 threads,
# anyio's default, queue for one when more are busy: on a few CPUs 16 transactions at once keep the database busy,
# and PostgreSQL's default max_connections of 100 must cover every process), one per delivery worker thread, and 2
# for heartbeats. The pool has no overflow on PostgreSQL, so no request opens and closes a connection of its own.
API_CONNECTIONS = 16
SPARE_CONNECTIONS = 2


def pool_size_for(settings: Settings, *, serves_api: bool = True, worker_threads: int | None = None) -> int:
    """Connections for a process that serves the API (or not: ``hirebridge worker``) with its worker threads."""
    if settings.db_pool_size is not None:
        return settings.db_pool_size
    threads = settings.workers_in_process if worker_threads is None else worker_threads
    return (API_CONNECTIONS if serves_api else 0) + threads + SPARE_CONNECTIONS


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    cipher: Cipher
    signing_key: str
    # Set by `serve` once the listening address is known; used for invitation links.
    public_url: str = "http://127.0.0.1:8000"
    # Filled by the features that run background machinery (delivery workers, simulators).
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, serves_api: bool = True, worker_threads: int | None = None
    ) -> Runtime:
        pool_size = pool_size_for(settings, serves_api=serves_api, worker_threads=worker_threads)
        engine = make_engine(settings.database_url, pool_size=pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            cipher=Cipher(encryption_keys(settings)),
            signing_key=signing_key(settings),
            public_url=(settings.public_url or "http://127.0.0.1:8000").rstrip("/"),
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.sessions() as session, session.begin():
            yield session

    def autocommit(self) -> contextlib.AbstractContextManager[Connection]:
        """A connection whose statements stand alone: one round trip per read (``db.engine.autocommit``)."""
        return autocommit(self.engine)

    def close(self) -> None:
        self.engine.dispose()
