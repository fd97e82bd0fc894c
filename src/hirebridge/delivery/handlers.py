"""What a job kind does: its handler, the outcomes it can return, and the context it runs in.

A handler is a plain function ``run(ctx) -> Done | RetryLater | GiveUp | Wait``. It runs outside any transaction (it
talks to the outside world); whatever it writes to our database goes through ``ctx.fenced()``, which commits
only while this worker still holds the lease. Anything it raises is sorted in one place
(:func:`outcome_for_exception`) into a retry.

A handler whose success has its own writes (the push's outcome, its mapping) returns them as ``Done(record=...)``:
the engine runs ``record(session)`` in the fenced transaction that marks the job succeeded, so the two commit
together, in one transaction instead of two.

Only a failed exchange with the destination (``RetryLater``) spends one of the job's attempts and grows its backoff.
``Wait`` is a re-check, not an attempt: waiting for the destination's reads to catch up, for a concurrent job, or
for a throttle to lift. It comes back after its own short delay, spends nothing, and is bounded by a count of its own
(``MAX_WAITS``; past it a wait spends an attempt, so nothing loops forever).

A handler may also ``prepare(ctx, session)``: it runs in the transaction that claims the job, so reading what the
attempt needs (and writing what must be committed before the handler's first outside call, such as the push's
write-ahead record and its rate-limit slot) costs no transaction of its own. It stores what it read on
``ctx.prepared``, or returns an outcome that ends the attempt without running the handler. A prepare that raises
rolls the claim back; the worker then claims again at once without prepares (the handler then reads for itself).

``on_give_up(ctx, session, message)`` runs when the job ends in failure, whether the handler gave up or the
attempts ran out (dead letter), in the same fenced transaction that marks the job failed.

Other features register their kinds at import time; list the module in ``HANDLER_MODULES`` so that every
worker process (``hirebridge worker`` and ``hirebridge serve``) imports it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from hirebridge.delivery.heartbeat import beat_owner, beaten, last_beat, process_of
from hirebridge.delivery.lease import LeaseLost, renew_lease
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

# How long the claim's (or a heartbeat's) check of the lease covers a call that leaves after it: see
# ``JobContext.recently_verified``. Well under TAKEOVER_AFTER_SECONDS minus the 20 s HTTP timeout.
FRESH_SECONDS = 2.0
FRESH_BEAT_SECONDS = 3.0  # TAKEOVER_AFTER_SECONDS (30 s) - 3 s still exceeds the HTTP timeout (20 s) by 7 s

# Modules that register job kinds, or subscribe to what jobs announce, when imported. Features add theirs here.
HANDLER_MODULES: tuple[str, ...] = (
    "hirebridge.delivery.webhook",
    "hirebridge.hris.push",
    "hirebridge.ats.events",  # the pushToHRIS webhook, subscribed to hris.events.push_finished
)


@dataclass(frozen=True)
class Done:
    """The destination accepted the work. ``detail`` is kept on the attempt (no personal data).

    ``record``, if given, writes what the success means to our own data; it runs inside the transaction that
    marks the job succeeded (see the module docstring)."""

    detail: str | None = None
    http_status: int | None = None
    record: Callable[[Session], None] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class RetryLater:
    """Try again later: not before ``retry_after`` seconds if the destination said so (Retry-After).

    ``label`` names the attempt's outcome in its record (``retry``, ``unknown``, ...)."""

    message: str
    retry_after: float | None = None
    http_status: int | None = None
    label: str = "retry"


@dataclass(frozen=True)
class GiveUp:
    """This can never succeed (the destination refused it): fail the job now with the destination's message."""

    message: str
    http_status: int | None = None
    label: str = "rejected"


@dataclass(frozen=True)
class Wait:
    """Check again in ``seconds``: nothing failed, so no attempt is spent and the backoff does not grow.

    ``reason`` is kept on the claim's record (outcome ``waited``); the job's ``last_error`` keeps the last failure."""

    seconds: float
    reason: str
    http_status: int | None = None


Outcome = Done | RetryLater | GiveUp | Wait


