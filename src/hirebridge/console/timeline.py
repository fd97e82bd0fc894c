"""A hire's timeline: from the candidate's arrival through the assessment to each HRIS push, with timestamps.

Built from the records themselves (no separate event log): the candidate and application rows (made by a partner
API or ATS API call), their offers, the assessment invitation's transitions, and every push with its remote id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.assessments.models import Invitation
from hirebridge.connectors.registry import display_name
from hirebridge.console.web import is_id
from hirebridge.core.models import Application, ApplicationStatus, Candidate, ExternalId, Offer
from hirebridge.hris.models import HrisConnection, HrisPush, PushState

MAX_EVENTS = 300


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # ats, assessment, push
    title: str
    detail: str = ""
    link: str = ""
    state: str = ""


def _source(session: Session, organization_id: str, entity_id: str) -> str:
    systems = session.scalars(
        select(ExternalId.system).where(
            ExternalId.organization_id == organization_id, ExternalId.entity_id == entity_id
        )
    ).all()
    return f"through the partner API ({', '.join(sorted(set(systems)))})" if systems else "through the ATS API"


def timeline(session: Session, organization_id: str, candidate_id: str) -> dict[str, Any] | None:
    if not is_id(candidate_id):
        return None
    person = session.get(Candidate, candidate_id)
    if person is None or person.organization_id != organization_id:
        return None
    events = [Event(person.created_at, "ats", "Candidate created", _source(session, organization_id, person.id))]
    applications = session.scalars(
        select(Application).where(Application.candidate_id == person.id).order_by(Application.created_at)
    ).all()
    for application in applications:
        job = application.job.title
        events.append(
            Event(application.created_at, "ats", f"Applied to {job}", _source(session, organization_id, application.id))
        )
        if application.status == ApplicationStatus.HIRED:
            events.append(Event(application.updated_at, "ats", f"Hired for {job}", "application status Hired"))
        for offer in session.scalars(select(Offer).where(Offer.application_id == application.id)):
            events.append(Event(offer.created_at, "ats", "Offer created", f"{job}, start {offer.start_date or '—'}"))
            if offer.decided_at is not None:
                events.append(Event(offer.decided_at, "ats", f"Offer {offer.status.value}", job))
    invitation = session.scalars(
        select(Invitation).where(Invitation.application_id.in_([a.id for a in applications]))
    ).all()
    for item in invitation:
        events.append(
            Event(item.created_at, "assessment", "Assessment invitation sent", f"expires {item.expires_at:%Y-%m-%d}")
        )
        for at, title in (
            (item.opened_at, "Assessment link opened"),
            (item.started_at, "Assessment started"),
            (item.completed_at, "Assessment completed"),
        ):
            if at is not None:
                events.append(Event(at, "assessment", title))
    pushes = session.execute(
        select(HrisPush, HrisConnection)
        .join(HrisConnection, HrisConnection.id == HrisPush.connection_id)
        .where(HrisPush.candidate_id == person.id)
        .order_by(HrisPush.created_at)
        .limit(MAX_EVENTS)
    ).all()
    for push, connection in pushes:
        system = display_name(connection.system)
        name = system if connection.name == system else f"{system} ({connection.name})"
        link = f"/console/pushes/{push.id}"
        events.append(Event(push.created_at, "push", f"Push to {name} queued", push.requested_by or "", link, "queued"))
        if push.finished_at is not None:
            state = PushState(push.state).value
            detail = (
                f"remote id {push.remote_id} ({push.operation})"
                if push.state == PushState.SUCCEEDED
                else (push.error_message or "")
            )
            events.append(Event(push.finished_at, "push", f"Push to {name} {state}", detail, link, state))
    events.sort(key=lambda e: e.at)
    return {"candidate": person, "events": events[:MAX_EVENTS]}
