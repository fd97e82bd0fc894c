"""``candidate.pushToHris`` and ``hrisPush.*``: check the preconditions, start or join the push, wait for its verdict.

A push starts only when every precondition holds, so a refused call sends nothing to the HRIS. The push row and
its delivery job are written in one transaction; the unique partial index ``uq_hris_pushes_active`` (one queued or
running push per application and connection) turns a concurrent or repeated call into a *join* of the active push.

``hrisPush.retry`` creates a new push for the failed one's application and connection (the failed row stays as the
record of what happened, terminal states stay terminal, and the index still admits one active push): the same path
as a new ``candidate.pushToHris``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hirebridge.ats import idempotency
from hirebridge.ats.push_answers import MAX_ATTEMPTS_SHOWN as MAX_ATTEMPTS_SHOWN
from hirebridge.ats.push_answers import attempt_log as attempt_log
from hirebridge.ats.push_answers import find_push, push_body
from hirebridge.ats.push_answers import get_push as get_push
from hirebridge.ats.push_answers import list_pushes as list_pushes
from hirebridge.ats.push_answers import push_json as push_json
from hirebridge.delivery.engine import wake_workers
from hirebridge.errors import AppError
from hirebridge.hris.connections import invalid, resolve_system
from hirebridge.hris.models import ACTIVE_PUSH_STATES, HrisConnection, HrisPush, PushState
from hirebridge.hris.push import wait_for_push
from hirebridge.hris.start import (
    choose_connection,
    disabled_error,
    read_facts,
    start_push,
)
from hirebridge.runtime import Runtime


class PushToHrisBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    applicationId: UUID
    externalSystem: str | None = Field(default=None, min_length=1, max_length=40)
    hrisSystem: str | None = Field(default=None, min_length=1, max_length=40)
    integrationPartnerId: UUID | None = None

    @model_validator(mode="after")
    def _one_system(self) -> PushToHrisBody:
        if self.externalSystem and self.hrisSystem and self.externalSystem != self.hrisSystem:
            raise ValueError("externalSystem and hrisSystem name different systems; send one of them")
        return self

    @property
    def system(self) -> str:
        value = self.externalSystem or self.hrisSystem
        if not value:
            raise invalid("externalSystem", "is required")
        return value


class PushRef(BaseModel):
    pushId: UUID


@dataclass(frozen=True)
class Verdict:
    """What the caller is told: the push, and a warning when it is still running."""

    push: dict[str, Any]
    still_running: bool


def push_to_hris(runtime: Runtime, organization_id: str, body: PushToHrisBody, requested_by: str) -> Verdict:
    """Check, start (or join) and answer, in one transaction of at most seven round trips (``_facts`` reads what
    the checks need in one statement; the push is inserted with ``ON CONFLICT DO NOTHING`` on the one-active-push
    index instead of a look-up and a savepoint) and no read after it unless the push is still running."""
    if (started := idempotency.started()) is not None:  # a dead request under this Idempotency-Key started it
        return _await_verdict(runtime, organization_id, started)
    try:
        system: str | None = resolve_system(body.system, "externalSystem").system
        system_error: AppError | None = None
    except AppError as error:  # answered after the beta check, as before
        system, system_error = None, error
    partner_id = str(body.integrationPartnerId) if body.integrationPartnerId else None
    with runtime.transaction() as session:
        facts = read_facts(session, organization_id, str(body.applicationId), system)
        if system_error is not None or system is None:
            raise system_error or invalid("externalSystem", "is required")
        connection = choose_connection(facts.connections, system, partner_id)
        start = start_push(session, facts, connection, requested_by)
        idempotency.link(session, start.id)
    return _await_verdict(runtime, organization_id, start.id, known=start, connection=connection)


def retry_push(runtime: Runtime, organization_id: str, push_id: str, requested_by: str) -> Verdict:
    if (started := idempotency.started()) is not None:
        return _await_verdict(runtime, organization_id, started)
    with runtime.transaction() as session:
        failed = find_push(session, organization_id, push_id)
        if failed.state != PushState.FAILED:
            hint = (
                "call candidate.pushToHris to push again (it updates the record)"
                if failed.state == PushState.SUCCEEDED
                else "it is still in progress"
            )
            raise AppError(
                "hris_push_not_retryable", f"Only a failed push can be retried; this one is {failed.state}: {hint}."
            )
        connection = session.get(HrisConnection, failed.connection_id)
        assert connection is not None  # the push's foreign key cascades from its connection
        facts = read_facts(session, organization_id, failed.application_id, connection.system)
        if not connection.is_enabled:
            raise disabled_error(connection)
        start = start_push(session, facts, connection, requested_by)
        idempotency.link(session, start.id)
    return _await_verdict(runtime, organization_id, start.id, known=start, connection=connection)


def _await_verdict(
    runtime: Runtime,
    organization_id: str,
    push_id: str,
    *,
    known: HrisPush | None = None,
    connection: HrisConnection | None = None,
) -> Verdict:
    """The push's verdict after waiting up to ``push_wait_seconds``. The answer is built from the push as the wait
    last read it (or as it was just written, when there is no wait), with no further read unless it is running."""
    if known is not None and runtime.settings.push_wait_seconds <= 0:
        wake_workers()  # as wait_for_push does
        push = known
    else:
        push = wait_for_push(runtime, push_id, runtime.settings.push_wait_seconds)
    state = PushState(push.state)
    if connection is None or state == PushState.RUNNING:
        with runtime.sessions() as session:
            current = find_push(session, organization_id, push_id)
            answer = push_json(session, current)
    else:
        current = push
        answer = push_body(current, connection, None)
    if state == PushState.FAILED:
        name = answer["systemName"]
        said = current.error_message or "no message given"
        # A push stopped with its outcome unknown was not refused by the HRIS; it waits for an operator.
        headline = f"The push to {name} stopped" if current.outcome_unknown else f"{name} did not accept the push"
        raise AppError(
            "candidate_hris_push_failed",
            f"{headline}: {said}",
            meta={"pushId": push_id, "state": state.value, "attempts": current.attempts, "system": answer["system"]},
        )
    return Verdict(answer, still_running=state in ACTIVE_PUSH_STATES)
