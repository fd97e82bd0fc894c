"""Taking candidates in from another system (Workday through the partner API) into the core records.

An application arrives with the other system's ids for the job, the candidate and the application. The same
application id sent again is the same application (a replay, answered from what is stored); sent with another
job or candidate it is a conflict. A candidate id seen before is the same person, so their record is reused
and brought up to date. Every mapping is an ``ExternalId`` row, unique in the database, so two requests racing
with the same ids cannot both create: the loser's transaction fails on the constraint and
``retry_on_conflict`` runs it again, when it finds the winner's rows.

This is the hottest write path of the service, so it is written in SQLAlchemy Core with statements built once
(``lookup_ids`` reads the three ids and the job in one statement; ``insert_application`` writes each row once,
with all its columns, the two new ids in one ``executemany``), and nothing is read back that the request itself
sent or that was just written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hirebridge.core.external_ids import find_entity_id
from hirebridge.core.models import Application, ApplicationStatus, Candidate, ExternalId, Job, JobStatus
from hirebridge.db.engine import is_disconnect
from hirebridge.db.types import new_id
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
class ExternalIds:
    """The other system's ids an application arrives with."""

    system: str
    job: str
    candidate: str
    application: str


@dataclass(frozen=True)
class KnownIds:
    """What those ids name here: our ids (None when unknown) and the job's status (None when there is no job)."""

    job_id: str | None
    job_status: JobStatus | None
    candidate_id: str | None
    application_id: str | None


_ids = cast(Table, ExternalId.__table__)
_jobs = cast(Table, Job.__table__)
_candidates = cast(Table, Candidate.__table__)
_LOOKUP = (
    select(_ids.c.kind, _ids.c.entity_id, _jobs.c.status)
    .select_from(
        _ids.outerjoin(
            _jobs,
            and_(
                _ids.c.kind == literal("job"),
                _jobs.c.id == _ids.c.entity_id,
                _jobs.c.organization_id == _ids.c.organization_id,
            ),
        )
    )
    .where(
        _ids.c.organization_id == bindparam("org"),
        _ids.c.system == bindparam("system"),
        or_(
            and_(_ids.c.kind == literal("job"), _ids.c.external_id == bindparam("job")),
            and_(_ids.c.kind == literal("candidate"), _ids.c.external_id == bindparam("candidate")),
            and_(_ids.c.kind == literal("application"), _ids.c.external_id == bindparam("application")),
        ),
    )
)
_INSERT_CANDIDATE = insert(_candidates)
_INSERT_APPLICATION = insert(cast(Table, Application.__table__))
_INSERT_IDS = insert(_ids)
_UPDATE_CANDIDATE = (
    update(_candidates)
    .where(_candidates.c.id == bindparam("candidate_id"), _candidates.c.organization_id == bindparam("org"))
    .values(
        first_name=bindparam("first_name"),
        last_name=bindparam("last_name"),
        email=bindparam("email"),
        work_experiences=bindparam("work_experiences", type_=_candidates.c.work_experiences.type),
        updated_at=bindparam("now", type_=_candidates.c.updated_at.type),
    )
)
_REPOINT_ID = (
    update(_ids)
    .where(
        _ids.c.organization_id == bindparam("org"),
        _ids.c.system == bindparam("system"),
        _ids.c.kind == literal("candidate"),
        _ids.c.external_id == bindparam("external"),
    )
    .values(
        entity_id=bindparam("entity_id", type_=_ids.c.entity_id.type),
        updated_at=bindparam("now", type_=_ids.c.updated_at.type),
    )
)


def lookup_ids(session: Session, organization_id: str, ids: ExternalIds) -> KnownIds:
    """Our ids for the job, candidate and application ids sent, and the job's status, in one statement."""
    rows = session.execute(
        _LOOKUP,
        {
            "org": organization_id,
            "system": ids.system,
            "job": ids.job,
            "candidate": ids.candidate,
            "application": ids.application,
        },
    ).all()
    found = {row.kind: row for row in rows}
    job = found.get("job")
    candidate = found.get("candidate")
    application = found.get("application")
    return KnownIds(
        job_id=job.entity_id if job is not None and job.status is not None else None,
        job_status=JobStatus(job.status) if job is not None and job.status is not None else None,
        candidate_id=candidate.entity_id if candidate is not None else None,
        application_id=application.entity_id if application is not None else None,
    )


