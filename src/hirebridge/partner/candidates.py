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

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.assessments.invitations import by_id, create_invitation, expire_if_due, invitation_link
from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.assessments.results import results_body
from hirebridge.core.external_ids import WORKDAY, external_id_of
from hirebridge.core.intake import (
    CandidateDetails,
    check_replay,
    create_application,
    find_application,
    find_job,
    retry_on_conflict,
)
from hirebridge.core.models import JobStatus
from hirebridge.errors import BusinessRuleViolation, NotFound
from hirebridge.http import parse_model, read_json_body
from hirebridge.openapi import error, partner
from hirebridge.orgs.models import Organization
from hirebridge.partner.auth import Partner
from hirebridge.partner.jobs import is_closed, job_is_closed, job_not_found
from hirebridge.partner.resumes import Resume, decode_resume, store_resume
from hirebridge.partner.schemas import CandidateIn
from hirebridge.partner.wire import utc
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime

router = APIRouter(tags=["partner: workday candidates"])


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


def invite(
    session: Session, runtime: Runtime, organization_id: str, data: CandidateIn, resume: Resume | None
) -> Invitation:
    existing = find_application(session, organization_id, WORKDAY, data.ext_application_id)
    if existing is not None:
        check_replay(
            session,
            existing,
            system=WORKDAY,
            external_job_id=data.ext_job_id,
            external_candidate_id=data.ext_candidate_id,
            external_application_id=data.ext_application_id,
        )
        invitation = session.scalars(select(Invitation).where(Invitation.application_id == existing.id)).one()
        expire_if_due(session, invitation)
        return invitation
    job = find_job(session, organization_id, WORKDAY, data.ext_job_id)
    if job is None:
        raise job_not_found(data.ext_job_id)
    if is_closed(job):
        raise job_is_closed(data.ext_job_id)
    if job.status != JobStatus.OPEN:
        raise BusinessRuleViolation(
            "NOT_ACTIVE_JOB", f"Job '{data.ext_job_id}' is not active (it is a draft); publish it first."
        )
    details = CandidateDetails(
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        work_experiences=_work_experiences(data),
    )
    intake = create_application(
        session,
        job=job,
        system=WORKDAY,
        external_candidate_id=data.ext_candidate_id,
        external_application_id=data.ext_application_id,
        details=details,
    )
    if resume is not None:
        store_resume(session, runtime.settings, organization_id, intake.candidate.id, resume)
    organization = session.get_one(Organization, organization_id)
    return create_invitation(session, intake.application, organization)


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
async def post_candidate(request: Request, partner: Partner) -> dict[str, Any]:
    runtime = get_runtime(request)
    data = parse_model(CandidateIn, await read_json_body(request, runtime.settings.max_body_bytes))
    resume = None
    if data.resume_base64 is not None:
        resume = decode_resume(data.resume_base64, runtime.settings.resume_max_bytes)

    def work(session: Session) -> dict[str, Any]:
        invitation = invite(session, runtime, partner.organization_id, data, resume)
        return candidate_body(session, runtime, invitation)

    return retry_on_conflict(runtime, work)


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
