"""Workday candidates on the partner API: invite a candidate to a job's assessment, and read their status.

``POST /partner/v1.0/workday/candidates`` (seed 001) creates, in one transaction, the core ``Candidate`` (reused
when its ``ext_candidate_id`` is known), an ``Application`` and its ``Invitation``, and answers the seed's 200 body.
The job must exist (400 ``JOB_NOT_FOUND``) and be active (400 ``NOT_ACTIVE_JOB`` for a draft, ``JOB_IS_CLOSED``
for a closed one). The same ``ext_application_id`` again answers 200 with the same invitation; with another job or
candidate, 409 ``APPLICATION_CONFLICT``. Concurrent identical requests make one invitation (see ``core.intake``).

``GET /partner/v1.0/workday/candidates/{candidate_id}`` (an extension Workday users expect) and Pulsifi's
``GET /partner/v1.0/standard/candidates/{candidate_id}`` answer the same body plus the timeline and ``results``.
``candidate_id`` is the invitation's id. Another organization's id is a plain 404.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from fastapi import APIRouter, Request
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.assessments.invitations import MAX_EXPIRY_DAYS, by_id, expire_if_due, invitation_link
from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.assessments.results import results_body
from hirebridge.core.external_ids import WORKDAY, external_id_of
from hirebridge.core.intake import (
    CandidateDetails,
    ExternalIds,
    KnownIds,
    check_replay,
    insert_application,
    lookup_ids,
    retry_on_conflict,
)
from hirebridge.core.models import JobStatus
from hirebridge.db.types import new_id, utcnow
from hirebridge.errors import BusinessRuleViolation, NotFound
from hirebridge.http import parse_model, read_json_body
from hirebridge.openapi import error, partner
from hirebridge.orgs.models import Organization
from hirebridge.partner.auth import Partner, PartnerPrincipal, check_client, checks_client_itself
from hirebridge.partner.jobs import job_is_closed, job_not_found
from hirebridge.partner.resumes import decode_resume, store_resume
from hirebridge.partner.schemas import CandidateIn
from hirebridge.partner.wire import utc
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime

router = APIRouter(tags=["partner: workday candidates"])
CLOSED_STATUSES = (JobStatus.CLOSED, JobStatus.ARCHIVED)  # as partner.jobs.is_closed


def _work_experiences(data: CandidateIn) -> list[dict[str, Any]]:
    return [experience.model_dump() for experience in data.work_experiences or []]


def candidate_body(session: Session, runtime: Runtime, invitation: Invitation) -> dict[str, Any]:
    """Exactly the fields of the seed's 200 body, in its order."""
    application = invitation.application
    candidate = application.candidate
    org = invitation.organization_id
    return {
        "candidate_id": invitation.id,
        "ext_job_id": external_id_of(session, org, WORKDAY, "job", application.job_id),
        "ext_candidate_id": external_id_of(session, org, WORKDAY, "candidate", candidate.id),
        "ext_application_id": external_id_of(session, org, WORKDAY, "application", application.id),
        "email": candidate.email,
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "status": invitation.status.value,
        "invitation_link": invitation_link(runtime.public_url, invitation),
        "invitation_expired_at": utc(invitation.expires_at),
        "created_at": utc(invitation.created_at),
    }


_INVITATIONS = cast(Table, Invitation.__table__)
_INSERT_INVITATION = insert(_INVITATIONS)
_INVITATION_COLUMNS = tuple(column.key for column in _INVITATIONS.columns)


def insert_invitation(
    session: Session, organization_id: str, application_id: str, expiry_days_setting: int, now: datetime
) -> Invitation:
    """``assessments.invitations.create_invitation`` for this hot path: one INSERT with every column (Core, no
    flush), and the object (not attached to the session) to answer from."""
    invitation = Invitation(
        id=new_id(),
        organization_id=organization_id,
        application_id=application_id,
        token=secrets.token_urlsafe(32),
        status=InvitationStatus.INVITED,
        expires_at=now + timedelta(days=min(max(int(expiry_days_setting or 1), 1), MAX_EXPIRY_DAYS)),
        opened_at=None,
        started_at=None,
        completed_at=None,
        answers={},
        scores=[],
        created_at=now,
        updated_at=now,
    )
    session.execute(_INSERT_INVITATION, {column: getattr(invitation, column) for column in _INVITATION_COLUMNS})
    return invitation


def _replay(
    session: Session, runtime: Runtime, organization_id: str, known: KnownIds, ids: ExternalIds
) -> dict[str, Any]:
    """The same ``ext_application_id`` again: the stored invitation (one statement with its application and
    candidate), if the job and candidate ids are the same as before."""
    invitation = session.scalars(
        select(Invitation).where(
            Invitation.application_id == known.application_id, Invitation.organization_id == organization_id
        )
    ).one()
    application = invitation.application
    check_replay(known, application.job_id, application.candidate_id, ids)
    expire_if_due(session, invitation)
    candidate = application.candidate
    return _body(runtime, ids, invitation, candidate.email, candidate.first_name, candidate.last_name)


