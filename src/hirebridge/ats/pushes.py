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
from typing import Any, cast
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Table, and_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hirebridge.ats import idempotency
from hirebridge.ats.push_answers import MAX_ATTEMPTS_SHOWN as MAX_ATTEMPTS_SHOWN
from hirebridge.ats.push_answers import attempt_log as attempt_log
from hirebridge.ats.push_answers import find_push, push_body
from hirebridge.ats.push_answers import get_push as get_push
from hirebridge.ats.push_answers import list_pushes as list_pushes
from hirebridge.ats.push_answers import push_json as push_json
from hirebridge.connectors.registry import display_name
from hirebridge.core.models import Application, Candidate, Offer, OfferStatus
from hirebridge.db.types import new_id, utcnow
from hirebridge.delivery.engine import wake_workers
from hirebridge.errors import AppError, NotFound
from hirebridge.hris.connections import invalid, resolve_system
from hirebridge.hris.models import ACTIVE_PUSH_STATES, HrisConnection, HrisPush, PushState
from hirebridge.hris.push import enqueue_push, wait_for_push
from hirebridge.orgs.models import Organization
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
        facts = _facts(session, organization_id, str(body.applicationId), system)
        if system_error is not None or system is None:
            raise system_error or invalid("externalSystem", "is required")
        connection = _choose_connection(facts.connections, system, partner_id)
        start = _start(session, facts, connection, requested_by)
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
        facts = _facts(session, organization_id, failed.application_id, connection.system)
        if not connection.is_enabled:
            raise _disabled(connection)
        start = _start(session, facts, connection, requested_by)
        idempotency.link(session, start.id)
    return _await_verdict(runtime, organization_id, start.id, known=start, connection=connection)


@dataclass(frozen=True)
class _Facts:
    """What the checks of a push need, read in one statement (``_facts``)."""

    application_id: str
    candidate_id: str
    candidate_name: str
    offer_id: str | None
    offer_status: OfferStatus | None
    connections: list[HrisConnection]


def _facts(session: Session, organization_id: str, application_id: str, system: str | None) -> _Facts:
    """The organization's beta flag, the application with its candidate's name and latest offer, and the
    organization's connections to ``system``, oldest first; raises the beta and application errors."""
    latest_offer = (
        select(Offer.id, Offer.status)
        .where(Offer.application_id == Application.id)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(1)
    )
    offer_id = latest_offer.with_only_columns(Offer.id).scalar_subquery()
    offer_status = latest_offer.with_only_columns(Offer.status).scalar_subquery()
    rows = session.execute(
        select(
            Organization.hris_push_enabled,
            Application.id,
            Application.candidate_id,
            Candidate.first_name,
            Candidate.last_name,
            offer_id,
            offer_status,
            HrisConnection,
        )
        .select_from(Organization)
        .outerjoin(Application, and_(Application.id == application_id, Application.organization_id == Organization.id))
        .outerjoin(Candidate, Candidate.id == Application.candidate_id)
        .outerjoin(
            HrisConnection,
            and_(HrisConnection.organization_id == Organization.id, HrisConnection.system == (system or "")),
        )
        .where(Organization.id == organization_id)
        .order_by(HrisConnection.created_at, HrisConnection.id)
    ).all()
    if not rows or not rows[0][0]:
        raise AppError(
            "candidate_hris_push_not_enabled",
            "candidate.pushToHris is a beta feature that is not enabled for this organization; the operator "
            "enables it with: hirebridge orgs configure ORG_ID --hris-push",
            403 if not rows else 400,
        )
    first = rows[0]
    if first[1] is None:
        raise NotFound("Application not found.", code="application_not_found")
    name = " ".join(part for part in (first[3], first[4]) if part)
    return _Facts(
        application_id=first[1],
        candidate_id=first[2],
        candidate_name=name,
        offer_id=first[5],
        offer_status=OfferStatus(first[6]) if first[6] is not None else None,
        connections=[row[7] for row in rows if row[7] is not None],
    )


def _application(session: Session, organization_id: str, application_id: str) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.organization_id != organization_id:
        raise NotFound("Application not found.", code="application_not_found")
    return application


def _connection(session: Session, organization_id: str, system: str, partner_id: str | None) -> HrisConnection:
    """The connection a push to ``system`` goes through (for callers that have not read them with ``_facts``)."""
    connections = session.scalars(
        select(HrisConnection)
        .where(HrisConnection.organization_id == organization_id, HrisConnection.system == system)
        .order_by(HrisConnection.created_at, HrisConnection.id)
    )
    return _choose_connection(list(connections), system, partner_id)


