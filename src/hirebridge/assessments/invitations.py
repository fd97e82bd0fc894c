"""Invitations: one per application, the link a candidate follows, and its lifecycle.

    invited -> opened (link followed) -> started (form begun) -> completed (answers scored)
         \\________________\\________________\\-> expired (the deadline passed before completion)

While an invitation is started, ``answers`` holds the draft: the raw values of the last incomplete form sent
(question id -> option index as text), shown again on the questions page. On completion it holds the scored
answers (question id -> option index).

Every transition is one conditional UPDATE (``WHERE status IN (...)``), so two browser tabs or a double click
cannot complete an invitation twice or move it backwards. Expiry is applied when an invitation is read after its
deadline: whoever reads it (the candidate's page, the partner API) sees ``expired`` and stores it.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.core.models import Application
from hirebridge.db.types import utcnow
from hirebridge.orgs.models import Organization

MAX_EXPIRY_DAYS = 92  # Pulsifi caps invitation deadlines at three months
TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")  # what secrets.token_urlsafe produces
OPEN_STATUSES = (InvitationStatus.INVITED, InvitationStatus.OPENED, InvitationStatus.STARTED)


def expiry_days(organization: Organization) -> int:
    return min(max(int(organization.invitation_expiry_days or 1), 1), MAX_EXPIRY_DAYS)


def create_invitation(session: Session, application: Application, organization: Organization) -> Invitation:
    now = utcnow()
    invitation = Invitation(
        organization_id=application.organization_id,
        application_id=application.id,
        token=secrets.token_urlsafe(32),
        status=InvitationStatus.INVITED,
        expires_at=now + timedelta(days=expiry_days(organization)),
        created_at=now,
    )
    session.add(invitation)
    session.flush()
    return invitation


def invitation_link(public_url: str, invitation: Invitation) -> str:
    return f"{public_url.rstrip('/')}/a/{invitation.token}"


def by_token(session: Session, token: str) -> Invitation | None:
    if not token or len(token) > 64 or not TOKEN_ALPHABET.fullmatch(token):
        return None
    return session.scalar(select(Invitation).where(Invitation.token == token))


def by_id(session: Session, organization_id: str, invitation_id: str) -> Invitation | None:
    return session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, Invitation.organization_id == organization_id)
    )


def is_past_deadline(invitation: Invitation, now: datetime | None = None) -> bool:
    return invitation.status in OPEN_STATUSES and (now or utcnow()) >= invitation.expires_at


def _transition(
    session: Session, invitation: Invitation, allowed: tuple[InvitationStatus, ...], values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.status.in_(allowed))
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(invitation)
    return bool(getattr(result, "rowcount", 0) == 1)


def expire_if_due(session: Session, invitation: Invitation) -> bool:
    """Store ``expired`` when the deadline has passed; True when the invitation is (now) expired."""
    if invitation.status == InvitationStatus.EXPIRED:
        return True
    if not is_past_deadline(invitation):
        return False
    _transition(session, invitation, OPEN_STATUSES, {"status": InvitationStatus.EXPIRED})
    # Re-read: a concurrent request may have completed it just before the deadline.
    return _status(invitation) == InvitationStatus.EXPIRED


def _status(invitation: Invitation) -> InvitationStatus:
    return invitation.status


def mark_opened(session: Session, invitation: Invitation) -> None:
    _transition(
        session, invitation, (InvitationStatus.INVITED,), {"status": InvitationStatus.OPENED, "opened_at": utcnow()}
    )


def mark_started(session: Session, invitation: Invitation) -> bool:
    now = utcnow()
    values: dict[str, Any] = {"status": InvitationStatus.STARTED, "started_at": now}
    if invitation.opened_at is None:
        values["opened_at"] = now
    return _transition(session, invitation, (InvitationStatus.INVITED, InvitationStatus.OPENED), values)


def save_draft(session: Session, invitation: Invitation, draft: dict[str, str]) -> bool:
    """Keep an incomplete form's values for the questions page; only while the invitation is started."""
    return _transition(session, invitation, (InvitationStatus.STARTED,), {"answers": draft})


def draft_of(invitation: Invitation) -> dict[str, str]:
    """The started invitation's draft (empty when there is none or the invitation is not started)."""
    if invitation.status != InvitationStatus.STARTED or not isinstance(invitation.answers, dict):
        return {}
    return {str(key): str(value) for key, value in invitation.answers.items()}


def mark_completed(
    session: Session, invitation: Invitation, answers: dict[str, int], scores: list[dict[str, Any]]
) -> bool:
    """True for the one request that completed it; False when it was already completed (or is not started)."""
    return _transition(
        session,
        invitation,
        (InvitationStatus.STARTED,),
        {"status": InvitationStatus.COMPLETED, "completed_at": utcnow(), "answers": answers, "scores": scores},
    )
