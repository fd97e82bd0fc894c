"""Engine and session factory.

SQLite is the embedded default and has one writer: every transaction starts with ``BEGIN IMMEDIATE`` so
that two writers queue on the busy timeout instead of failing when a read lock cannot be upgraded.
PostgreSQL runs at READ COMMITTED; the delivery engine takes its row locks explicitly.
Both hide SQL parameters from error messages (``hide_parameters``): they are candidates' names, emails and phone
numbers, and an error's message ends up in tracebacks and logs.

The pool holds as many connections as the process has threads doing database work (``pool_size``), so a busy
process does not open and close connections. A checked-out connection is not pinged (a round trip per checkout),
except one that sat idle in the pool for ``IDLE_PING_SECONDS``: a server restart or a firewall's idle timeout is
found then, and the pool replaces the connection. A connection that dies under load anyway fails its statement
with a disconnect error; SQLAlchemy then discards every pooled connection older than that error, and
``is_disconnect`` tells callers that may safely run their transaction again (``core.intake.retry_on_conflict``).

No database work on the event loop: a statement run on a thread whose asyncio loop is running would stop every
other request of the process until the database answers. ``guard_event_loop`` (installed on every engine) logs a warning
then, or raises ``BlockingDatabaseCall`` with ``HIREBRIDGE_EVENT_LOOP_GUARD=raise`` (the test suite runs so, and its
static check covers the routes no test calls), or does nothing with ``off``: in production a slow request is better
than a refused one. The ASGI lifespan (start-up and shutdown, when nothing is being served) is exempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("hirebridge.db")

DEFAULT_POOL_SIZE = 16
IDLE_PING_SECONDS = 10.0
GUARD_ENV = "HIREBRIDGE_EVENT_LOOP_GUARD"
AUTOCOMMIT_OPTION = "hirebridge_autocommit"  # see ``autocommit``
_LIFESPAN_COROUTINES = ("LifespanOn.main",)  # uvicorn's start-up/shutdown task


class BlockingDatabaseCall(RuntimeError):
    """Database work was started on a running event loop's thread; run it in a worker thread instead."""


def make_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any) -> Engine:
    kwargs.setdefault("hide_parameters", True)
    pool_size = max(1, pool_size)
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=pool_size,
            **kwargs,
        )
        _configure_sqlite(engine)
    else:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        engine = create_engine(url, pool_size=pool_size, max_overflow=0, **kwargs)  # bounded: see runtime.py
    _ping_after_idle(engine)
    guard_event_loop(engine, os.environ.get(GUARD_ENV, "warn"))
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions start (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(AUTOCOMMIT_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_after_idle(engine: Engine) -> None:
    """Ping a connection on checkout only when it has been idle in the pool for ``IDLE_PING_SECONDS``."""

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["hirebridge_idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("hirebridge_idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"pooled connection failed its ping: {type(error).__name__}") from None
        if not alive:
            raise exc.DisconnectionError("pooled connection failed its ping")


def is_disconnect(error: BaseException) -> bool:
    """True for a statement that failed because its connection was lost (the pool has replaced it)."""
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def _on_event_loop_thread() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    task = asyncio.current_task()
    if task is not None:
        name = getattr(task.get_coro(), "__qualname__", "")
        if name in _LIFESPAN_COROUTINES:
            return False
    return True


def guard_event_loop(engine: Engine, mode: str = "raise") -> None:
    """Refuse (``raise``) or log (``warn``) a statement run on the thread of a running event loop."""
    if mode == "off":
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _check(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if not _on_event_loop_thread():
            return
        message = (
            "database work on the event loop blocks every request of this process: "
            f"run it in a worker thread (statement: {statement.split(None, 1)[0] if statement else '?'} ...)"
        )
        if mode == "warn":
            log.warning(message)
            return
        raise BlockingDatabaseCall(message)


@contextlib.contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection whose every statement stands alone: a single read costs one round trip, without the BEGIN and
    ROLLBACK of a transaction (PostgreSQL: the driver's autocommit; SQLite: no ``BEGIN IMMEDIATE``, whose write
    lock a read does not need). For reads whose answer needs no transaction (an API key's look-up)."""
    options: dict[str, Any] = {AUTOCOMMIT_OPTION: True}
    if engine.dialect.name != "sqlite":  # pysqlite's reset would undo the recipe above; SQLite needs no option
        options["isolation_level"] = "AUTOCOMMIT"
    with engine.connect() as connection:
        connection.execution_options(**options)
        yield connection


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextlib.contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
