"""Starting a push: the checks a push must pass (the organization's beta flag, the application, its candidate's
name, an accepted offer where the connection requires one, an enabled connection) and the insert that starts it or
joins the one already active.

Push-domain code, shared by ``candidate.pushToHris`` / ``hrisPush.retry`` (ats.pushes), ``hrisPush.preview`` and the
operators' retry (hris.operations, the console and the CLI), so that every way of starting a push passes the same
checks and the same ``uq_hris_pushes_active`` join.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, and_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hirebridge.connectors.registry import display_name
from hirebridge.core.models import Application, Candidate, Offer, OfferStatus
from hirebridge.db.types import new_id, utcnow
from hirebridge.errors import AppError, NotFound
from hirebridge.hris.models import ACTIVE_PUSH_STATES, HrisConnection, HrisPush, PushState
from hirebridge.hris.push import enqueue_push
from hirebridge.orgs.models import Organization


@dataclass(frozen=True)
class PushFacts:
    """What the checks of a push need, read in one statement (``_facts``)."""

    application_id: str
    candidate_id: str
    candidate_name: str
    offer_id: str | None
    offer_status: OfferStatus | None
    connections: list[HrisConnection]


def read_facts(session: Session, organization_id: str, application_id: str, system: str | None) -> PushFacts:
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
    return PushFacts(
        application_id=first[1],
        candidate_id=first[2],
        candidate_name=name,
        offer_id=first[5],
        offer_status=OfferStatus(first[6]) if first[6] is not None else None,
        connections=[row[7] for row in rows if row[7] is not None],
    )


def find_application(session: Session, organization_id: str, application_id: str) -> Application:
    application = session.get(Application, application_id)
    if application is None or application.organization_id != organization_id:
        raise NotFound("Application not found.", code="application_not_found")
    return application


def find_connection(session: Session, organization_id: str, system: str, partner_id: str | None) -> HrisConnection:
    """The connection a push to ``system`` goes through (for callers that have not read them with ``_facts``)."""
    connections = session.scalars(
        select(HrisConnection)
        .where(HrisConnection.organization_id == organization_id, HrisConnection.system == system)
        .order_by(HrisConnection.created_at, HrisConnection.id)
    )
    return choose_connection(list(connections), system, partner_id)


def choose_connection(connections: list[HrisConnection], system: str, partner_id: str | None) -> HrisConnection:
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
        raise disabled_error(connection)
    return connection


def disabled_error(connection: HrisConnection) -> AppError:
    return AppError(
        "hris_connection_disabled",
        f"The {connection.system} connection '{connection.name}' is disabled; enable it with hrisConnection.update.",
        meta={"hrisConnectionId": connection.id},
    )


def check_preconditions(facts: PushFacts, connection: HrisConnection) -> None:
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


def active_push(session: Session, application_id: str, connection_id: str) -> HrisPush | None:
    return session.scalars(
        select(HrisPush).where(
            HrisPush.application_id == application_id,
            HrisPush.connection_id == connection_id,
            HrisPush.state.in_(ACTIVE_PUSH_STATES),
        )
    ).first()


_PUSHES = cast(Table, HrisPush.__table__)
_ACTIVE = text("state IN ('queued', 'running')")  # the predicate of uq_hris_pushes_active


def start_push(session: Session, facts: PushFacts, connection: HrisConnection, requested_by: str) -> HrisPush:
    """Create the push and its job, or join the active one: the push as it stands (not attached to the session).

    ``INSERT ... ON CONFLICT DO NOTHING`` on ``uq_hris_pushes_active``: when another call started a push for this
    application and connection first (committed or not: the insert waits for it), nothing is inserted and that
    push is joined."""
    check_preconditions(facts, connection)
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
        existing = active_push(session, facts.application_id, connection.id)
        if existing is None:  # it finished between the conflict and the look-up: start another
            return start_push(session, facts, connection, requested_by)
        session.expunge(existing)
        return existing
    enqueue_push(session, push)
    return push