@dataclass
class JobContext:
    """One attempt at one job, as its handler sees it."""

    runtime: Runtime
    job_id: str
    organization_id: str
    kind: str
    payload: dict[str, Any]
    attempt_number: int  # this claim's number (the lease's fence token); waits included
    max_attempts: int
    worker_id: str
    # The previous attempt's worker stopped while it held the lease (crash, kill, lost host): its effect is unknown.
    interrupted: bool
    lease_seconds: float
    attempt_id: str
    subject_id: str | None = None
    rate_key: str | None = None
    waits: int = 0  # earlier claims of this job that were waits, not attempts
    # Requests and responses of this attempt, redacted by whoever appends them; stored with the attempt.
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    # What the handler's ``prepare`` read (and wrote) in the claim's transaction; None without a prepare.
    prepared: Any = None
    # The attempt's outcome when ``prepare`` settled it (the handler then does not run).
    prepared_outcome: Done | RetryLater | GiveUp | Wait | None = None
    # time.monotonic() taken just before the latest transaction that verified this lease and beat this worker's
    # process row (the claim, ``heartbeat()``): see ``recently_verified``.
    verified_at: float = float("-inf")
    _lost: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def spent_attempts(self) -> int:
        """Attempts spent so far, this one included: claims that were not waits."""
        return self.attempt_number - self.waits

    @property
    def is_last_attempt(self) -> bool:
        return self.spent_attempts >= self.max_attempts

    @property
    def lease_lost(self) -> bool:
        return self._lost.is_set()

    def mark_lease_lost(self) -> None:
        self._lost.set()

    def recently_verified(self) -> bool:
        """True while a call may leave without a ``heartbeat()`` of its own: the lease was verified less than
        ``FRESH_SECONDS`` (and a quarter of the lease) ago, and this process's row beat less than
        ``FRESH_BEAT_SECONDS`` ago. A takeover comes only once the lease has ended or the row has not beaten for
        ``TAKEOVER_AFTER_SECONDS``, both still well after a call started now has timed out (20 s)."""
        now = time.monotonic()
        return (
            now - self.verified_at < min(FRESH_SECONDS, self.lease_seconds / 4)
            and now - last_beat(process_of(self.worker_id)) < FRESH_BEAT_SECONDS
        )

    @contextlib.contextmanager
    def fenced(self) -> Iterator[Session]:
        """A transaction that first verifies (and extends) this worker's lease; LeaseLost rolls it back."""
        if self._lost.is_set():
            raise LeaseLost(self.job_id)
        try:
            with self.runtime.transaction() as session:
                self._renew(session)
                yield session
        except LeaseLost:
            self._lost.set()
            raise

    def heartbeat(self) -> None:
        """Extend the lease and beat this worker's process row (call it right before an outside call and during long
        work; the worker also does it on a timer). A takeover waits ``TAKEOVER_AFTER_SECONDS`` from this beat."""
        started = time.monotonic()
        with self.fenced() as session:
            beat_owner(session, self.worker_id)
        beaten(process_of(self.worker_id), started)
        self.verified_at = max(self.verified_at, started)

    def _renew(self, session: Session) -> None:
        renew_lease(
            session,
            job_id=self.job_id,
            owner=self.worker_id,
            attempt=self.attempt_number,
            lease_seconds=self.lease_seconds,
        )


Run = Callable[[JobContext], Outcome]
OnGiveUp = Callable[[JobContext, Session, str], None]
Prepare = Callable[[JobContext, Session], Outcome | None]


@dataclass(frozen=True)
class Handler:
    kind: str
    run: Run
    on_give_up: OnGiveUp | None = None
    prepare: Prepare | None = None


_registry: dict[str, Handler] = {}
_registry_lock = threading.Lock()


def register(kind: str, run: Run, on_give_up: OnGiveUp | None = None, *, prepare: Prepare | None = None) -> None:
    """Register (or replace) the handler of a job kind."""
    if not kind or len(kind) > 40:
        raise ValueError("a job kind is 1 to 40 characters")
    with _registry_lock:
        _registry[kind] = Handler(kind, run, on_give_up, prepare)


def unregister(kind: str) -> None:
    with _registry_lock:
        _registry.pop(kind, None)


def get_handler(kind: str) -> Handler | None:
    with _registry_lock:
        return _registry.get(kind)


def registered_kinds() -> frozenset[str]:
    with _registry_lock:
        return frozenset(_registry)


def load_handler_modules() -> None:
    """Import every module in HANDLER_MODULES so that its kinds are registered in this process."""
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # The other kinds still run; this one's jobs wait for a worker that can import it.
            log.error("job handler module %s cannot be imported (missing %s)", name, exc.name)


def outcome_for_exception(ctx: JobContext, exc: BaseException) -> RetryLater:
    """The one place where an unexpected exception from a handler becomes an outcome: a retry.

    The stored message names the exception type only, and the log gets the traceback's frames without the
    exception's text: either could carry the payload's personal data.
    """
    name = type(exc).__name__
    frames = "".join(traceback.format_tb(exc.__traceback__))
    causes: list[str] = []
    inner = exc.__cause__ or exc.__context__
    while inner is not None and len(causes) < 5:
        causes.append(type(inner).__name__)
        inner = inner.__cause__ or inner.__context__
    log.error(
        "job %s (%s) attempt %d raised %s%s\n%s",
        ctx.job_id,
        ctx.kind,
        ctx.attempt_number,
        name,
        f" (caused by {' <- '.join(causes)})" if causes else "",
        frames.rstrip(),
    )
    return RetryLater(f"unexpected error: {name}", label="error")
