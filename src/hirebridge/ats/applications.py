"""``application.create``, ``application.info``, ``application.list`` and ``application.changeStatus``.

- ``application.create`` {candidateId, jobId, interviewPlanId, interviewStageId, createdAt}: the candidate is
  considered for the job, by default in the stage Application Review (status Active); ``interviewStageId`` (a stage
  of the default interview plan, see ``ats.hiring_process``, or ``FirstPreInterviewScreen``) places it elsewhere:
  Lead, an active stage, or Hired (which emits ``candidateHire``). An Archived stage needs an archive reason, which
  Ashby's create does not take: archive with ``application.changeStatus`` instead. ``createdAt`` sets the
  application's creation time. ``sourceId``, ``creditedToUserId`` and ``applicationHistory`` are refused
  (``invalid_input`` naming the field): this service keeps no sources, users or stage history, and ignoring them
  would answer something else than asked. A job that is Closed or Archived refuses new applications
  (``job_not_open``); drafts are allowed, as sourcing often starts before a job opens.
- ``application.info`` {applicationId, expand}; ``application.list`` {jobId, status, createdAfter, expand} paginated
  with incremental sync. Ashby's ``expand`` values (openings, applicationFormSubmissions, referrals) are empty lists:
  hirebridge keeps none of them.
- ``application.changeStage`` {applicationId, interviewStageId, archiveReasonId}: Ashby's way to move an
  application, to a stage of the default interview plan; the stage decides the status. ``archiveReasonId`` is
  required for the Archived stage and refused otherwise; ``archiveEmail`` is refused (no emails are sent).
- ``application.changeStatus`` {applicationId, status in Hired|Archived|Active|Lead, archiveReasonId}: **a
  hirebridge extension** that sets the status directly (an Active application keeps its stage). As with Ashby's
  archive stages, ``archiveReasonId`` is required when archiving and refused otherwise (``invalid_input``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from hirebridge.ats import events, hiring_process, listing
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import get_owned, in_transaction, write
from hirebridge.ats.envelope import AtsModel, ListParams, invalid_input, invalid_state, not_found, ok, read_body
from hirebridge.ats.serializers import application_json, expand_application, load_related
from hirebridge.core.models import Application, ApplicationStatus, Candidate, Job, JobStatus
from hirebridge.db.types import utcnow
from hirebridge.openapi import ats, error
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime

router = APIRouter(tags=["ats: applications"])

Read = Annotated[ApiCaller, Depends(require("candidatesRead"))]
Write = Annotated[ApiCaller, Depends(require("candidatesWrite"))]

StatusName = Literal["Hired", "Archived", "Active", "Lead"]


class ApplicationCreate(AtsModel):
    candidateId: UUID
    jobId: UUID
    interviewPlanId: UUID | None = None
    interviewStageId: str | None = Field(None, min_length=1, max_length=64)
    createdAt: datetime | None = None
    sourceId: str | None = Field(None, max_length=255)
    creditedToUserId: str | None = Field(None, max_length=255)
    applicationHistory: list[Any] | None = Field(None, max_length=100)

    @field_validator("createdAt")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone (e.g. 2024-05-01T09:00:00Z)")
        return value

    def check(self) -> None:
        if self.sourceId is not None:
            raise invalid_input("sourceId", "is not supported: this service keeps no sources; leave it out")
        if self.creditedToUserId is not None:
            raise invalid_input("creditedToUserId", "is not supported: this service keeps no users; leave it out")
        if self.applicationHistory is not None:
            raise invalid_input("applicationHistory", "is not supported: this service keeps no stage history")

    def stage(self, organization_id: str) -> hiring_process.Stage:
        """The stage the application starts in (``interview_plan_not_found``/``interview_stage_not_found`` else)."""
        if self.interviewPlanId is not None and str(self.interviewPlanId) != hiring_process.plan_id(organization_id):
            raise not_found("interview_plan", str(self.interviewPlanId), field="interviewPlanId")
        if self.interviewStageId is None:
            stage = hiring_process.find_stage(organization_id, hiring_process.FIRST_PRE_INTERVIEW_SCREEN)
        else:
            stage = hiring_process.find_stage(organization_id, self.interviewStageId)
        if stage is None:
            raise not_found("interview_stage", str(self.interviewStageId), field="interviewStageId")
        if stage.status == ApplicationStatus.ARCHIVED:
            raise invalid_input(
                "interviewStageId",
                "is the Archived stage, which needs an archive reason: create the application, then archive it "
                "with application.changeStatus",
            )
        return stage


class ApplicationInfo(AtsModel):
    applicationId: UUID
    expand: list[Literal["openings", "applicationFormSubmissions", "referrals"]] = Field(
        default_factory=list, max_length=3
    )


class ApplicationList(ListParams):
    jobId: UUID | None = None
    status: StatusName | None = None
    expand: list[Literal["openings"]] = Field(default_factory=list, max_length=1)


class ApplicationChangeStatus(AtsModel):
    applicationId: UUID
    status: StatusName
    archiveReasonId: str | None = Field(None, min_length=1, max_length=255)

    def check(self) -> None:
        if self.status == "Archived" and self.archiveReasonId is None:
            raise invalid_input("archiveReasonId", "is required when the status is Archived")
        if self.status != "Archived" and self.archiveReasonId is not None:
            raise invalid_input("archiveReasonId", "is only allowed when the status is Archived")


def render(session: Session, applications: list[Application]) -> list[dict[str, Any]]:
    if not applications:
        return []
    related = load_related(session, applications[0].organization_id, [a.id for a in applications], candidates=False)
    return [application_json(a, related) for a in applications]


def application_body(session: Session, application: Application) -> dict[str, Any]:
    return render(session, [application])[0]


@router.post(
    "/application.create",
    summary="Consider a candidate for a job (candidatesWrite)",
    openapi_extra=ats(
        ApplicationCreate,
        "Application",
        idempotent=True,
        errors=[error("candidate_not_found", "Candidate not found."), error("job_not_open", "The job is closed.")],
    ),
)
async def application_create(request: Request, caller: Write) -> Response:
    data = await read_body(request, ApplicationCreate)
    data.check()
    stage = data.stage(caller.organization_id)
    runtime = get_runtime(request)

    def work(session: Session) -> dict[str, Any]:
        org = caller.organization_id
        candidate = get_owned(session, Candidate, org, str(data.candidateId), "candidate", "candidateId")
        job = get_owned(session, Job, org, str(data.jobId), "job", "jobId")
        if job.status in (JobStatus.CLOSED, JobStatus.ARCHIVED):
            raise invalid_state("job_not_open", "The job is closed or archived; it takes no new applications.")
        application = Application(
            organization_id=org,
            candidate_id=candidate.id,
            job_id=job.id,
            status=stage.status,
            current_stage=stage.title,
        )
        if data.createdAt is not None:
            application.created_at = data.createdAt
        session.add(application)
        session.flush()
        session.refresh(application)
        if application.status == ApplicationStatus.HIRED:
            events.candidate_hired(runtime, session, application)
        return ok(application_body(session, application))

    return await write(request, caller, "application.create", data, work)


@router.post(
    "/application.info",
    summary="An application by id (candidatesRead)",
    openapi_extra=ats(
        ApplicationInfo, "Application", errors=[error("application_not_found", "Application not found.")]
    ),
)
async def application_info(request: Request, caller: Read) -> dict[str, Any]:
    data = await read_body(request, ApplicationInfo)

    def work(session: Session) -> dict[str, Any]:
        application = get_owned(
            session, Application, caller.organization_id, str(data.applicationId), "application", "applicationId"
        )
        return ok(expand_application(application_body(session, application), data.expand))

    return await in_transaction(request, work)


@router.post(
    "/application.list",
    summary="Applications, paginated, with incremental sync (candidatesRead)",
    openapi_extra=ats(ApplicationList, "Application", many=True),
)
async def application_list(request: Request, caller: Read) -> dict[str, Any]:
    params = await read_body(request, ApplicationList)
    job_id = str(params.jobId) if params.jobId is not None else None
    secret = get_runtime(request).signing_key
    filters = {"jobId": job_id, "status": params.status}
    page = listing.start(secret, "application.list", caller.organization_id, params, filters)
    statement = listing.base_query(Application, caller.organization_id)
    if job_id is not None:
        statement = statement.where(Application.job_id == job_id)
    if params.status is not None:
        statement = statement.where(Application.status == ApplicationStatus(params.status))

    def draw(session: Session, rows: list[Application]) -> list[dict[str, Any]]:
        return [expand_application(body, params.expand) for body in render(session, rows)]

    return await in_transaction(
        request, lambda session: listing.fetch(session, secret, page, statement, Application, draw)
    )


def change_status(
    runtime: Runtime,
    session: Session,
    organization_id: str,
    application_id: str,
    status: ApplicationStatus,
    archive_reason: str | None,
    stage_title: str | None = None,
) -> Application:
    """Set the status, archive reason and (given a ``stage_title``) stage; nothing changes when they are already so.
    Becoming Hired emits the ``candidateHire`` webhook event in the same transaction."""
    application = get_owned(session, Application, organization_id, application_id, "application", "applicationId")
    stage = stage_title if stage_title is not None else application.current_stage
    if (application.status, application.archive_reason, application.current_stage) == (status, archive_reason, stage):
        return application
    previous = application.status
    application.status = status
    application.archive_reason = archive_reason
    application.current_stage = stage
    application.updated_at = utcnow()
    session.flush()
    if status == ApplicationStatus.HIRED and previous != ApplicationStatus.HIRED:
        events.candidate_hired(runtime, session, application)
    return application


@router.post(
    "/application.changeStatus",
    summary="Set Hired, Archived, Active or Lead (hirebridge extension)",
    openapi_extra=ats(
        ApplicationChangeStatus, "Application", errors=[error("application_not_found", "Application not found.")]
    ),
)
async def application_change_status(request: Request, caller: Write) -> dict[str, Any]:
    data = await read_body(request, ApplicationChangeStatus)
    data.check()
    runtime = get_runtime(request)

    def work(session: Session) -> dict[str, Any]:
        application = change_status(
            runtime,
            session,
            caller.organization_id,
            str(data.applicationId),
            ApplicationStatus(data.status),
            data.archiveReasonId,
        )
        return ok(application_body(session, application))

    return await in_transaction(request, work)


class ApplicationChangeStage(AtsModel):
    applicationId: UUID
    interviewStageId: str = Field(min_length=1, max_length=64)
    archiveReasonId: str | None = Field(None, min_length=1, max_length=255)
    archiveEmail: dict[str, Any] | None = None

    def stage(self, organization_id: str) -> hiring_process.Stage:
        if self.archiveEmail is not None:
            raise invalid_input("archiveEmail", "is not supported: this service sends no emails")
        stage = hiring_process.find_stage(organization_id, self.interviewStageId)
        if stage is None:
            raise not_found("interview_stage", self.interviewStageId, field="interviewStageId")
        archived = stage.status == ApplicationStatus.ARCHIVED
        if archived and self.archiveReasonId is None:
            raise invalid_input("archiveReasonId", "is required when moving to the Archived stage")
        if not archived and self.archiveReasonId is not None:
            raise invalid_input("archiveReasonId", "is only allowed when moving to the Archived stage")
        return stage


@router.post(
    "/application.changeStage",
    summary="Move an application to a stage of its interview plan (candidatesWrite)",
    openapi_extra=ats(
        ApplicationChangeStage,
        "Application",
        errors=[
            error("application_not_found", "Application not found."),
            error("interview_stage_not_found", "Interview stage not found."),
        ],
    ),
)
async def application_change_stage(request: Request, caller: Write) -> dict[str, Any]:
    """Ashby's stage move, within the default interview plan: the stage decides the status (Lead, Active, Hired,
    Archived); ``archiveReasonId`` (the reason's text) is required for the Archived stage and refused otherwise."""
    data = await read_body(request, ApplicationChangeStage)
    stage = data.stage(caller.organization_id)
    runtime = get_runtime(request)

    def work(session: Session) -> dict[str, Any]:
        application = change_status(
            runtime,
            session,
            caller.organization_id,
            str(data.applicationId),
            stage.status,
            data.archiveReasonId,
            stage.title,
        )
        return ok(application_body(session, application))

    return await in_transaction(request, work)
