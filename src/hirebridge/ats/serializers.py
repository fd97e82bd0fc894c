"""Core records as Ashby's objects (field names as in Ashby's OpenAPI), for the ATS API's answers.

What hirebridge stores differently, and how it shows:

- Ids a record carries in other systems (``core.ExternalId``: Workday's ids from the partner API; ``RemoteRecord``:
  the HRIS employee a candidate became) appear in the object's ``customFields``, Ashby's place for extra values, as
  ``{"id", "title": "<system> <kind> id", "value": "<external id>", "isPrivate": false}``. The candidate's own custom
  fields follow as ``{"id", "title": <key>, "value", "isPrivate": false}``.
- Jobs keep location and department as names: ``locationId``/``departmentId`` are left out and the names are in the
  extension fields ``locationName``/``departmentName``. Every job uses the default interview plan
  (``ats.hiring_process``).
- An application's ``currentInterviewStage`` is a stage of the default interview plan (``ats.hiring_process``); an
  archived one's ``archiveReason`` is Ashby's object, with an id derived from the reason's text.
- Offers have one version: ``latestVersion`` carries ``startDate`` (midnight UTC of the start day, as Ashby's
  date-time), ``salary`` and the offer's custom fields; ``formDefinition`` is the offer form.
- A field Ashby's schema does not let be null is left out when hirebridge has no value for it; ``profileUrl`` is the
  candidate's ``GET /candidate.info?id=`` address in this service.
- Custom field values are those Ashby's schema allows (string, number, boolean, list of strings, currency); a value
  of another kind is answered as its JSON text, and an empty (null) value is left out.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.ats import hiring_process
from hirebridge.ats.hiring_process import stable_id
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
            {"id": row.id, "isPrivate": False, "title": f"{row.system} {row.kind} id", "value": row.external_id}
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
                "isPrivate": False,
                "title": f"{system} {record.remote_kind} id",
                "value": record.remote_id,
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


def _present(body: dict[str, Any], *nullable: str) -> dict[str, Any]:
    """``body`` without the keys whose value is None (unless Ashby's schema lets that key be null)."""
    return {key: value for key, value in body.items() if value is not None or key in nullable}


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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def custom_value(value: Any) -> Any:
    """A stored custom field value as one Ashby's schema allows (None: leave the field out)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    if (
        isinstance(value, dict)
        and isinstance(value.get("currencyCode"), str)
        and isinstance(value.get("value"), int | float)
    ):
        return {"value": value["value"], "currencyCode": value["currencyCode"]}
    return json.dumps(value, sort_keys=True, default=str)


def _own_custom_fields(owner_id: str, values: dict[str, Any] | None) -> list[dict[str, Any]]:
    fields = []
    for key, raw in sorted((values or {}).items()):
        value = custom_value(raw)
        if value is not None:
            fields.append(
                {
                    "id": stable_id(owner_id, "customField", str(key)),
                    "isPrivate": False,
                    "title": str(key),
                    "value": value,
                }
            )
    return fields


def profile_url(public_url: str, candidate_id: str) -> str:
    return f"{public_url.rstrip('/')}/candidate.info?id={candidate_id}"


def candidate_json(candidate: Candidate, related: Related, public_url: str) -> dict[str, Any]:
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
    return _present(
        {
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
            "position": _text(experience.get("role")),
            "company": _text(experience.get("organization")),
            "applicationIds": list(related.application_ids.get(candidate.id, [])),
            "resumeFileHandle": _file_handle(resumes[-1]) if resumes else None,
            "fileHandles": files,
            "customFields": related.external_ids.get(candidate.id, [])
            + _own_custom_fields(candidate.id, candidate.custom_fields),
            "profileUrl": profile_url(public_url, candidate.id),
            "location": location,
        }
    )


EMPLOYMENT_TYPES = ("FullTime", "PartTime", "Intern", "Contract", "Temporary")


def job_json(job: Job, related: Related | None = None) -> dict[str, Any]:
    plan = hiring_process.plan_id(job.organization_id)
    return _present(
        {
            "id": job.id,
            "title": job.title,
            "confidential": False,
            "status": JOB_STATUS[job.status],
            "employmentType": job.employment_type if job.employment_type in EMPLOYMENT_TYPES else "FullTime",
            "locationName": job.location,
            "departmentName": job.department,
            "defaultInterviewPlanId": plan,
            "interviewPlanIds": [plan],
            "customFields": related.external_ids.get(job.id, []) if related is not None else [],
            "jobPostingIds": [],
            "hiringTeam": [],
            "createdAt": iso(job.created_at),
            "updatedAt": iso(job.updated_at),
            "openedAt": iso(job.published_at),
            "closedAt": iso(job.closed_at),
        }
    )


def application_json(application: Application, related: Related | None = None) -> dict[str, Any]:
    candidate, job = application.candidate, application.job
    organization_id = application.organization_id
    archive_reason = None
    if application.status == ApplicationStatus.ARCHIVED and application.archive_reason:
        archive_reason = hiring_process.archive_reason_json(organization_id, application.archive_reason)
    return _present(
        {
            "id": application.id,
            "createdAt": iso(application.created_at),
            "updatedAt": iso(application.updated_at),
            "status": application.status.value,
            "customFields": related.external_ids.get(application.id, []) if related is not None else [],
            "candidate": _present(
                {
                    "id": candidate.id,
                    "name": candidate.name,
                    "primaryEmailAddress": _contact(candidate.email),
                    "primaryPhoneNumber": _contact(candidate.phone),
                }
            ),
            "currentInterviewStage": hiring_process.current_stage(
                organization_id, application.status, application.current_stage
            ),
            "archiveReason": archive_reason,
            "job": {"id": job.id, "title": job.title},
            "hiringTeam": [],
        }
    )


def expand_job(body: dict[str, Any], job: Job, expand: Iterable[str]) -> dict[str, Any]:
    """Ashby's ``expand`` on job.info/job.list: ``openings`` (hirebridge keeps none: an empty list) and ``location``
    (the job's location name as Ashby's location object, with an id derived from the name; left out without one)."""
    if "openings" in expand:
        body["openings"] = []
    if "location" in expand and job.location:
        location_id = stable_id(job.organization_id, "location", job.location)
        body["location"] = {"id": location_id, "name": job.location, "isArchived": False}
    return body


def expand_application(body: dict[str, Any], expand: Iterable[str]) -> dict[str, Any]:
    """Ashby's ``expand`` on application.info/list: hirebridge keeps no openings, form submissions or referrals, so
    each one asked for is an empty list."""
    for name in ("openings", "applicationFormSubmissions", "referrals"):
        if name in expand:
            body[name] = []
    return body


def start_date(value: date | None) -> str | None:
    """An offer's start day as Ashby's date-time: midnight UTC of that day."""
    return iso(datetime.combine(value, time(0), tzinfo=UTC)) if value is not None else None


def offer_json(offer: Offer) -> dict[str, Any]:
    salary = None
    if offer.salary_value is not None and offer.salary_currency:
        salary = {"currencyCode": offer.salary_currency, "value": money(offer.salary_value)}
    version = _present(
        {
            "id": offer.version_id,
            "startDate": start_date(offer.start_date),
            "salary": salary,
            "createdAt": iso(offer.created_at),
            "customFields": _own_custom_fields(offer.version_id, offer.custom_fields),
            "fileHandles": [],
            "approvalStatus": APPROVAL_STATUS.get(offer.status),
        },
        "approvalStatus",
    )
    return _present(
        {
            "id": offer.id,
            "decidedAt": iso(offer.decided_at),
            "applicationId": offer.application_id,
            "acceptanceStatus": ACCEPTANCE_STATUS[offer.status],
            "offerStatus": offer.status.value,
            "latestVersion": version,
            "versions": [version],
            "formDefinition": hiring_process.offer_form_definition(offer.organization_id),
        }
    )
