"""The ``hris_push`` job: send one hire to one HRIS connection, exactly once in effect.

Every attempt follows the same steps (PRODUCT.md section 5):

1. A push already succeeded or failed is done (a re-run after a crash changes nothing).
2. A candidate with a remote record on this connection is *updated* there.
3. Otherwise, if an earlier create's outcome is unknown (a lost response, a killed worker), wait until the HRIS's
   reads have caught up (the connector's ``read_lag_seconds``, or the connection's ``settings.readLagSeconds``, after
   the uncertain attempt), then look the person up and *adopt* the record if it is there.
4. Otherwise *create*, write-ahead: ``outcome_unknown`` is committed before the request leaves, and cleared only by
   a definite answer. A crash or a lost response at any point leaves the flag set, so the next attempt looks up
   before it may create again.

On success, the remote record mapping, the push's outcome and the job's success are written in one fenced
transaction. A refusal by the HRIS fails the push with the HRIS's own message; a transient failure retries on the
job's schedule, never sooner than the HRIS's ``Retry-After``. Every HTTP call first takes a token from the
connection's rate limit.

Only a failed exchange with the HRIS (a 5xx, a lost answer, no connection, a killed worker) spends one of the push's
attempts. Waiting is not failing: the HRIS's read lag before a look-up, another push of the same person in flight,
and the HRIS's own throttle (429) are ``Wait`` outcomes, re-checked on their own short schedule without spending an
attempt or growing the backoff (``delivery.handlers``).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hirebridge.connectors.base import Connector, RemoteRef
from hirebridge.connectors.errors import AuthError, ConnectorError, OutcomeUnknownError, RejectedError, RetryableError
from hirebridge.connectors.registry import UnsupportedSystem, make_connector
from hirebridge.connectors.transport import make_http_client
from hirebridge.core.models import Candidate
from hirebridge.db.types import utcnow
from hirebridge.delivery.backoff import MAX_DELAY_SECONDS, Backoff
from hirebridge.delivery.engine import enqueue, wake_workers
from hirebridge.delivery.handlers import Done, GiveUp, JobContext, Outcome, RetryLater, Wait, register
from hirebridge.delivery.heartbeat import TAKEOVER_AFTER_SECONDS, live_workers, lost_since
from hirebridge.delivery.lease import LeaseLost
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.delivery.ratelimit import acquire
from hirebridge.hris import events
from hirebridge.hris.models import HrisPush, PushState, RemoteRecord
from hirebridge.hris.push_plan import CONCURRENT_WAIT_SECONDS, TERMINAL, Plan, read_plan, update_push, upsert_mapping
from hirebridge.hris.push_plan import rate_key as rate_key  # re-exported: the passthrough and the console use it
from hirebridge.hris.tokens import DbTokenStore
from hirebridge.observability import context as log_context
from hirebridge.observability import metrics as observed
from hirebridge.runtime import Runtime
from hirebridge.security import DecryptionError

log = logging.getLogger(__name__)

KIND = "hris_push"
MAX_ATTEMPTS = 10
# 2 s, 4 s, 8 s, ... drawn with full jitter; the engine caps it at HIREBRIDGE_RETRY_BACKOFF_CAP_SECONDS (60 s).
BACKOFF = Backoff(base_seconds=2.0, cap_seconds=MAX_DELAY_SECONDS)
THROTTLE_WAIT_SECONDS = 1.0  # a 429 without Retry-After
HTTP_TIMEOUT_SECONDS = 20.0  # well under the 60 s lease
UNRESOLVABLE = (
    "an earlier create of this hire may have reached the HRIS (its answer was lost) and the hire has no email to "
    "look the employee up by, so hirebridge will not risk creating a second one. Look for the employee in the HRIS, "
    "then run `hirebridge pushes resolve {push_id} --org {organization_id} --remote-id ID` if it is there or "
    "`--not-created` if it is not, and retry the push"
)


def enqueue_push(session: Session, push: HrisPush) -> DeliveryJob:
    """Queue the job that carries out ``push``, in the caller's transaction (one job per push)."""
    return enqueue(
        session,
        kind=KIND,
        organization_id=push.organization_id,
        payload={"push_id": push.id},
        subject_id=push.id,
        dedupe_key=f"{KIND}:{push.id}",
        rate_key=rate_key(push.connection_id),
        max_attempts=MAX_ATTEMPTS,
        backoff=BACKOFF,
    )


