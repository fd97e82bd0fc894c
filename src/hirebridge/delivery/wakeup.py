"""Waking idle delivery workers when a job is enqueued, so that they need not poll.

- In this process: ``notify_on_commit(session)`` (called by ``enqueue``) calls every registered waker
  (``Worker.wake``) once the enqueueing transaction commits. ``hirebridge serve`` runs its API and its workers in
  one process, so its own enqueues wake its own threads at once.
- In every other process (PostgreSQL only): the same transaction sends ``NOTIFY hirebridge_delivery``. PostgreSQL
  delivers it at commit (never after a rollback, once per transaction whatever the count), and each worker process
  ``LISTEN``s on a connection of its own (``Listener``), outside the pool, which wakes its threads.
- Whatever is missed (SQLite has no NOTIFY, so a `hirebridge worker` beside a SQLite `serve` is not told; a
  listener whose connection dropped) is found by the workers' bounded idle poll (``delivery.worker``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHANNEL = "hirebridge_delivery"
_NOTIFY = text(f"NOTIFY {CHANNEL}")
_NOTIFIED = "delivery_notified_transaction"
_WAKE_REGISTERED = "delivery_wake_registered"

_wakers: set[Callable[[], None]] = set()
_wakers_lock = threading.Lock()


def add_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.add(wake)


def remove_waker(wake: Callable[[], None]) -> None:
    with _wakers_lock:
        _wakers.discard(wake)


def wake_workers() -> None:
    """Wake this process's idle workers now instead of at their next poll."""
    with _wakers_lock:
        wakers = list(_wakers)
    for wake in wakers:
        wake()


def notify_on_commit(session: Session) -> None:
    """Wake the workers of every process once the session's transaction commits (nothing if it rolls back)."""
    transaction = session.get_transaction()
    if session.info.get(_NOTIFIED) is not transaction:
        session.info[_NOTIFIED] = transaction
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_NOTIFY)
    # One listener per session until it fires; after a rollback it fires at the session's next commit (harmless).
    if not session.info.get(_WAKE_REGISTERED):
        session.info[_WAKE_REGISTERED] = True

        def on_commit(committed: Session) -> None:
            committed.info.pop(_WAKE_REGISTERED, None)
            wake_workers()

        event.listen(session, "after_commit", on_commit, once=True)


class Listener:
    """A thread that LISTENs for enqueues on a PostgreSQL connection of its own and calls ``wake`` for each.

    A lost connection is reopened after a pause that grows to ``MAX_RECONNECT_SECONDS``; meanwhile the idle poll
    finds the jobs. ``stop()`` ends it within ``POLL_SECONDS``."""

    POLL_SECONDS = 1.0
    MAX_RECONNECT_SECONDS = 30.0

    def __init__(self, engine: Engine, wake: Callable[[], None]) -> None:
        self._engine = engine
        self._wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delivery-listener", daemon=True)
        self.listening = threading.Event()  # set while a LISTEN is in place (tests wait for it)

    @staticmethod
    def supported(engine: Engine) -> bool:
        return engine.dialect.name == "postgresql"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _connect(self) -> Any:
        import psycopg

        cargs, cparams = self._engine.dialect.create_connect_args(self._engine.url)
        cparams.pop("context", None)
        connection = psycopg.connect(*cargs, **cparams, autocommit=True)
        connection.execute(f"LISTEN {CHANNEL}")
        return connection

    def _run(self) -> None:
        pause = 0.5
        while not self._stop.is_set():
            try:
                connection = self._connect()
            except Exception as exc:
                log.warning("delivery listener cannot connect (%s); idle workers poll meanwhile", type(exc).__name__)
                self._stop.wait(pause)
                pause = min(pause * 2, self.MAX_RECONNECT_SECONDS)
                continue
            pause = 0.5
            self.listening.set()
            self._wake()  # anything enqueued while nobody listened
            try:
                with connection:
                    while not self._stop.is_set():
                        if list(connection.notifies(timeout=self.POLL_SECONDS, stop_after=1)):
                            self._wake()
            except Exception as exc:
                log.warning("delivery listener lost its connection (%s); reconnecting", type(exc).__name__)
            finally:
                self.listening.clear()