def _choose_connection(connections: list[HrisConnection], system: str, partner_id: str | None) -> HrisConnection:
    name = display_name(system)
    if partner_id is not None:
        matching = [c for c in connections if c.integration_partner_id == partner_id]
        if not matching:
            raise NotFound(
                f"This organization has no {name} connection for integrationPartnerId {partner_id}.",
                code="hris_connection_not_found",
            )
    else:
        matching = [c for c in connections if not c.is_self_serve]
        if not matching and connections:
            raise AppError(
                "integration_partner_id_required",
                f"The {name} integration of this organization is a SelfServe integration: "
                "send integrationPartnerId to say which one.",
            )
        if not matching:
            raise NotFound(
                f"This organization has no {name} connection; create one with hrisConnection.create.",
                code="hris_connection_not_found",
            )
    connection = matching[0]
    if not connection.is_enabled:
        raise _disabled(connection)
    return connection


def _disabled(connection: HrisConnection) -> AppError:
    return AppError(
        "hris_connection_disabled",
        f"The {connection.system} connection '{connection.name}' is disabled; enable it with hrisConnection.update.",
        meta={"hrisConnectionId": connection.id},
    )


def _check_preconditions(facts: _Facts, connection: HrisConnection) -> None:
    if not facts.candidate_name.strip():
        raise AppError(
            "candidate_hris_push_missing_name",
            "The candidate has no name; an HRIS push needs the candidate's name.",
            meta={"candidateId": facts.candidate_id},
        )
    if not connection.requires_accepted_offer:
        return
    if facts.offer_status != OfferStatus.CANDIDATE_ACCEPTED:
        state = "has no offer" if facts.offer_status is None else f"has an offer in status {facts.offer_status.value}"
        raise AppError(
            "candidate_hris_push_blocked_by_offer_status",
            f"The application {state}; the {connection.system} connection requires an accepted offer "
            "(CandidateAccepted) before pushing.",
            meta={"offerId": facts.offer_id, "offerStatus": facts.offer_status.value if facts.offer_status else None},
        )


def _active_push(session: Session, application_id: str, connection_id: str) -> HrisPush | None:
    return session.scalars(
        select(HrisPush).where(
            HrisPush.application_id == application_id,
            HrisPush.connection_id == connection_id,
            HrisPush.state.in_(ACTIVE_PUSH_STATES),
        )
    ).first()


_PUSHES = cast(Table, HrisPush.__table__)
_ACTIVE = text("state IN ('queued', 'running')")  # the predicate of uq_hris_pushes_active


def _start(session: Session, facts: _Facts, connection: HrisConnection, requested_by: str) -> HrisPush:
    """Create the push and its job, or join the active one: the push as it stands (not attached to the session).

    ``INSERT ... ON CONFLICT DO NOTHING`` on ``uq_hris_pushes_active``: when another call started a push for this
    application and connection first (committed or not: the insert waits for it), nothing is inserted and that
    push is joined."""
    _check_preconditions(facts, connection)
    now = utcnow()
    push = HrisPush(
        id=new_id(),
        organization_id=connection.organization_id,
        application_id=facts.application_id,
        candidate_id=facts.candidate_id,
        connection_id=connection.id,
        state=PushState.QUEUED,
        operation=None,
        remote_id=None,
        outcome_unknown=False,
        outcome_unknown_at=None,
        error_message=None,
        attempts=0,
        requested_by=requested_by[:100],
        finished_at=None,
        created_at=now,
        updated_at=now,
    )
    values = {column.key: getattr(push, column.key) for column in _PUSHES.columns}
    insert = sqlite_insert(_PUSHES) if session.get_bind().dialect.name == "sqlite" else pg_insert(_PUSHES)
    inserted = session.execute(
        insert.values(values)
        .on_conflict_do_nothing(index_elements=["application_id", "connection_id"], index_where=_ACTIVE)
        .returning(_PUSHES.c.id)
    ).first()
    if inserted is None:
        existing = _active_push(session, facts.application_id, connection.id)
        if existing is None:  # it finished between the conflict and the look-up: start another
            return _start(session, facts, connection, requested_by)
        session.expunge(existing)
        return existing
    enqueue_push(session, push)
    return push


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
