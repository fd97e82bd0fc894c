"""Workday jobs on the partner API: upsert while draft, then publish (active) and close.

Pulsifi documents only ``POST /partner/v1.0/workday/jobs`` (upsert while ``draft``; an ``active`` job answers 400
``UNABLE_TO_UPDATE_ACTIVE_JOB``, a ``closed`` one 400 ``JOB_IS_CLOSED``). Its docs name no way to publish or close a
job, so these are **hirebridge extensions**:

- ``POST /partner/v1.0/workday/jobs/{ext_job_id}/publish``: draft -> active (again on an active job: no change).
- ``POST /partner/v1.0/workday/jobs/{ext_job_id}/close``: draft or active -> closed (again: no change).
- ``GET /partner/v1.0/workday/jobs/{ext_job_id}``.
- an optional ``questionnaire`` on the job (the assessment its candidates take; a default one when absent).

Jobs are core ``Job`` rows mapped to the Workday id by ``ExternalId(system="workday", kind="job")``; partner
``draft``/``active``/``closed`` are core ``draft``/``open``/``closed``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.assessments.questionnaire import default_questionnaire, normalized
from hirebridge.core.external_ids import WORKDAY, link
from hirebridge.core.intake import find_job, retry_on_conflict
from hirebridge.core.models import Job, JobStatus
from hirebridge.db.types import utcnow
from hirebridge.errors import BusinessRuleViolation, NotFound
from hirebridge.http import parse_model, read_json_body
from hirebridge.openapi import error, partner
from hirebridge.partner.auth import Partner
from hirebridge.partner.schemas import JobIn
from hirebridge.partner.wire import JOB_STATUS_WIRE, utc
from hirebridge.web import get_runtime

router = APIRouter(tags=["partner: workday jobs"])
MAX_JOB_BODY_BYTES = 256 * 1024
ExtJobId = Path(min_length=1, max_length=255, description="The Workday job id the job was created with.")


def job_is_closed(ext_job_id: str) -> BusinessRuleViolation:
    return BusinessRuleViolation("JOB_IS_CLOSED", f"Job '{ext_job_id}' has already been closed.")


def job_not_found(ext_job_id: str) -> BusinessRuleViolation:
    return BusinessRuleViolation("JOB_NOT_FOUND", f"No job with ext_job_id '{ext_job_id}' exists.")


def is_closed(job: Job) -> bool:
    return job.status in (JobStatus.CLOSED, JobStatus.ARCHIVED)


def job_body(job: Job, ext_job_id: str) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": job.title,
        "status": JOB_STATUS_WIRE[job.status],
        "ext_job_id": ext_job_id,
        "external_job_id": ext_job_id,
        "description": job.description,
        "location": job.location,
        "questionnaire": job.questionnaire,
        "published_at": utc(job.published_at),
        "closed_at": utc(job.closed_at),
        "created_at": utc(job.created_at),
        "updated_at": utc(job.updated_at),
    }


def upsert_job(session: Session, organization_id: str, data: JobIn) -> Job:
    job = find_job(session, organization_id, WORKDAY, data.external_job_id)
    if job is not None and job.status == JobStatus.OPEN:
        raise BusinessRuleViolation(
            "UNABLE_TO_UPDATE_ACTIVE_JOB", f"Job '{data.external_job_id}' is active; active jobs cannot be updated."
        )
    if job is not None and is_closed(job):
        raise job_is_closed(data.external_job_id)
    if job is None:
        job = Job(organization_id=organization_id, status=JobStatus.DRAFT, title=data.title)
        job.questionnaire = default_questionnaire()
        session.add(job)
        session.flush()
        link(session, organization_id, WORKDAY, "job", data.external_job_id, job.id)
    job.title = data.title
    job.description = data.description
    job.location = data.location
    if data.questionnaire is not None:
        job.questionnaire = normalized(data.questionnaire)
    session.flush()
    return job


def _existing(session: Session, organization_id: str, ext_job_id: str) -> Job:
    job = find_job(session, organization_id, WORKDAY, ext_job_id)
    if job is None:
        raise NotFound(f"No job with ext_job_id '{ext_job_id}' exists.", code="JOB_NOT_FOUND")
    return job


@router.post(
    "/partner/v1.0/workday/jobs",
    summary="Create or update (while draft) a job",
    openapi_extra=partner(
        JobIn,
        "PartnerJob",
        errors=[job_is_closed("J-1001"), error("UNABLE_TO_UPDATE_ACTIVE_JOB", "Active jobs cannot be updated.")],
    ),
)
async def post_job(request: Request, partner: Partner) -> dict[str, Any]:
    runtime = get_runtime(request)
    data = parse_model(JobIn, await read_json_body(request, MAX_JOB_BODY_BYTES))
    # In a worker thread: no database work on the event loop.
    job = await run_in_threadpool(
        retry_on_conflict, runtime, lambda session: upsert_job(session, partner.organization_id, data)
    )
    return job_body(job, data.external_job_id)


@router.get(
    "/partner/v1.0/workday/jobs/{ext_job_id}",
    summary="Get a job (extension)",
    openapi_extra=partner(
        None, "PartnerJob", errors=[NotFound("No job with ext_job_id 'J-1001' exists.", code="JOB_NOT_FOUND")]
    ),
)
def get_job(request: Request, partner: Partner, ext_job_id: str = ExtJobId) -> dict[str, Any]:
    with get_runtime(request).transaction() as session:
        return job_body(_existing(session, partner.organization_id, ext_job_id), ext_job_id)


@router.post(
    "/partner/v1.0/workday/jobs/{ext_job_id}/publish",
    summary="Publish a draft job (extension)",
    openapi_extra=partner(
        None, "PartnerJob", errors=[NotFound("No job with ext_job_id 'J-1001' exists.", code="JOB_NOT_FOUND")]
    ),
)
def publish_job(request: Request, partner: Partner, ext_job_id: str = ExtJobId) -> dict[str, Any]:
    with get_runtime(request).transaction() as session:
        job = _existing(session, partner.organization_id, ext_job_id)
        if is_closed(job):
            raise job_is_closed(ext_job_id)
        if job.status == JobStatus.DRAFT:
            job.status = JobStatus.OPEN
            job.published_at = utcnow()
            session.flush()
        return job_body(job, ext_job_id)


@router.post(
    "/partner/v1.0/workday/jobs/{ext_job_id}/close",
    summary="Close a job (extension)",
    openapi_extra=partner(
        None, "PartnerJob", errors=[NotFound("No job with ext_job_id 'J-1001' exists.", code="JOB_NOT_FOUND")]
    ),
)
def close_job(request: Request, partner: Partner, ext_job_id: str = ExtJobId) -> dict[str, Any]:
    with get_runtime(request).transaction() as session:
        job = _existing(session, partner.organization_id, ext_job_id)
        if not is_closed(job):
            job.status = JobStatus.CLOSED
            job.closed_at = utcnow()
            session.flush()
        return job_body(job, ext_job_id)
