"""``job.create``, ``job.info``, ``job.list`` and ``job.setStatus`` (Ashby's shapes).

- ``job.create`` {title (required), employmentType, and the extension fields ``location``, ``department``,
  ``description`` (names and text: hirebridge has no location or department catalogue)}. Ashby's ``teamId`` and
  ``locationId`` are accepted but cannot be resolved; the answer then carries the warning
  ``team_and_location_ids_not_stored``; ``jobTemplateId`` and ``brandId`` likewise give ``fields_not_stored: <names>``.
  ``defaultInterviewPlanId`` must be the default interview plan (``interview_plan_not_found`` else), the one every
  job uses. New jobs are drafts, as at Ashby.
- ``job.setStatus`` {jobId, status}: Ashby's transitions: Draft -> Open or Archived; Open -> Closed; Closed -> Draft
  or Archived; Archived -> Draft. Setting the current status again changes nothing. Any other change:
  ``job_status_transition_not_allowed``.
- ``job.info`` {id, expand}, ``job.list`` {..., expand}: Ashby's ``expand``: ``openings`` is an empty list (hirebridge
  keeps no openings), ``location`` the job's location name as Ashby's location object.
- ``job.list`` {status[], openedAfter, openedBefore, closedAfter, closedBefore, createdAfter}: like Ashby, drafts are
  listed only when ``Draft`` is among the statuses asked for; the times are epoch milliseconds and compare with
  ``openedAt``/``closedAt`` (a job never opened or never closed does not match such a filter).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy import update
from sqlalchemy.orm import Session

from hirebridge.assessments.questionnaire import default_questionnaire
from hirebridge.ats import hiring_process, listing
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import get_owned, in_transaction, write
from hirebridge.ats.envelope import MAX_EPOCH_MS, AtsModel, ListParams, invalid_state, not_found, ok, read_body
from hirebridge.ats.serializers import JOB_STATUS, JOB_STATUS_IN, expand_job, job_json, load_related
from hirebridge.core.models import Job, JobStatus
from hirebridge.db.types import utcnow
from hirebridge.openapi import ats, error
from hirebridge.web import get_runtime

router = APIRouter(tags=["ats: jobs"])

Read = Annotated[ApiCaller, Depends(require("jobsRead"))]
Write = Annotated[ApiCaller, Depends(require("jobsWrite"))]

JobStatusName = Literal["Draft", "Open", "Closed", "Archived"]
EmploymentType = Literal["FullTime", "PartTime", "Intern", "Contract", "Temporary"]

ALLOWED = {
    JobStatus.DRAFT: {JobStatus.OPEN, JobStatus.ARCHIVED},
    JobStatus.OPEN: {JobStatus.CLOSED},
    JobStatus.CLOSED: {JobStatus.DRAFT, JobStatus.ARCHIVED},
    JobStatus.ARCHIVED: {JobStatus.DRAFT},
}


class JobCreate(AtsModel):
    title: str = Field(min_length=1, max_length=255)
    employmentType: EmploymentType = "FullTime"
    teamId: UUID | None = None
    locationId: UUID | None = None
    defaultInterviewPlanId: UUID | None = None
    jobTemplateId: UUID | None = None
    brandId: UUID | None = None
    location: str | None = Field(None, max_length=255, description="hirebridge extension: the location's name")
    department: str | None = Field(None, max_length=255, description="hirebridge extension: the department's name")
    description: str | None = Field(None, max_length=100_000, description="hirebridge extension")


Expand = Literal["location", "openings"]


class JobInfo(AtsModel):
    id: UUID
    expand: list[Expand] = Field(default_factory=list, max_length=2)


class JobSetStatus(AtsModel):
    jobId: UUID
    status: JobStatusName


class JobList(ListParams):
    status: list[JobStatusName] | None = Field(None, min_length=1, max_length=4)
    openedAfter: int | None = Field(None, ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds")
    openedBefore: int | None = Field(None, ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds")
    closedAfter: int | None = Field(None, ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds")
    closedBefore: int | None = Field(None, ge=0, le=MAX_EPOCH_MS, description="Epoch milliseconds")
    expand: list[Expand] = Field(default_factory=list, max_length=2)


def render(session: Session, jobs: list[Job]) -> list[dict[str, Any]]:
    if not jobs:
        return []
    related = load_related(session, jobs[0].organization_id, [j.id for j in jobs], candidates=False)
    return [job_json(j, related) for j in jobs]


def job_body(session: Session, job: Job, expand: Sequence[str] = ()) -> dict[str, Any]:
    return expand_job(render(session, [job])[0], job, expand)


@router.post(
    "/job.create",
    summary="Create a job, as a draft (jobsWrite)",
    openapi_extra=ats(JobCreate, "Job", idempotent=True),
)
async def job_create(request: Request, caller: Write) -> Response:
    data = await read_body(request, JobCreate)
    plan = data.defaultInterviewPlanId
    if plan is not None and str(plan) != hiring_process.plan_id(caller.organization_id):
        raise not_found("interview_plan", str(plan), field="defaultInterviewPlanId")

    def work(session: Session) -> dict[str, Any]:
        job = Job(
            organization_id=caller.organization_id,
            title=data.title,
            employment_type=data.employmentType,
            location=data.location,
            department=data.department,
            description=data.description,
            status=JobStatus.DRAFT,
            questionnaire=default_questionnaire(),
        )
        session.add(job)
        session.flush()
        warnings = ["team_and_location_ids_not_stored"] if data.teamId or data.locationId else []
        ignored = [name for name in ("jobTemplateId", "brandId") if getattr(data, name) is not None]
        if ignored:
            warnings.append(f"fields_not_stored: {', '.join(ignored)}")
        return ok(job_body(session, job), warnings=warnings or None)

    return await write(request, caller, "job.create", data, work)


@router.post(
    "/job.info",
    summary="A job by id (jobsRead)",
    openapi_extra=ats(JobInfo, "Job", errors=[error("job_not_found", "Job not found.")]),
)
async def job_info(request: Request, caller: Read) -> dict[str, Any]:
    data = await read_body(request, JobInfo)
    return await in_transaction(
        request,
        lambda session: ok(
            job_body(session, get_owned(session, Job, caller.organization_id, str(data.id), "job", "id"), data.expand)
        ),
    )


@router.post(
    "/job.list",
    summary="Jobs, paginated, with incremental sync (jobsRead)",
    openapi_extra=ats(JobList, "Job", many=True),
)
async def job_list(request: Request, caller: Read) -> dict[str, Any]:
    params = await read_body(request, JobList)
    statuses = sorted(set(params.status or ["Open", "Closed", "Archived"]))
    secret = get_runtime(request).signing_key
    times = {
        "openedAfter": params.openedAfter,
        "openedBefore": params.openedBefore,
        "closedAfter": params.closedAfter,
        "closedBefore": params.closedBefore,
    }
    page = listing.start(secret, "job.list", caller.organization_id, params, {"status": statuses, **times})
    statement = listing.base_query(Job, caller.organization_id).where(
        Job.status.in_([JOB_STATUS_IN[s] for s in statuses])
    )
    # At the millisecond, as the API answers times: "after" starts 1 ms later, "before" ends just before.
    if params.openedAfter is not None:
        statement = statement.where(Job.published_at >= listing.after_ms(params.openedAfter))
    if params.openedBefore is not None:
        statement = statement.where(Job.published_at < listing.epoch_ms(params.openedBefore))
    if params.closedAfter is not None:
        statement = statement.where(Job.closed_at >= listing.after_ms(params.closedAfter))
    if params.closedBefore is not None:
        statement = statement.where(Job.closed_at < listing.epoch_ms(params.closedBefore))

    def draw(session: Session, jobs: list[Job]) -> list[dict[str, Any]]:
        return [expand_job(body, job, params.expand) for body, job in zip(render(session, jobs), jobs, strict=True)]

    return await in_transaction(request, lambda session: listing.fetch(session, secret, page, statement, Job, draw))


def set_status(session: Session, organization_id: str, job_id: str, status: JobStatus) -> Job:
    job = get_owned(session, Job, organization_id, job_id, "job", "jobId")
    if job.status == status:
        return job
    if status not in ALLOWED[job.status]:
        raise invalid_state(
            "job_status_transition_not_allowed",
            f"A job in status {JOB_STATUS[job.status]} cannot be set to {JOB_STATUS[status]}.",
            currentStatus=JOB_STATUS[job.status],
            requestedStatus=JOB_STATUS[status],
        )
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status == JobStatus.OPEN:
        values["published_at"], values["closed_at"] = now, None
    elif status in (JobStatus.CLOSED, JobStatus.ARCHIVED) and job.closed_at is None:
        values["closed_at"] = now
    # Conditional on the status read above, so two racing changes cannot both apply from the same state.
    changed = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status == job.status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise invalid_state("job_status_changed_concurrently", "The job's status changed meanwhile; read it and retry.")
    session.refresh(job)
    return job


@router.post(
    "/job.setStatus",
    summary="Open, close, archive or re-draft a job (jobsWrite)",
    openapi_extra=ats(
        JobSetStatus, "Job", errors=[error("job_status_transition_not_allowed", "Open cannot be set to Draft.")]
    ),
)
async def job_set_status(request: Request, caller: Write) -> dict[str, Any]:
    data = await read_body(request, JobSetStatus)
    return await in_transaction(
        request,
        lambda session: ok(
            job_body(session, set_status(session, caller.organization_id, str(data.jobId), JOB_STATUS_IN[data.status]))
        ),
    )