def _body(
    runtime: Runtime,
    ids: ExternalIds,
    invitation: Invitation,
    email: str | None,
    first_name: str | None,
    last_name: str | None,
) -> dict[str, Any]:
    """The seed's 200 body, from the ids the request sent (they name these records: checked by the caller)."""
    return {
        "candidate_id": invitation.id,
        "ext_job_id": ids.job,
        "ext_candidate_id": ids.candidate,
        "ext_application_id": ids.application,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "status": invitation.status.value,
        "invitation_link": invitation_link(runtime.public_url, invitation),
        "invitation_expired_at": utc(invitation.expires_at),
        "created_at": utc(invitation.created_at),
    }


def invite(session: Session, runtime: Runtime, principal: PartnerPrincipal, body: Any) -> dict[str, Any]:
    """The whole create in one transaction: the client check (with the organization's invitation expiry; before the
    body is validated, so a revoked client learns nothing from it), the three ids and the job (one statement), then
    each new row written once. No row is read back."""
    organization_id = principal.organization_id
    client = check_client(session, principal, Organization.invitation_expiry_days)
    data = parse_model(CandidateIn, body)
    resume = None
    if data.resume_base64 is not None:
        resume = decode_resume(data.resume_base64, runtime.settings.resume_max_bytes)
    ids = ExternalIds(WORKDAY, data.ext_job_id, data.ext_candidate_id, data.ext_application_id)
    known = lookup_ids(session, organization_id, ids)
    if known.application_id is not None:
        return _replay(session, runtime, organization_id, known, ids)
    if known.job_id is None or known.job_status is None:
        raise job_not_found(data.ext_job_id)
    if known.job_status in CLOSED_STATUSES:
        raise job_is_closed(data.ext_job_id)
    if known.job_status != JobStatus.OPEN:
        raise BusinessRuleViolation(
            "NOT_ACTIVE_JOB", f"Job '{data.ext_job_id}' is not active (it is a draft); publish it first."
        )
    details = CandidateDetails(
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        work_experiences=_work_experiences(data),
    )
    now = utcnow()
    new = insert_application(
        session,
        organization_id=organization_id,
        job_id=known.job_id,
        known_candidate_id=known.candidate_id,
        ids=ids,
        details=details,
        now=now,
    )
    if resume is not None:
        store_resume(session, runtime.settings, organization_id, new.candidate_id, resume)
    invitation = insert_invitation(session, organization_id, new.application_id, client.invitation_expiry_days, now)
    return _body(runtime, ids, invitation, data.email, data.first_name, data.last_name)


@router.post(
    "/partner/v1.0/workday/candidates",
    summary="Create a candidate invitation (seed 001)",
    openapi_extra=partner(
        CandidateIn,
        "PartnerCandidate",
        errors=[
            job_not_found("J-1001"),
            job_is_closed("J-1001"),
            error("NOT_ACTIVE_JOB", "Job J-1001 is not active (it is a draft); publish it first."),
            error("INVALID_RESUME", "resume_base64 is not valid base64."),
            error("APPLICATION_CONFLICT", "ext_application_id A-1 already belongs to another application.", 409),
        ],
    ),
)
@checks_client_itself
async def post_candidate(request: Request, partner: Partner) -> dict[str, Any]:
    runtime = get_runtime(request)
    body = await read_json_body(request, runtime.settings.max_body_bytes)
    # In a worker thread: the transaction must not hold up the event loop (and every other request with it).
    return await run_in_threadpool(retry_on_conflict, runtime, lambda session: invite(session, runtime, partner, body))


def candidate_details(runtime: Runtime, organization_id: str, candidate_id: str) -> dict[str, Any]:
    try:
        uuid.UUID(candidate_id)
    except ValueError:
        raise NotFound(f"No candidate with candidate_id '{candidate_id[:64]}'.", code="CANDIDATE_NOT_FOUND") from None
    with runtime.transaction() as session:
        invitation = by_id(session, organization_id, candidate_id)
        if invitation is None:
            raise NotFound(f"No candidate with candidate_id '{candidate_id}'.", code="CANDIDATE_NOT_FOUND")
        expire_if_due(session, invitation)
        body = candidate_body(session, runtime, invitation)
        body.update(
            {
                "job_id": invitation.application.job_id,
                "opened_at": utc(invitation.opened_at),
                "started_at": utc(invitation.started_at),
                "completed_at": utc(invitation.completed_at),
                "results": results_body(runtime, invitation)
                if invitation.status == InvitationStatus.COMPLETED
                else None,
            }
        )
        return body


@router.get(
    "/partner/v1.0/workday/candidates/{candidate_id}",
    summary="Get a candidate's status and results",
    openapi_extra=partner(
        None,
        "PartnerCandidateDetails",
        errors=[NotFound("No candidate with candidate_id 'x'.", code="CANDIDATE_NOT_FOUND")],
    ),
)
def get_workday_candidate(request: Request, partner: Partner, candidate_id: str) -> dict[str, Any]:
    return candidate_details(get_runtime(request), partner.organization_id, candidate_id)


@router.get(
    "/partner/v1.0/standard/candidates/{candidate_id}",
    summary="Get a candidate (standard connector)",
    openapi_extra=partner(
        None,
        "PartnerCandidateDetails",
        errors=[NotFound("No candidate with candidate_id 'x'.", code="CANDIDATE_NOT_FOUND")],
    ),
)
def get_standard_candidate(request: Request, partner: Partner, candidate_id: str) -> dict[str, Any]:
    return candidate_details(get_runtime(request), partner.organization_id, candidate_id)