def check_replay(known: KnownIds, application_job_id: str, application_candidate_id: str, ids: ExternalIds) -> None:
    """A known application id sent again must name the same job and candidate; otherwise 409."""
    same_job = known.job_id == application_job_id
    same_candidate = known.candidate_id == application_candidate_id
    if same_job and same_candidate:
        return
    differing = [name for name, same in (("ext_job_id", same_job), ("ext_candidate_id", same_candidate)) if not same]
    raise Conflict(
        f"ext_application_id '{ids.application}' already belongs to an application with a different "
        f"{' and '.join(differing)}; an application id cannot be reused for another job or candidate.",
        code="APPLICATION_CONFLICT",
        meta={"conflicting_fields": differing},
    )


@dataclass(frozen=True)
class NewApplication:
    application_id: str
    candidate_id: str
    candidate_created: bool


def insert_application(
    session: Session,
    *,
    organization_id: str,
    job_id: str,
    known_candidate_id: str | None,
    ids: ExternalIds,
    details: CandidateDetails,
    now: datetime,
) -> NewApplication:
    """A new application of the (new or known, then brought up to date) candidate to the job, with its ids mapped.

    The ids are written last, in one statement: a concurrent request with the same ids fails there
    (IntegrityError), its transaction rolls back whole, and ``retry_on_conflict`` finds the winner's rows."""
    new_ids: list[dict[str, Any]] = []
    candidate_id = known_candidate_id
    created = repoint = False
    if candidate_id is not None:
        updated = session.execute(
            _UPDATE_CANDIDATE,
            {
                "candidate_id": candidate_id,
                "org": organization_id,
                "first_name": details.first_name,
                "last_name": details.last_name,
                "email": details.email,
                "work_experiences": list(details.work_experiences),
                "now": now,
            },
        )
        if getattr(updated, "rowcount", 1) != 1:  # the mapping outlived its candidate: map the id to a new one
            candidate_id, repoint = None, True
    if candidate_id is None:
        candidate_id, created = new_id(), True
        session.execute(
            _INSERT_CANDIDATE,
            {
                "id": candidate_id,
                "organization_id": organization_id,
                "first_name": details.first_name,
                "last_name": details.last_name,
                "email": details.email,
                "phone": None,
                "location": None,
                "work_experiences": list(details.work_experiences),
                "custom_fields": {},
                "created_at": now,
                "updated_at": now,
            },
        )
        if repoint:
            session.execute(
                _REPOINT_ID,
                {
                    "org": organization_id,
                    "system": ids.system,
                    "external": ids.candidate,
                    "entity_id": candidate_id,
                    "now": now,
                },
            )
        else:
            new_ids.append(_id_row(organization_id, ids.system, "candidate", ids.candidate, candidate_id, now))
    application_id = new_id()
    session.execute(
        _INSERT_APPLICATION,
        {
            "id": application_id,
            "organization_id": organization_id,
            "candidate_id": candidate_id,
            "job_id": job_id,
            "status": ApplicationStatus.ACTIVE,
            "current_stage": "Application Review",
            "archive_reason": None,
            "created_at": now,
            "updated_at": now,
        },
    )
    new_ids.append(_id_row(organization_id, ids.system, "application", ids.application, application_id, now))
    session.execute(_INSERT_IDS, new_ids)
    return NewApplication(application_id, candidate_id, created)


def _id_row(
    organization_id: str, system: str, kind: str, external_id: str, entity_id: str, now: datetime
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "organization_id": organization_id,
        "system": system,
        "kind": kind,
        "external_id": external_id,
        "entity_id": entity_id,
        "created_at": now,
        "updated_at": now,
    }


def find_job(session: Session, organization_id: str, system: str, external_job_id: str) -> Job | None:
    job_id = find_entity_id(session, organization_id, system, "job", external_job_id)
    if job_id is None:
        return None
    return session.scalar(select(Job).where(Job.id == job_id, Job.organization_id == organization_id))


def retry_on_conflict(runtime: Runtime, work: Callable[[Session], T], attempts: int = 3) -> T:
    """Run ``work`` in a transaction; when a concurrent writer took a unique id first, run it again (it then
    finds that writer's rows and answers from them). A transaction whose connection was lost (the server restarted,
    an idle connection was cut) is run again once too: ``work`` must be safe to repeat, which the unique ids make
    it (a commit that did land is found by the second run)."""
    disconnects = 0
    attempt = 0
    while True:
        attempt += 1
        try:
            with runtime.transaction() as session:
                return work(session)
        except IntegrityError:
            if attempt >= attempts:
                raise
        except Exception as error:
            if not is_disconnect(error) or disconnects >= 1:
                raise
            disconnects += 1
