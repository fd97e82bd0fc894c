"""Taking candidates in from another system (Workday through the partner API) into the core records.

An application arrives with the other system's ids for the job, the candidate and the application. The same
application id sent again is the same application (a replay, answered from what is stored); sent with another
job or candidate it is a conflict. A candidate id seen before is the same person, so their record is reused
and brought up to date. Every mapping is an ``ExternalId`` row, unique in the database, so two requests racing
with the same ids cannot both create: the loser's transaction fails on the constraint and
``retry_on_conflict`` runs it again, when it finds the winner's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hirebridge.core.external_ids import find_entity_id, link
from hirebridge.core.models import Application, Candidate, Job
from hirebridge.errors import Conflict
from hirebridge.runtime import Runtime

T = TypeVar("T")


@dataclass(frozen=True)
class CandidateDetails:
    first_name: str
    last_name: str | None
    email: str
    work_experiences: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class IntakeResult:
    application: Application
    candidate: Candidate
    created: bool


def find_job(session: Session, organization_id: str, system: str, external_job_id: str) -> Job | None:
    job_id = find_entity_id(session, organization_id, system, "job", external_job_id)
    if job_id is None:
        return None
    return session.scalar(select(Job).where(Job.id == job_id, Job.organization_id == organization_id))


def find_application(
    session: Session, organization_id: str, system: str, external_application_id: str
) -> Application | None:
    application_id = find_entity_id(session, organization_id, system, "application", external_application_id)
    if application_id is None:
        return None
    return session.scalar(
        select(Application).where(Application.id == application_id, Application.organization_id == organization_id)
    )


def check_replay(
    session: Session,
    application: Application,
    *,
    system: str,
    external_job_id: str,
    external_candidate_id: str,
    external_application_id: str,
) -> None:
    """A known application id sent again must name the same job and candidate; otherwise 409."""
    org = application.organization_id
    same_job = find_entity_id(session, org, system, "job", external_job_id) == application.job_id
    same_candidate = (
        find_entity_id(session, org, system, "candidate", external_candidate_id) == application.candidate_id
    )
    if same_job and same_candidate:
        return
    differing = [name for name, same in (("ext_job_id", same_job), ("ext_candidate_id", same_candidate)) if not same]
    raise Conflict(
        f"ext_application_id '{external_application_id}' already belongs to an application with a different "
        f"{' and '.join(differing)}; an application id cannot be reused for another job or candidate.",
        code="APPLICATION_CONFLICT",
        meta={"conflicting_fields": differing},
    )


def upsert_candidate(
    session: Session, organization_id: str, system: str, external_candidate_id: str, details: CandidateDetails
) -> Candidate:
    """The candidate this external id names, created or updated with the latest details."""
    candidate_id = find_entity_id(session, organization_id, system, "candidate", external_candidate_id)
    candidate = None
    if candidate_id is not None:
        candidate = session.scalar(
            select(Candidate).where(Candidate.id == candidate_id, Candidate.organization_id == organization_id)
        )
    if candidate is None:
        candidate = Candidate(organization_id=organization_id)
        session.add(candidate)
        session.flush()
        link(session, organization_id, system, "candidate", external_candidate_id, candidate.id)
    candidate.first_name = details.first_name
    candidate.last_name = details.last_name
    candidate.email = details.email
    candidate.work_experiences = list(details.work_experiences)
    return candidate


def create_application(
    session: Session,
    *,
    job: Job,
    system: str,
    external_candidate_id: str,
    external_application_id: str,
    details: CandidateDetails,
) -> IntakeResult:
    """A new application of the (new or known) candidate to ``job``, mapped to its external id."""
    organization_id = job.organization_id
    candidate = upsert_candidate(session, organization_id, system, external_candidate_id, details)
    application = Application(organization_id=organization_id, candidate_id=candidate.id, job_id=job.id)
    session.add(application)
    session.flush()
    link(session, organization_id, system, "application", external_application_id, application.id)
    return IntakeResult(application=application, candidate=candidate, created=True)


def retry_on_conflict(runtime: Runtime, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run ``work`` in a transaction; when a concurrent writer took a unique id first, run it again (it then
    finds that writer's rows and answers from them)."""
    for attempt in range(1, attempts + 1):
        try:
            with runtime.transaction() as session:
                return work(session)
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
