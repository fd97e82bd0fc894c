"""Delivery workers: threads that claim due jobs, run them and record the outcome, until asked to stop.

- ``Worker(runtime, threads)``: N threads in this process, each ``host:pid:n``, polling with a short idle sleep
  (woken at once when this process enqueues), plus one heartbeat thread that extends the leases of the jobs
  in hand, and beats the process's row in ``worker_heartbeats`` every second (``delivery.heartbeat``: a
  running job of a process that stopped beating is taken over in seconds, not after its lease). ``stop()`` lets
  each thread finish its current attempt, then exit, and removes the process's row.
- ``run_worker_process(runtime, threads)``: what ``hirebridge worker`` runs; blocks until SIGTERM or SIGINT.
- ``start_in_background(runtime, threads)``: what ``hirebridge serve`` runs; returns the function that stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Collection
from types import FrameType

from hirebridge.delivery.engine import add_wake_event, claim, execute, remove_wake_event
from hirebridge.delivery.handlers import JobContext, load_handler_modules, registered_kinds
from hirebridge.delivery.heartbeat import HEARTBEAT_SECONDS, beat, forget
from hirebridge.delivery.lease import LeaseLost
from hirebridge.observability.jobs import run_job
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_IDLE_SLEEP_SECONDS = 0.5


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
        self._wake = threading.Event()
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
        add_wake_event(self._wake)
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
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Finish the attempts in hand, then stop. Safe to call more than once."""
        self.stopping.set()
        self._wake.set()
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
        remove_wake_event(self._wake)
        log.info("delivery worker stopped")

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, index: int, worker_id: str) -> None:
        while not self.stopping.is_set():
            try:
                ctx = claim(self.runtime, worker_id, kinds=self.kinds, lease_seconds=self.lease_seconds)
            except Exception:
                log.exception("delivery worker %s could not claim a job (will retry)", worker_id)
                self.stopping.wait(self.idle_sleep)
                continue
            if ctx is None:
                self._wake.wait(self.idle_sleep)
                self._wake.clear()
                continue
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

    def _beats(self) -> None:
        count = 0
        while not self._heartbeat_stop.wait(HEARTBEAT_SECONDS):
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
