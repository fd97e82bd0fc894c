"""Workers seen to be alive: each worker process beats a row of ``worker_heartbeats`` every second or so.

Two thresholds, because showing a loss and acting on it carry different risks:
- ``LOST_AFTER_SECONDS`` (6 s): a running job whose lease owner's process has not beaten for that long reads as
  "worker lost, will be retried at ...", so an operator sees a dead worker within seconds.
- ``TAKEOVER_AFTER_SECONDS`` (30 s): only then does the claim treat the job as expired and hand it to another worker,
  still well before its lease ends. A worker beats its row in the same fenced transaction that checks its lease
  right before every HRIS call (``JobContext.heartbeat``), and that call times out after 20 s
  (``hris.push.HTTP_TIMEOUT_SECONDS``). So a process whose beats stall (a busy SQLite writer lock, a long pause) is
  taken over only after any call it started has ended: the new owner's look-up cannot race the old owner's create.
  A takeover is an ``interrupted`` attempt, which looks the record up before it may create again.

A process without a row (or whose row was removed by a clean stop while another ``Worker`` of the same process
runs) falls back to the lease: only a row that went stale says a process died.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, bindparam, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.models import DeliveryJob, WorkerHeartbeat
from hirebridge.runtime import Runtime

HEARTBEAT_SECONDS = 1.0
LOST_AFTER_SECONDS = 6.0
TAKEOVER_AFTER_SECONDS = 30.0  # > the longest HRIS call (20 s) after the beat that precedes it: see above
FORGET_AFTER = timedelta(days=1)  # rows of processes long gone are removed by the living


def process_of(lease_owner: str) -> str:
    """The worker process (``host:pid``) of a lease owner (``host:pid:thread``)."""
    return lease_owner.rsplit(":", 1)[0]


def beat(runtime: Runtime, worker: str, threads: int, *, prune: bool = False) -> None:
    """Record that ``worker`` (``host:pid``) is alive now."""
    started = time.monotonic()
    with runtime.transaction() as session:
        now = utcnow()
        values = {"worker": worker, "started_at": now, "beat_at": now, "threads": threads}
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        statement = insert(WorkerHeartbeat).values(**values)
        session.execute(
            statement.on_conflict_do_update(index_elements=["worker"], set_={"beat_at": now, "threads": threads})
        )
        if prune:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER))
    beaten(worker, started)


def forget(runtime: Runtime, worker: str) -> None:
    """A worker process that stops cleanly removes its row (its jobs were finished or handed back)."""
    with runtime.transaction() as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker == worker))


def beaten(worker: str, started: float) -> None:
    """Note that a transaction that began at ``started`` (time.monotonic()) and beat ``worker``'s row committed."""
    with _last_beats_lock:
        if started > _last_beats.get(worker, float("-inf")):
            _last_beats[worker] = started


def last_beat(worker: str) -> float:
    """time.monotonic() at the start of the latest committed transaction that beat ``worker``'s row in this process
    (``worker`` is a process, ``host:pid``); -inf if none did. The row's ``beat_at`` is no older than that."""
    with _last_beats_lock:
        return _last_beats.get(worker, float("-inf"))


_last_beats: dict[str, float] = {}
_last_beats_lock = threading.Lock()


def beat_owner(session: Session, lease_owner: str) -> None:
    """Record, inside the caller's (fenced) transaction, that the lease owner's process is alive now (the caller
    calls ``beaten`` once it has committed)."""
    session.execute(_BEAT_OWNER, {"b_worker": process_of(lease_owner), "v_beat_at": utcnow()})


_beats = cast(Table, WorkerHeartbeat.__table__)
_BEAT_OWNER = update(_beats).where(_beats.c.worker == bindparam("b_worker")).values(beat_at=bindparam("v_beat_at"))


def owner_silent_since(before: ColumnElement[datetime]) -> ColumnElement[bool]:
    """SQL: the job's lease owner's process has not beaten since ``before`` (a bound parameter: the claim's
    statement is built once and takes ``now - TAKEOVER_AFTER_SECONDS`` at each execution)."""
    prefix = WorkerHeartbeat.worker + ":"
    return exists().where(
        WorkerHeartbeat.beat_at < before,
        func.substr(DeliveryJob.lease_owner, 1, func.length(prefix)) == prefix,
    )


def lost_since(session: Session, lease_owner: str | None) -> datetime | None:
    """When the lease owner's process last beat, if it has stopped beating; None while alive or unknown."""
    if not lease_owner:
        return None
    beat_at = session.scalar(select(WorkerHeartbeat.beat_at).where(WorkerHeartbeat.worker == process_of(lease_owner)))
    if beat_at is None or beat_at >= utcnow() - timedelta(seconds=LOST_AFTER_SECONDS):
        return None
    return beat_at


def live_workers(session: Session) -> int:
    """Worker processes beating now."""
    since = utcnow() - timedelta(seconds=LOST_AFTER_SECONDS)
    return (
        session.scalar(select(func.count()).select_from(WorkerHeartbeat).where(WorkerHeartbeat.beat_at >= since)) or 0
    )
