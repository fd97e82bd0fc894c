"""``offer.create``, ``offer.info``, ``offer.list`` and ``offer.setStatus`` (Ashby's offer object).

``offer.create`` takes two shapes:

- Ashby's: {offerProcessId, offerFormId, offerForm.fieldSubmissions}, after ``offerProcess.start`` and
  ``offer.start`` (see ``ats.offer_process``).
- hirebridge's simple one (**an extension**): {applicationId, startDate, salary{currencyCode, value}, and
  ``salaryPeriod``, ``jobTitle``, ``customFields`` (an object of name -> value, sent to HRIS custom fields)}.

Sending fields of both is ``invalid_input`` naming the one that does not belong. hirebridge keeps one offer with one
version per offer. An application has at most one offer in progress; another is refused
(``offer_already_in_progress``) until the first is decided or cancelled.

``offer.list`` filters by applicationId, offerStatus[], acceptanceStatus[], approvalStatus[] (of the latest version,
which follows ``offerStatus``, see ``serializers.APPROVAL_STATUS``) and Ashby's ``createdAfter``.

``offer.setStatus`` {offerId, offerStatus} is **a hirebridge extension** that moves an offer along Ashby's statuses:

    WaitingOnApprovalStart -> WaitingOnApprovalDefinition | WaitingOnOfferApproval | WaitingOnCandidateResponse
    WaitingOnApprovalDefinition -> WaitingOnOfferApproval | WaitingOnCandidateResponse
    WaitingOnOfferApproval -> WaitingOnCandidateResponse
    WaitingOnCandidateResponse -> CandidateAccepted | CandidateRejected
    any undecided status, and CandidateAccepted (a rescinded offer) -> OfferCancelled

Setting the current status again changes nothing; other moves are ``offer_status_transition_not_allowed``.
``decidedAt`` is set when the candidate accepts or rejects. ``acceptanceStatus`` follows ``offerStatus``
(see ``serializers.ACCEPTANCE_STATUS``).
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hirebridge.ats import events, listing, offer_process
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import get_owned, in_transaction, write
from hirebridge.ats.envelope import AtsModel, ListParams, invalid_input, invalid_state, ok, read_body
from hirebridge.ats.offer_process import OfferForm
from hirebridge.ats.serializers import ACCEPTANCE_STATUS, APPROVAL_STATUS, offer_json
from hirebridge.core.models import Application, Offer, OfferStatus
from hirebridge.db.types import utcnow
from hirebridge.openapi import ats, error
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime

router = APIRouter(tags=["ats: offers"])

Read = Annotated[ApiCaller, Depends(require("offersRead"))]
Write = Annotated[ApiCaller, Depends(require("offersWrite"))]

S = OfferStatus
UNDECIDED = (
    S.WAITING_ON_APPROVAL_START,
    S.WAITING_ON_APPROVAL_DEFINITION,
    S.WAITING_ON_OFFER_APPROVAL,
    S.WAITING_ON_CANDIDATE_RESPONSE,
)
ALLOWED: dict[OfferStatus, set[OfferStatus]] = {
    S.WAITING_ON_APPROVAL_START: {
        S.WAITING_ON_APPROVAL_DEFINITION,
        S.WAITING_ON_OFFER_APPROVAL,
        S.WAITING_ON_CANDIDATE_RESPONSE,
        S.OFFER_CANCELLED,
    },
    S.WAITING_ON_APPROVAL_DEFINITION: {S.WAITING_ON_OFFER_APPROVAL, S.WAITING_ON_CANDIDATE_RESPONSE, S.OFFER_CANCELLED},
    S.WAITING_ON_OFFER_APPROVAL: {S.WAITING_ON_CANDIDATE_RESPONSE, S.OFFER_CANCELLED},
    S.WAITING_ON_CANDIDATE_RESPONSE: {S.CANDIDATE_ACCEPTED, S.CANDIDATE_REJECTED, S.OFFER_CANCELLED},
    S.CANDIDATE_ACCEPTED: {S.OFFER_CANCELLED},
    S.CANDIDATE_REJECTED: set(),
    S.OFFER_CANCELLED: set(),
}
DECIDED = (S.CANDIDATE_ACCEPTED, S.CANDIDATE_REJECTED)

OfferStatusName = Literal[
    "WaitingOnApprovalStart",
    "WaitingOnOfferApproval",
    "WaitingOnApprovalDefinition",
    "WaitingOnCandidateResponse",
    "CandidateRejected",
    "CandidateAccepted",
    "OfferCancelled",
]
AcceptanceStatusName = Literal["Accepted", "Declined", "Pending", "Created", "Cancelled", "WaitingOnResponse"]
CustomValue = Annotated[str, Field(max_length=1000)] | int | float | bool | None


class Salary(AtsModel):
    currencyCode: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. USD")
    value: Decimal = Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2)


class OfferCreate(AtsModel):
    applicationId: UUID | None = Field(None, description="hirebridge's simple shape: the application")
    offerProcessId: UUID | None = Field(None, description="Ashby's shape: the id offerProcess.start answered")
    offerFormId: UUID | None = Field(None, description="Ashby's shape: the id offer.start answered")
    offerForm: OfferForm | None = Field(None, description="Ashby's shape: the filled offer form")
    startDate: date | None = None
    salary: Salary | None = None
    salaryPeriod: Literal["Year", "Month", "Week", "Day", "Hour"] = "Year"
    jobTitle: str | None = Field(None, min_length=1, max_length=255)
    customFields: dict[str, CustomValue] = Field(default_factory=dict, max_length=50)

    @field_validator("customFields")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not name or len(name) > 100:
                raise ValueError("names must be 1 to 100 characters")
        return value

    def check(self) -> None:
        """One shape or the other, complete."""
        if self.offerProcessId is not None:
            for name in ("offerFormId", "offerForm"):
                if getattr(self, name) is None:
                    raise invalid_input(name, "is required with offerProcessId")
            for name in ("applicationId", "startDate", "salary", "salaryPeriod", "jobTitle", "customFields"):
                if name in self.model_fields_set:
                    raise invalid_input(name, "is not part of Ashby's offer.create: submit it in offerForm")
            return
        for name in ("offerFormId", "offerForm"):
            if getattr(self, name) is not None:
                raise invalid_input("offerProcessId", f"is required with {name}")
        if self.applicationId is None:
            raise invalid_input("applicationId", "is required (or Ashby's offerProcessId, offerFormId and offerForm)")


class OfferInfo(AtsModel):
    offerId: UUID


class OfferSetStatus(AtsModel):
    offerId: UUID
    offerStatus: OfferStatusName


class OfferList(ListParams):
    applicationId: UUID | None = None
    offerStatus: list[OfferStatusName] | None = Field(None, min_length=1, max_length=7)
    acceptanceStatus: list[AcceptanceStatusName] | None = Field(None, min_length=1, max_length=6)
    approvalStatus: list[Literal["Approved", "WaitingOnApprovals", "Declined"]] | None = Field(
        None, min_length=1, max_length=3
    )


def render(_session: Session, offers: list[Offer]) -> list[dict[str, Any]]:
    return [offer_json(o) for o in offers]


@router.post(
    "/offer.create",
    summary="Create an offer for an application (offersWrite; simplified shape)",
    openapi_extra=ats(
        OfferCreate, "Offer", idempotent=True, errors=[error("offer_already_in_progress", "Cancel it first.")]
    ),
)
async def offer_create(request: Request, caller: Write) -> Response:
    data = await read_body(request, OfferCreate)
    data.check()
    form = offer_process.form_values(data.offerForm) if data.offerForm is not None else None

    def work(session: Session) -> dict[str, Any]:
        org = caller.organization_id
        process = None
        if data.offerProcessId is not None and form is not None:
            process = offer_process.form_process(session, org, str(data.offerProcessId), str(data.offerFormId))
            application = session.get_one(Application, process.application_id)
            salary = form.get("salary")
            values: dict[str, Any] = {
                "version_id": process.form_id,
                "start_date": form.get("startDate"),
                "salary": salary,
                "salary_period": form.get("salaryPeriod") or "Year",
                "job_title": form.get("jobTitle"),
                "custom_fields": {},
            }
        else:
            application = get_owned(session, Application, org, str(data.applicationId), "application", "applicationId")
            values = {
                "version_id": str(uuid.uuid4()),
                "start_date": data.startDate,
                "salary": data.salary,
                "salary_period": data.salaryPeriod,
                "job_title": data.jobTitle,
                "custom_fields": dict(data.customFields),
            }
        # Take the application's row lock first, so two concurrent creates see each other's offer.
        session.execute(
            update(Application)
            .where(Application.id == application.id)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        open_offer = session.scalar(
            select(Offer.id).where(Offer.application_id == application.id, Offer.status.in_(UNDECIDED)).limit(1)
        )
        if open_offer is not None:
            raise invalid_state(
                "offer_already_in_progress",
                "The application already has an offer in progress; cancel or decide it first.",
                offerId=open_offer,
            )
        salary = values.pop("salary")
        offer = Offer(
            organization_id=org,
            application_id=application.id,
            status=S.WAITING_ON_APPROVAL_START,
            salary_value=salary.value if salary is not None else None,
            salary_currency=salary.currencyCode if salary is not None else None,
            **values,
        )
        session.add(offer)
        session.flush()
        if process is not None:
            process.offer_id = offer.id
            session.flush()
        return ok(offer_json(offer))

    return await write(request, caller, "offer.create", data, work)


@router.post(
    "/offer.info",
    summary="An offer by id (offersRead)",
    openapi_extra=ats(OfferInfo, "Offer", errors=[error("offer_not_found", "Offer not found.")]),
)
async def offer_info(request: Request, caller: Read) -> dict[str, Any]:
    data = await read_body(request, OfferInfo)
    return await in_transaction(
        request,
        lambda session: ok(
            offer_json(get_owned(session, Offer, caller.organization_id, str(data.offerId), "offer", "offerId"))
        ),
    )


@router.post(
    "/offer.list",
    summary="Offers, paginated, with incremental sync (offersRead)",
    openapi_extra=ats(OfferList, "Offer", many=True),
)
async def offer_list(request: Request, caller: Read) -> dict[str, Any]:
    params = await read_body(request, OfferList)
    application_id = str(params.applicationId) if params.applicationId is not None else None
    statuses = sorted(set(params.offerStatus)) if params.offerStatus else None
    acceptance = sorted(set(params.acceptanceStatus)) if params.acceptanceStatus else None
    approval = sorted(set(params.approvalStatus)) if params.approvalStatus else None
    filters: dict[str, Any] = {"applicationId": application_id, "offerStatus": statuses, "acceptanceStatus": acceptance}
    if approval is not None:
        filters["approvalStatus"] = approval
    secret = get_runtime(request).signing_key
    page = listing.start(secret, "offer.list", caller.organization_id, params, filters)
    statement = listing.base_query(Offer, caller.organization_id)
    if application_id is not None:
        statement = statement.where(Offer.application_id == application_id)
    if statuses is not None:
        statement = statement.where(Offer.status.in_([OfferStatus(s) for s in statuses]))
    if acceptance is not None:
        statement = statement.where(Offer.status.in_([s for s, a in ACCEPTANCE_STATUS.items() if a in acceptance]))
    if approval is not None:
        statement = statement.where(Offer.status.in_([s for s, a in APPROVAL_STATUS.items() if a in approval]))
    return await in_transaction(request, lambda session: listing.fetch(session, secret, page, statement, Offer, render))


def set_status(runtime: Runtime, session: Session, organization_id: str, offer_id: str, status: OfferStatus) -> Offer:
    """Move the offer along ``ALLOWED``; a change emits the ``offerUpdate`` webhook event in the same transaction."""
    offer = get_owned(session, Offer, organization_id, offer_id, "offer", "offerId")
    current = offer.status
    if current == status:
        return offer
    nexts = ALLOWED[current]
    if status not in nexts:
        raise invalid_state(
            "offer_status_transition_not_allowed",
            f"An offer in {current.value} cannot move to {status.value}; "
            + (f"it can move to {', '.join(sorted(s.value for s in nexts))}." if nexts else "it is final."),
            currentStatus=current.value,
            requestedStatus=status.value,
            allowedStatuses=sorted(s.value for s in nexts),
        )
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status in DECIDED:
        values["decided_at"] = now
    # Conditional on the status read above: of two racing changes from the same status, one applies.
    changed = session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(changed, "rowcount", 0) != 1:
        raise invalid_state("offer_status_changed_concurrently", "The offer's status changed meanwhile; read it again.")
    session.refresh(offer)
    events.offer_updated(runtime, session, offer)
    return offer


@router.post(
    "/offer.setStatus",
    summary="Move an offer to another offerStatus (hirebridge extension)",
    openapi_extra=ats(OfferSetStatus, "Offer", errors=[error("offer_status_transition_not_allowed", "It is final.")]),
)
async def offer_set_status(request: Request, caller: Write) -> dict[str, Any]:
    data = await read_body(request, OfferSetStatus)
    runtime = get_runtime(request)

    def work(session: Session) -> dict[str, Any]:
        offer = set_status(runtime, session, caller.organization_id, str(data.offerId), OfferStatus(data.offerStatus))
        return ok(offer_json(offer))

    return await in_transaction(request, work)
