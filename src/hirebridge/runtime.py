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

# Threads of one process that may hold a database connection at once: the API's (anyio's default thread limiter,
# which FastAPI's ``def`` endpoints and ``run_in_threadpool`` share, is 40 threads) plus the delivery workers'
# (``workers_in_process``) plus a couple for heartbeats. The pool keeps that many, so no request waits on a new one.
API_THREADS = 40
SPARE_CONNECTIONS = 2


def pool_size_for(settings: Settings) -> int:
    return API_THREADS + settings.workers_in_process + SPARE_CONNECTIONS


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
    def from_settings(cls, settings: Settings) -> Runtime:
        engine = make_engine(settings.database_url, pool_size=pool_size_for(settings))
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
