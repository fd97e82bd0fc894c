"""Core records as Ashby's objects (field names as in Ashby's OpenAPI), for the ATS API's answers.

What hirebridge stores differently, and how it shows:

- Ids a record carries in other systems (``core.ExternalId``: Workday's ids from the partner API; ``RemoteRecord``:
  the HRIS employee a candidate became) appear in the object's ``customFields``, Ashby's place for extra values, as
  ``{"id", "title": "<system> <kind> id", "value": "<external id>", "isPrivate": false}``. The candidate's own custom
  fields follow as ``{"id", "title": <key>, "value", "isPrivate": false}``.
- Jobs keep location and department as names: ``locationId``/``departmentId`` are null and the names are in the
  extension fields ``locationName``/``departmentName``.
- An application's stage is a name: ``currentInterviewStage`` has a stable id derived from it and a ``type`` that
  follows the application's status.
- Offers have one version: ``latestVersion`` carries ``startDate``, ``salary`` and the offer's custom fields.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.core.models import (
    Application,
    ApplicationStatus,
    Candidate,
    ExternalId,
    Job,
    JobStatus,
    Offer,
    OfferStatus,
    StoredFile,
)
from hirebridge.hris.models import HrisConnection, RemoteRecord

_NAMESPACE = uuid.UUID("6f1c7f52-5b0e-4d43-9b4e-1f0c2a8f9d11")

JOB_STATUS = {
    JobStatus.DRAFT: "Draft",
    JobStatus.OPEN: "Open",
    JobStatus.CLOSED: "Closed",
    JobStatus.ARCHIVED: "Archived",
}
JOB_STATUS_IN = {value: key for key, value in JOB_STATUS.items()}

# Ashby's acceptanceStatus for each offerStatus (our mapping; Ashby documents both lists but not how they relate).
ACCEPTANCE_STATUS = {
    OfferStatus.WAITING_ON_APPROVAL_START: "Created",
    OfferStatus.WAITING_ON_APPROVAL_DEFINITION: "Created",
    OfferStatus.WAITING_ON_OFFER_APPROVAL: "Pending",
    OfferStatus.WAITING_ON_CANDIDATE_RESPONSE: "WaitingOnResponse",
    OfferStatus.CANDIDATE_ACCEPTED: "Accepted",
    OfferStatus.CANDIDATE_REJECTED: "Declined",
    OfferStatus.OFFER_CANCELLED: "Cancelled",
}
APPROVAL_STATUS = {
    OfferStatus.WAITING_ON_OFFER_APPROVAL: "WaitingOnApprovals",
    OfferStatus.WAITING_ON_CANDIDATE_RESPONSE: "Approved",
    OfferStatus.CANDIDATE_ACCEPTED: "Approved",
    OfferStatus.CANDIDATE_REJECTED: "Approved",
}


def stable_id(*parts: str) -> str:
    """A UUID that is always the same for the same parts (for values hirebridge keeps without an id)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Related:
    """What a page of objects needs besides their own rows, loaded in a few queries for the whole page."""

    external_ids: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    application_ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    files: dict[str, list[StoredFile]] = field(default_factory=lambda: defaultdict(list))


def load_related(session: Session, organization_id: str, entity_ids: Iterable[str], *, candidates: bool) -> Related:
    ids = list(dict.fromkeys(entity_ids))
    related = Related()
    if not ids:
        return related
    rows = session.scalars(
        select(ExternalId)
        .where(ExternalId.organization_id == organization_id, ExternalId.entity_id.in_(ids))
        .order_by(ExternalId.created_at, ExternalId.id)
    )
    for row in rows:
        related.external_ids[row.entity_id].append(
            {"id": row.id, "title": f"{row.system} {row.kind} id", "value": row.external_id, "isPrivate": False}
        )
    if not candidates:
        return related
    remote = session.execute(
        select(RemoteRecord, HrisConnection.system)
        .join(HrisConnection, HrisConnection.id == RemoteRecord.connection_id)
        .where(RemoteRecord.organization_id == organization_id, RemoteRecord.candidate_id.in_(ids))
        .order_by(RemoteRecord.created_at, RemoteRecord.id)
    )
    for record, system in remote:
        related.external_ids[record.candidate_id].append(
            {
                "id": record.id,
                "title": f"{system} {record.remote_kind} id",
                "value": record.remote_id,
                "isPrivate": False,
            }
        )
    applications = session.execute(
        select(Application.candidate_id, Application.id)
        .where(Application.organization_id == organization_id, Application.candidate_id.in_(ids))
        .order_by(Application.created_at, Application.id)
    )
    for candidate_id, application_id in applications:
        related.application_ids[candidate_id].append(application_id)
    files = session.scalars(
        select(StoredFile)
        .where(StoredFile.organization_id == organization_id, StoredFile.candidate_id.in_(ids))
        .order_by(StoredFile.created_at, StoredFile.id)
    )
    for stored in files:
        related.files[stored.candidate_id].append(stored)
    return related


def _contact(value: str | None, kind: str = "Personal") -> dict[str, Any] | None:
    return {"value": value, "type": kind, "isPrimary": True} if value else None


_EXTENSIONS = {"application/pdf": ".pdf", "application/msword": ".doc", "text/plain": ".txt"}