def wait_for_push(runtime: Runtime, push_id: str, timeout: float, interval: float = 0.075) -> HrisPush:
    """The push once it has succeeded or failed, or as it stands after ``timeout`` seconds (any process may run it)."""
    wake_workers()
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        with runtime.sessions() as session:
            push = session.get(HrisPush, push_id)
            if push is None:
                raise LookupError("no such push")
            session.expunge(push)
        if push.state in TERMINAL or time.monotonic() >= deadline:
            return push
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def worker_lost_message(session: Session, push: HrisPush) -> str | None:
    """For a running push whose worker process stopped beating: "worker lost, will be retried at ..."; else None."""
    if push.state != PushState.RUNNING:
        return None
    job = session.scalars(
        select(DeliveryJob).where(
            DeliveryJob.subject_id == push.id, DeliveryJob.kind == KIND, DeliveryJob.state == JobState.RUNNING
        )
    ).first()
    if job is None:
        return None
    since = lost_since(session, job.lease_owner)
    if since is None:
        return None
    lost = f"worker lost (no heartbeat since {since:%H:%M:%S} UTC)"
    if live_workers(session) == 0:
        ends = f"{job.lease_expires_at:%H:%M:%S} UTC" if job.lease_expires_at is not None else "its lease ends"
        return f"{lost}; will be retried when a worker is running (at the latest {ends})"
    retry_at = max(since + timedelta(seconds=TAKEOVER_AFTER_SECONDS), utcnow())
    return f"{lost}; will be retried at {retry_at:%H:%M:%S} UTC"


def prepare_push(ctx: JobContext, session: Session) -> Outcome | None:
    """In the claim's transaction: read the plan, mark the push running, and for a create commit the write-ahead
    record and take the call's rate-limit slot, so that the call can leave as soon as the claim commits."""
    plan_or_outcome = read_plan(session, ctx, str(ctx.payload["push_id"]))
    if isinstance(plan_or_outcome, Plan):
        ctx.prepared = plan_or_outcome
        return None
    return plan_or_outcome


def run_push(ctx: JobContext) -> Outcome:
    if isinstance(ctx.prepared, Plan):
        plan = ctx.prepared
    else:  # claimed without prepare (see delivery.handlers): read the plan in a transaction of its own
        with ctx.fenced() as session:
            plan_or_outcome = read_plan(session, ctx, str(ctx.payload["push_id"]))
        if not isinstance(plan_or_outcome, Plan):
            return plan_or_outcome
        plan = plan_or_outcome
    log_context.bind(hris=plan.system)  # for the job's log lines and metrics; run_job restores it
    try:
        outcome = _attempt(ctx, plan)
    except LeaseLost:
        raise
    except Exception:
        _unsent(ctx, plan)
        raise
    if not isinstance(outcome, Done):
        _unsent(ctx, plan)
    return outcome


def _unsent(ctx: JobContext, plan: Plan) -> None:
    """A create whose write-ahead record the claim committed, but whose request never left (the attempt ended before
    it: credentials that cannot be decrypted, a payload the mapping refuses): nothing can have reached the HRIS, so
    the flag is cleared, as a definite refusal clears it."""
    if plan.written_ahead and not plan.create_sent:
        try:
            _clear_unknown(ctx, plan.push_id)
        except LeaseLost:
            pass  # the new owner treats the push as uncertain and looks it up: safe
        except Exception:
            log.exception("push %s: could not clear the write-ahead record of a create never sent", plan.push_id)


def _attempt(ctx: JobContext, plan: Plan) -> Outcome:
    try:
        credentials = ctx.runtime.cipher.decrypt_json(plan.credentials_encrypted)
    except DecryptionError as exc:
        return GiveUp(str(exc), label="auth")
    with make_http_client(
        timeout=HTTP_TIMEOUT_SECONDS,
        on_exchange=ctx.exchanges.append,
        before_request=lambda: _before_call(ctx, plan),
        allow_private_network=ctx.runtime.settings.private_network_allowed,
    ) as http:
        try:
            connector = make_connector(
                plan.system,
                base_url=plan.base_url,
                credentials=credentials,
                field_mapping=plan.field_mapping,
                settings=plan.connection_settings,
                http=http,
                token_store=DbTokenStore(ctx.runtime, plan.connection_id),
            )
        except UnsupportedSystem as exc:
            return GiveUp(str(exc))
        try:
            return _push(ctx, plan, connector)
        except OutcomeUnknownError as exc:
            return _retry(ctx, plan, _message(exc), exc.retry_after, exc.http_status, label="unknown")
        except RetryableError as exc:
            if exc.http_status == 429:  # the HRIS's rate limit: nothing was done, and nothing failed
                return _wait(ctx, plan, _message(exc), exc.retry_after or THROTTLE_WAIT_SECONDS, exc.http_status)
            return _retry(ctx, plan, _message(exc), exc.retry_after, exc.http_status)
        except AuthError as exc:
            return GiveUp(_message(exc), http_status=exc.http_status, label="auth")
        except RejectedError as exc:
            return GiveUp(_message(exc), http_status=exc.http_status)


