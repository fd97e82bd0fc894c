"""The hiring process every organization has in the ATS API: one default interview plan with fixed stages, archive
reasons and the offer form, each with ids that are stable per organization (``stable_id``), as Ashby's objects.

hirebridge keeps an application's status (Lead, Active, Hired, Archived) and the name of its stage; the default plan
gives those a place in Ashby's model (``interviewPlan.list``, ``interviewStage.list``, an application's
``currentInterviewStage``):

    order  title                 type
    0      Lead                  Lead
    1      Application Review    PreInterviewScreen   (where application.create puts an application by default)
    2      Interview             Active
    3      Offer                 Offer
    4      Hired                 Hired
    5      Archived              Archived

An archive reason is kept as the text the caller gave; its Ashby object has an id derived from that text (never the
text itself), ``reasonType: Other`` and no custom fields.

The offer form (``offer.start``'s ``formDefinition``) has the fields hirebridge stores on an offer: ``startDate``
(Date), ``salary`` (Currency), ``salaryPeriod`` (ValueSelect) and ``jobTitle`` (String); none is required.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hirebridge.core.models import ApplicationStatus

_NAMESPACE = uuid.UUID("6f1c7f52-5b0e-4d43-9b4e-1f0c2a8f9d11")

PLAN_TITLE = "Default Interview Plan"
FIRST_PRE_INTERVIEW_SCREEN = "FirstPreInterviewScreen"
DEFAULT_STAGE = "Application Review"
# The plan exists since the service does; its createdAt/updatedAt are this fixed moment.
PLAN_CREATED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def stable_id(*parts: str) -> str:
    """A UUID that is always the same for the same parts (for values hirebridge keeps without an id)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True)
class Stage:
    order: int
    title: str
    type: str
    status: ApplicationStatus


STAGES = (
    Stage(0, "Lead", "Lead", ApplicationStatus.LEAD),
    Stage(1, DEFAULT_STAGE, "PreInterviewScreen", ApplicationStatus.ACTIVE),
    Stage(2, "Interview", "Active", ApplicationStatus.ACTIVE),
    Stage(3, "Offer", "Offer", ApplicationStatus.ACTIVE),
    Stage(4, "Hired", "Hired", ApplicationStatus.HIRED),
    Stage(5, "Archived", "Archived", ApplicationStatus.ARCHIVED),
)
_BY_TITLE = {stage.title: stage for stage in STAGES}
_FOR_STATUS = {
    ApplicationStatus.LEAD: _BY_TITLE["Lead"],
    ApplicationStatus.HIRED: _BY_TITLE["Hired"],
    ApplicationStatus.ARCHIVED: _BY_TITLE["Archived"],
}


def plan_id(organization_id: str) -> str:
    return stable_id(organization_id, "interviewPlan", "default")


def stage_id(organization_id: str, title: str) -> str:
    return stable_id(organization_id, "interviewStage", title)


def plan_json(organization_id: str) -> dict[str, Any]:
    return {
        "id": plan_id(organization_id),
        "title": PLAN_TITLE,
        "isArchived": False,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "updatedAt": "2024-01-01T00:00:00.000Z",
    }


def stage_json(organization_id: str, stage: Stage) -> dict[str, Any]:
    return {
        "id": stage_id(organization_id, stage.title),
        "title": stage.title,
        "type": stage.type,
        "orderInInterviewPlan": stage.order,
        "interviewPlanId": plan_id(organization_id),
    }


def stages_json(organization_id: str) -> list[dict[str, Any]]:
    return [stage_json(organization_id, stage) for stage in STAGES]


def find_stage(organization_id: str, stage_ref: str) -> Stage | None:
    """The stage an ``interviewStageId`` names (``FirstPreInterviewScreen`` included), else None."""
    if stage_ref == FIRST_PRE_INTERVIEW_SCREEN:
        return _BY_TITLE[DEFAULT_STAGE]
    return next((s for s in STAGES if stage_id(organization_id, s.title) == stage_ref.lower()), None)


def current_stage(organization_id: str, status: ApplicationStatus, title: str) -> dict[str, Any]:
    """An application's ``currentInterviewStage``: its status decides Lead, Hired and Archived; an Active one is in
    the stage it names when that is an active stage of the plan, else in Application Review."""
    stage = _FOR_STATUS.get(status)
    if stage is None:
        named = _BY_TITLE.get(title)
        stage = named if named is not None and named.status == ApplicationStatus.ACTIVE else _BY_TITLE[DEFAULT_STAGE]
    return stage_json(organization_id, stage)


def archive_reason_json(organization_id: str, text: str) -> dict[str, Any]:
    return {
        "id": stable_id(organization_id, "archiveReason", text),
        "text": text,
        "reasonType": "Other",
        "isArchived": False,
        "customFields": [],
    }


# --- the offer form -------------------------------------------------------------------------------------------------

SALARY_PERIODS = ("Year", "Month", "Week", "Day", "Hour")
OFFER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("startDate", "Date", "Start date"),
    ("salary", "Currency", "Salary"),
    ("salaryPeriod", "ValueSelect", "Salary period"),
    ("jobTitle", "String", "Job title"),
)


def offer_form_definition(organization_id: str) -> dict[str, Any]:
    fields = []
    for path, kind, title in OFFER_FIELDS:
        field: dict[str, Any] = {
            "id": stable_id(organization_id, "offerFormField", path),
            "type": kind,
            "path": path,
            "humanReadablePath": title,
            "title": title,
            "isNullable": True,
        }
        if kind == "ValueSelect":
            field["selectableValues"] = [{"label": p, "value": p} for p in SALARY_PERIODS]
        fields.append({"isRequired": False, "field": field})
    return {"sections": [{"title": "Offer", "fields": fields}]}
