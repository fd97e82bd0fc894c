"""Delivery workers: threads that claim due jobs, run them and record the outcome, until asked to stop.

- ``Worker(runtime, threads)``: N threads in this process, each ``host:pid:n``, plus one heartbeat thread that
  extends the leases of the jobs in hand, and beats the process's row in ``worker_heartbeats`` every second while
  it holds jobs, every ``IDLE_BEAT_SECONDS`` while idle (``delivery.heartbeat``: a running job of a process that
  stopped beating is taken over in seconds, not after its lease). ``stop()`` lets each thread finish its current
  attempt, then exit, and removes the process's row.

Idle threads do not poll. A thread that finds nothing due waits to be woken: by an enqueue in this process, by a
PostgreSQL NOTIFY from any process (``delivery.wakeup``), or by another thread of this worker that just claimed a
job (more may be due: the claims cascade through the idle threads one at a time). One idle thread, the watcher,
also wakes on a timer: when the next pending job is due (the claim says when), and at the latest after
``idle_sleep`` seconds, which is how jobs are found that nobody announced (SQLite across processes, a lost
notification, a worker that died). An idle worker process therefore costs one claim per ``idle_sleep`` and one beat
per ``IDLE_BEAT_SECONDS``, whatever its thread count.
- ``run_worker_process(runtime, threads)``: what ``hirebridge worker`` runs; blocks until SIGTERM or SIGINT.
- ``start_in_background(runtime, threads)``: what ``hirebridge serve`` runs; returns the function that stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime
from types import FrameType

from hirebridge.db.types import utcnow
from hirebridge.delivery.engine import claim_next, execute
from hirebridge.delivery.handlers import JobContext, load_handler_modules, registered_kinds
from hirebridge.delivery.heartbeat import HEARTBEAT_SECONDS, beat, forget
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.wakeup import Listener, add_waker, remove_waker
from hirebridge.observability.jobs import run_job
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
# The longest an idle worker goes without looking for due jobs (the fallback for wake-ups that never come).
DEFAULT_IDLE_SLEEP_SECONDS = 2.0
IDLE_BEAT_SECONDS = 2.5  # well under LOST_AFTER_SECONDS (6 s): an idle process still reads as alive
# A thread that is not the watcher still looks this often, whatever happens to the wake-ups.
MAX_UNWATCHED_SECONDS = 60.0


def worker_id_prefix() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


class Worker:
    """A pool of delivery threads in this process.

    ``kinds``: the job kinds this worker claims; by default every kind registered when it starts (so a worker
    never claims a job it has no handler for).
    """

    def __init__(
        self,
        runtime: Runtime,
        threads: int = 4,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        idle_sleep: float = DEFAULT_IDLE_SLEEP_SECONDS,
        kinds: Collection[str] | None = None,
    ) -> None:
        if threads < 1:
            raise ValueError("a worker needs at least one thread")
        if lease_seconds <= 0 or idle_sleep <= 0:
            raise ValueError("lease_seconds and idle_sleep must be positive")
        self.runtime = runtime
        self.thread_count = threads
        self.lease_seconds = lease_seconds
        self.idle_sleep = idle_sleep
        self._kinds = frozenset(kinds) if kinds is not None else None
        self.kinds: frozenset[str] = frozenset()
        self.stopping = threading.Event()
        self._idle = threading.Condition()
        self._wakes = 0  # wake-ups not yet taken by a thread (at most one per thread)
        self._watching = False  # an idle thread keeps the time (see the module docstring)
        self._due_at: float | None = None  # monotonic time the next pending job is due, as last seen
        self._listener: Listener | None = None
        self.claims = 0  # claim transactions made (tests count the polls)
        self._heartbeat_stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._process_beat: threading.Thread | None = None
        self._process = ""
        self._threads: list[threading.Thread] = []
        self._in_hand: dict[int, JobContext] = {}
        self._in_hand_lock = threading.Lock()

    def start(self) -> None:
        if self._threads:
            raise RuntimeError("this worker has already been started")
        self.kinds = self._kinds if self._kinds is not None else registered_kinds()
        add_waker(self.wake)
        if Listener.supported(self.runtime.engine):
            self._listener = Listener(self.runtime.engine, self.wake)
            self._listener.start()
        prefix = worker_id_prefix()
        self._process = prefix
        try:
            beat(self.runtime, prefix, self.thread_count)  # alive before the first claim
        except Exception:
            log.exception("delivery worker %s could not record its heartbeat (will retry)", prefix)
        for n in range(self.thread_count):
            thread = threading.Thread(target=self._loop, args=(n, f"{prefix}:{n}"), name=f"delivery-{n}", daemon=True)
            self._threads.append(thread)
        self._heartbeat = threading.Thread(target=self._heartbeats, name="delivery-heartbeat", daemon=True)
        self._heartbeat.start()
        self._process_beat = threading.Thread(target=self._beats, name="delivery-process-heartbeat", daemon=True)
        self._process_beat.start()
        for thread in self._threads:
            thread.start()
        log.info("delivery worker started: %d threads, kinds %s", self.thread_count, ", ".join(sorted(self.kinds)))

    def wake(self) -> None:
        """Have one idle thread look for due jobs now (or the next thread that would go idle)."""
        with self._idle:
            self._wakes = min(self._wakes + 1, self.thread_count)
            self._idle.notify()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the attempts in hand, then stop. Safe to call more than once."""
        self.stopping.set()
        with self._idle:
            self._idle.notify_all()
        if self._listener is not None:
            self._listener.stop(timeout)
            self._listener = None
        for thread in self._threads:
            thread.join(timeout)
        # Leases are kept alive until the last attempt in hand has been recorded.
        self._heartbeat_stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout)
        if self._process_beat is not None:
            self._process_beat.join(timeout)
            self._process_beat = None
            try:
                forget(self.runtime, self._process)
            except Exception:
                log.exception("delivery worker %s could not remove its heartbeat", self._process)
        remove_waker(self.wake)
        log.info("delivery worker stopped")

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, index: int, worker_id: str) -> None:
        while not self.stopping.is_set():
            try:
                with self._in_hand_lock:
                    self.claims += 1
                ctx, due = claim_next(self.runtime, worker_id, kinds=self.kinds, lease_seconds=self.lease_seconds)
            except Exception:
                log.exception("delivery worker %s could not claim a job (will retry)", worker_id)
                self.stopping.wait(self.idle_sleep)
                continue
            if ctx is None:
                self._wait_idle(due)
                continue
            self.wake()  # another job may be due: the next idle thread looks
            with self._in_hand_lock:
                self._in_hand[index] = ctx
            try:
                run_job(execute, ctx)  # with its log context and metrics (observability.jobs)
            except Exception:
                # Recording the outcome failed (database gone?): the lease will expire and the job be reclaimed.
                log.exception("delivery worker %s could not record job %s (%s)", worker_id, ctx.job_id, ctx.kind)
            finally:
                with self._in_hand_lock:
                    self._in_hand.pop(index, None)

    def _wait_idle(self, due: datetime | None) -> None:
        """Wait until woken; the watcher also until the next job is due, and at most ``idle_sleep``."""
        with self._idle:
            if due is not None:
                at = time.monotonic() + max(0.0, (due - utcnow()).total_seconds())
                if self._due_at is None or at < self._due_at:
                    self._due_at = at
                    self._idle.notify_all()  # the watcher keeps the earlier time
            watcher = not self._watching
            if watcher:
                self._watching = True
            started = time.monotonic()
            try:
                while not self._wakes and not self.stopping.is_set():
                    now = time.monotonic()
                    if watcher:
                        deadline = started + self.idle_sleep
                        if self._due_at is not None:
                            deadline = min(deadline, self._due_at)
                    else:
                        deadline = started + MAX_UNWATCHED_SECONDS
                    if now >= deadline:
                        break
                    self._idle.wait(deadline - now)
                if self._wakes:
                    self._wakes -= 1
            finally:
                if watcher:
                    self._watching = False
                    self._due_at = None  # the claim that follows says it again
                    self._idle.notify()  # an idle thread may take over the watch

    def _beats(self) -> None:
        count = 0
        last = time.monotonic()
        while not self._heartbeat_stop.wait(HEARTBEAT_SECONDS):
            with self._in_hand_lock:
                busy = bool(self._in_hand)
            if not busy and time.monotonic() - last < IDLE_BEAT_SECONDS:
                continue
            last = time.monotonic()
            count += 1
            try:
                beat(self.runtime, self._process, self.thread_count, prune=count % 600 == 0)
            except Exception:
                log.exception("delivery worker %s could not record its heartbeat (will retry)", self._process)

    def _heartbeats(self) -> None:
        interval = max(self.lease_seconds / 3, 0.05)
        while not self._heartbeat_stop.wait(interval):
            with self._in_hand_lock:
                in_hand = list(self._in_hand.values())
            for ctx in in_hand:
                if time.monotonic() - ctx.verified_at < interval:
                    continue  # its claim (or a check before a call) has just done it
                try:
                    ctx.heartbeat()
                except LeaseLost:
                    with self._in_hand_lock:
                        still_in_hand = any(held is ctx for held in self._in_hand.values())
                    if still_in_hand:
                        log.warning("job %s (%s): lease lost to another worker", ctx.job_id, ctx.kind)
                except Exception:
                    log.exception("heartbeat for job %s failed (will retry)", ctx.job_id)


def start_in_background(
    runtime: Runtime,
    threads: int,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    idle_sleep: float = DEFAULT_IDLE_SLEEP_SECONDS,
) -> Callable[[], None]:
    """Start workers beside the API (``hirebridge serve``); returns the function that stops them gracefully."""
    load_handler_modules()
    worker = Worker(runtime, threads, lease_seconds=lease_seconds, idle_sleep=idle_sleep)
    worker.start()
    return worker.stop


def run_worker_process(
    runtime: Runtime,
    threads: int,
    *,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
    idle_sleep: float = DEFAULT_IDLE_SLEEP_SECONDS,
) -> None:
    """Run workers until SIGTERM or SIGINT (``hirebridge worker``); a second signal stops at once."""
    load_handler_modules()
    worker = Worker(runtime, threads, lease_seconds=lease_seconds, idle_sleep=idle_sleep)
    previous: dict[int, object] = {}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the attempts in hand, then stopping", signum)
        worker.stopping.set()
        worker.wake()
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    for sig in (signal.SIGTERM, signal.SIGINT):
        previous[sig] = signal.signal(sig, on_signal)
    worker.start()
    try:
        while not worker.stopping.wait(1.0):
            pass
    finally:
        worker.stop()