def _before_call(ctx: JobContext, plan: Plan) -> None:
    """Take a rate-limit slot (the first call's was taken with the plan), then make sure this worker still holds
    the lease (LeaseLost if not), so that a call delayed past a takeover (a slow slot, a stalled process) is not
    sent beside the new owner's. The claim (or the last check) verified the lease and beat the process row: while
    that is recent (``JobContext.recently_verified``), no takeover can come before this call ends."""
    if plan.slot_at is not None:
        delay, plan.slot_at = plan.slot_at - time.monotonic(), None
        if delay > 0:
            time.sleep(delay)
            observed.rate_limit_waited(delay)  # hirebridge_rate_limit_waits_total{limiter="hirebridge"}
    else:
        acquire(ctx.runtime, rate_key(plan.connection_id), plan.rate_per_second)
    if not ctx.recently_verified():
        ctx.heartbeat()


def _push(ctx: JobContext, plan: Plan, connector: Connector) -> Outcome:
    payload = connector.build_payload(plan.hire)
    if plan.remote_id is not None:
        updated = connector.update(plan.remote_id, payload)
        if isinstance(updated, RemoteRef):  # the record changed: a pre-hire was hired (Workday)
            return _succeed(ctx, plan, updated, "update")
        return _succeed(ctx, plan, RemoteRef(plan.remote_id, kind=plan.remote_kind, http_status=updated), "update")
    if plan.uncertain:
        if not connector.can_find(plan.hire):
            message = UNRESOLVABLE.format(push_id=plan.push_id, organization_id=plan.organization_id)
            return GiveUp(message, label="unknown")  # the outcome stays unknown until an operator settles it
        if plan.uncertain_since is not None:
            ready_at = plan.uncertain_since + timedelta(seconds=_read_lag_seconds(plan, connector))
            remaining = (ready_at - utcnow()).total_seconds()
            if remaining > 0:
                message = f"waiting {remaining:.0f} s for the HRIS's reads to show an earlier, unconfirmed create"
                return _wait(ctx, plan, message, remaining, None)
        found = connector.find_existing(plan.hire)
        if found is not None:
            return _succeed(ctx, plan, found, "adopt")
    if not plan.written_ahead:  # an uncertain push that found nothing: its write-ahead record now
        blocked = _write_ahead(ctx, plan)
        if blocked is not None:
            return blocked
    plan.create_sent = True  # from here on, only a definite answer clears the write-ahead record
    try:
        created = connector.create(payload)
    except OutcomeUnknownError:
        with ctx.fenced() as session:
            push = _push_row(session, plan.push_id)
            push.outcome_unknown_at = utcnow()  # the lag counts from the moment we lost sight of the write
        raise
    except ConnectorError:
        _clear_unknown(ctx, plan.push_id)  # a definite answer: nothing was written
        raise
    return _succeed(ctx, plan, created, "create")


def _read_lag_seconds(plan: Plan, connector: Connector) -> float:
    """How long the HRIS's reads may lag its writes: the connector's figure, or the connection's own setting."""
    configured = plan.connection_settings.get("readLagSeconds")
    if isinstance(configured, int | float) and 0 <= configured <= 3600:
        return float(configured)
    return float(connector.read_lag_seconds)


def _write_ahead(ctx: JobContext, plan: Plan) -> Outcome | None:
    """Commit "outcome unknown" before the create leaves; None when the create may go ahead."""
    with ctx.fenced() as session:
        # Serialise creates of one person: two applications of the same candidate pushed at once.
        candidate_query = select(Candidate.id).where(Candidate.id == plan.candidate_id)
        if session.get_bind().dialect.name == "postgresql":
            candidate_query = candidate_query.with_for_update()
        session.execute(candidate_query)
        other = session.scalar(
            select(HrisPush.id).where(
                HrisPush.connection_id == plan.connection_id,
                HrisPush.candidate_id == plan.candidate_id,
                HrisPush.id != plan.push_id,
                HrisPush.state == PushState.RUNNING,
                HrisPush.outcome_unknown.is_(True),
            )
        )
        if other is not None or _remote_record(session, plan.connection_id, plan.candidate_id) is not None:
            blocked = True
        else:
            blocked = False
            session.execute(
                update(HrisPush)
                .where(HrisPush.id == plan.push_id)
                .values(outcome_unknown=True, outcome_unknown_at=utcnow())
                .execution_options(synchronize_session=False)
            )
    if blocked:
        message = "another push of this candidate to this HRIS is in flight; retrying after it"
        return _wait(ctx, plan, message, CONCURRENT_WAIT_SECONDS, None)
    return None


