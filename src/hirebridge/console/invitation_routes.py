"""Console pages about assessment invitations: the list with status and expiry; resend (a new link) or extend.

Resending replaces the link's token (the old link stops working), restarts the deadline from today by the
organization's invitation expiry, and makes an expired invitation usable again; the partner API's candidate
answer carries the new link from then on. Extending moves the deadline by a week (at most ``MAX_EXPIRY_DAYS``
from now). A completed invitation is neither resent nor extended.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select, update

from hirebridge.assessments import invitations
from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.console import sessions, web
from hirebridge.core.models import Application, Candidate, Job
from hirebridge.db.types import utcnow
from hirebridge.orgs.models import Organization
from hirebridge.web import get_runtime

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
EXTEND_DAYS = 7
STATUSES = [s.value for s in InvitationStatus]


@router.get("/console/invitations")
def invitations_page(request: Request) -> Response:
    with web.visit(request) as v:
        if isinstance(v, Response):
            return v
        status = request.query_params.get("status", "")
        status = status if status in STATUSES else ""
        raw_page = request.query_params.get("page", "1")
        page = min(max(int(raw_page) if raw_page.isdigit() and len(raw_page) <= 5 else 1, 1), 2000)
        query = (
            select(Invitation, Candidate, Job)
            .join(Application, Application.id == Invitation.application_id)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .join(Job, Job.id == Application.job_id)
            .where(Invitation.organization_id == v.who.organization_id)
        )
        if status:
            query = query.where(Invitation.status == InvitationStatus(status))
        rows = v.session.execute(
            query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        ).all()
        now = utcnow()
        items = [
            {
                "invitation": inv,
                "candidate": person,
                "job": job,
                "status": InvitationStatus.EXPIRED.value
                if invitations.is_past_deadline(inv, now)
                else inv.status.value,
                "open": inv.status != InvitationStatus.COMPLETED,
            }
            for inv, person, job in rows[:PAGE_SIZE]
        ]
        counts = dict(
            v.session.execute(
                select(Invitation.status, func.count())
                .where(Invitation.organization_id == v.who.organization_id)
                .group_by(Invitation.status)
            ).all()
        )
        link = ""
        changed = request.query_params.get("resent", "")[:36]
        if changed and web.is_id(changed):
            found = invitations.by_id(v.session, v.who.organization_id, changed)
            link = invitations.invitation_link(v.runtime.public_url, found) if found is not None else ""
        return web.page(
            "invitations.html",
            v.who,
            items=items,
            status_filter=status,
            statuses=STATUSES,
            counts={s.value if hasattr(s, "value") else str(s): n for s, n in counts.items()},
            page=page,
            more=len(rows) > PAGE_SIZE,
            link=link,
            extended=request.query_params.get("extended", "") == "1",
        )


def _change(request: Request, invitation_id: str, action: str, who: sessions.Signed) -> Response:
    runtime = get_runtime(request)
    with runtime.transaction() as session:
        found = invitations.by_id(session, who.organization_id, invitation_id) if web.is_id(invitation_id) else None
        if found is None:
            return web.not_found(who, "invitation")
        if found.status == InvitationStatus.COMPLETED:
            return web.message(who, 409, "Already completed", "A completed assessment is not resent or extended.")
        now = utcnow()
        organization = session.get_one(Organization, who.organization_id)
        limit = now + timedelta(days=invitations.MAX_EXPIRY_DAYS)
        values: dict[str, object] = {"updated_at": now}
        if action == "resend":
            values.update(
                token=secrets.token_urlsafe(32),
                expires_at=now + timedelta(days=invitations.expiry_days(organization)),
            )
        else:
            values["expires_at"] = min(max(found.expires_at, now) + timedelta(days=EXTEND_DAYS), limit)
        if found.status == InvitationStatus.EXPIRED:
            values["status"] = InvitationStatus.STARTED if found.started_at else InvitationStatus.INVITED
        session.execute(
            update(Invitation)
            .where(Invitation.id == found.id, Invitation.status != InvitationStatus.COMPLETED)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    suffix = f"resent={invitation_id}" if action == "resend" else "extended=1"
    return web.redirect(f"/console/invitations?{suffix}")


@router.post("/console/invitations/{invitation_id}/resend")
async def resend(request: Request, invitation_id: str) -> Response:
    return await web.handle_post(request, lambda _form, who: _change(request, invitation_id, "resend", who))


@router.post("/console/invitations/{invitation_id}/extend")
async def extend(request: Request, invitation_id: str) -> Response:
    return await web.handle_post(request, lambda _form, who: _change(request, invitation_id, "extend", who))