def _file_handle(stored: StoredFile) -> dict[str, str]:
    extension = _EXTENSIONS.get(stored.content_type, ".docx" if "wordprocessingml" in stored.content_type else "")
    return {"id": stored.id, "name": f"{stored.purpose}{extension}", "handle": stored.id}


def _current_experience(candidate: Candidate) -> dict[str, Any]:
    experiences = [e for e in (candidate.work_experiences or []) if isinstance(e, dict)]
    current = [e for e in experiences if e.get("is_current")]
    return (current or experiences or [{}])[0]


def _own_custom_fields(owner_id: str, values: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [
        {"id": stable_id(owner_id, "customField", str(key)), "title": str(key), "value": value, "isPrivate": False}
        for key, value in sorted((values or {}).items())
    ]


def candidate_json(candidate: Candidate, related: Related) -> dict[str, Any]:
    email = _contact(candidate.email)
    phone = _contact(candidate.phone)
    files = [_file_handle(f) for f in related.files.get(candidate.id, [])]
    resumes = [f for f in related.files.get(candidate.id, []) if f.purpose == "resume"]
    experience = _current_experience(candidate)
    location = None
    if candidate.location:
        location = {
            "id": stable_id(candidate.id, "location", candidate.location),
            "locationSummary": candidate.location,
            "locationComponents": [],
        }
    return {
        "id": candidate.id,
        "createdAt": iso(candidate.created_at),
        "updatedAt": iso(candidate.updated_at),
        "name": candidate.name,
        "primaryEmailAddress": email,
        "emailAddresses": [email] if email else [],
        "primaryPhoneNumber": phone,
        "phoneNumbers": [phone] if phone else [],
        "socialLinks": [],
        "tags": [],
        "position": experience.get("role"),
        "company": experience.get("organization"),
        "school": None,
        "applicationIds": list(related.application_ids.get(candidate.id, [])),
        "resumeFileHandle": _file_handle(resumes[-1]) if resumes else None,
        "fileHandles": files,
        "customFields": related.external_ids.get(candidate.id, [])
        + _own_custom_fields(candidate.id, candidate.custom_fields),
        "profileUrl": None,
        "source": None,
        "creditedToUser": None,
        "timezone": None,
        "location": location,
    }


def job_json(job: Job, related: Related | None = None) -> dict[str, Any]:
    return {
        "id": job.id,
        "title": job.title,
        "confidential": False,
        "status": JOB_STATUS[job.status],
        "employmentType": job.employment_type,
        "locationId": None,
        "departmentId": None,
        "locationName": job.location,
        "departmentName": job.department,
        "defaultInterviewPlanId": None,
        "interviewPlanIds": [],
        "customFields": related.external_ids.get(job.id, []) if related is not None else [],
        "jobPostingIds": [],
        "customRequisitionId": None,
        "hiringTeam": [],
        "createdAt": iso(job.created_at),
        "updatedAt": iso(job.updated_at),
        "openedAt": iso(job.published_at),
        "closedAt": iso(job.closed_at),
    }


_STAGE_TYPE = {
    ApplicationStatus.ACTIVE: "Active",
    ApplicationStatus.HIRED: "Hired",
    ApplicationStatus.ARCHIVED: "Archived",
    ApplicationStatus.LEAD: "Lead",
}


def application_json(application: Application, related: Related | None = None) -> dict[str, Any]:
    candidate, job = application.candidate, application.job
    archive_reason = None
    if application.status == ApplicationStatus.ARCHIVED and application.archive_reason:
        archive_reason = {"id": application.archive_reason, "text": application.archive_reason, "reasonType": None}
    return {
        "id": application.id,
        "createdAt": iso(application.created_at),
        "updatedAt": iso(application.updated_at),
        "status": application.status.value,
        "customFields": related.external_ids.get(application.id, []) if related is not None else [],
        "candidate": {
            "id": candidate.id,
            "name": candidate.name,
            "primaryEmailAddress": _contact(candidate.email),
            "primaryPhoneNumber": _contact(candidate.phone),
        },
        "currentInterviewStage": {
            "id": stable_id(application.organization_id, "stage", application.current_stage),
            "title": application.current_stage,
            "type": _STAGE_TYPE[application.status],
            "orderInInterviewPlan": None,
            "interviewStageGroupId": None,
            "interviewPlanId": None,
        },
        "source": None,
        "archiveReason": archive_reason,
        "job": {"id": job.id, "title": job.title, "locationId": None, "departmentId": None},
        "creditedToUser": None,
        "hiringTeam": [],
        "appliedViaJobPostingId": None,
        "submitterClientIp": None,
        "submitterUserAgent": None,
    }


def offer_json(offer: Offer) -> dict[str, Any]:
    salary = None
    if offer.salary_value is not None and offer.salary_currency:
        salary = {"currencyCode": offer.salary_currency, "value": money(offer.salary_value)}
    return {
        "id": offer.id,
        "decidedAt": iso(offer.decided_at),
        "applicationId": offer.application_id,
        "acceptanceStatus": ACCEPTANCE_STATUS[offer.status],
        "offerStatus": offer.status.value,
        "latestVersion": {
            "id": offer.version_id,
            "startDate": day(offer.start_date),
            "salary": salary,
            "createdAt": iso(offer.created_at),
            "openingId": None,
            "customFields": _own_custom_fields(offer.version_id, offer.custom_fields),
            "fileHandles": [],
            "author": None,
            "approvalStatus": APPROVAL_STATUS.get(offer.status),
        },
    }