def _clear_unknown(ctx: JobContext, push_id: str) -> None:
    with ctx.fenced() as session:
        push = _push_row(session, push_id)
        push.outcome_unknown = False
        push.outcome_unknown_at = None


def _succeed(ctx: JobContext, plan: Plan, remote: RemoteRef, operation: str) -> Outcome:
    """The mapping, the push's outcome and its webhook commit with the job's success, in the engine's transaction."""

    def record(session: Session) -> None:
        _upsert_remote_record(session, plan, remote)
        values = {
            "state": PushState.SUCCEEDED,
            "remote_id": remote.remote_id,
            "operation": operation,
            "attempts": ctx.spent_attempts,
            "outcome_unknown": False,
            "outcome_unknown_at": None,
            "error_message": None,
            "finished_at": utcnow(),
        }
        update_push(session, plan.push_id, values)
        _announce(ctx, session, plan.push_id)

    return Done(f"{operation} {remote.kind} {remote.remote_id}", http_status=remote.http_status, record=record)


def _upsert_remote_record(session: Session, plan: Plan, remote: RemoteRef) -> None:
    # The record this attempt started from (plan.remote_id) is the only one there can be: a create runs only after
    # the write-ahead transaction found none, under the candidate's lock. Its id changes only when the HRIS turns a
    # pre-hire into an employee (the pre-hire's id is kept beside the employee's).
    if plan.remote_id is not None and plan.remote_id not in (remote.remote_id, remote.pre_hire_id):
        log.warning("connection %s: remote record of a candidate changed on push %s", plan.connection_id, plan.push_id)
    upsert_mapping(session, plan, remote)


def _retry(
    ctx: JobContext, plan: Plan, message: str, retry_after: float | None, http_status: int | None, label: str = "retry"
) -> Outcome:
    """Back to queued (no worker holds it while it waits), showing why; the engine schedules the next attempt."""
    with ctx.fenced() as session:
        push = _push_row(session, plan.push_id)
        if push.state not in TERMINAL:
            push.state = PushState.QUEUED
            push.error_message = message
    return RetryLater(message, retry_after=retry_after, http_status=http_status, label=label)


def _wait(ctx: JobContext, plan: Plan, message: str, seconds: float, http_status: int | None) -> Outcome:
    """Back to queued showing why, re-checked after ``seconds``; no attempt is spent (see the module docstring)."""
    with ctx.fenced() as session:
        push = _push_row(session, plan.push_id)
        if push.state not in TERMINAL:
            push.state = PushState.QUEUED
            push.attempts = max(ctx.spent_attempts - 1, 0)
            push.error_message = message
    return Wait(seconds, message, http_status=http_status)


def on_give_up(ctx: JobContext, session: Session, message: str) -> None:
    """The push fails with the HRIS's own message (refused, or out of attempts)."""
    push = session.get(HrisPush, str(ctx.payload.get("push_id")))
    if push is None or push.state in TERMINAL:
        return
    push.state = PushState.FAILED
    push.error_message = message
    push.attempts = ctx.spent_attempts
    push.finished_at = utcnow()
    session.flush()
    _announce(ctx, session, push.id)


def _announce(ctx: JobContext, session: Session, push_id: str) -> None:
    """Tell the subscribers (the ATS API's ``pushToHRIS`` webhook), in the fenced transaction of the outcome."""
    events.push_finished(ctx.runtime, session, ctx.organization_id, push_id)


def _push_row(session: Session, push_id: str) -> HrisPush:
    push = session.get(HrisPush, push_id)
    if push is None:
        raise LookupError("the push no longer exists")
    return push


def _remote_record(session: Session, connection_id: str, candidate_id: str) -> RemoteRecord | None:
    return session.scalars(
        select(RemoteRecord).where(
            RemoteRecord.connection_id == connection_id, RemoteRecord.candidate_id == candidate_id
        )
    ).first()


def _message(exc: ConnectorError) -> str:
    return str(getattr(exc, "message", None) or exc)


register(KIND, run_push, on_give_up, prepare=prepare_push)
