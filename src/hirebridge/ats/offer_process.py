"""Ashby's way to make an offer: ``offerProcess.start`` -> ``offer.start`` -> ``offer.create`` (its request shape).

- ``offerProcess.start`` {applicationId}: the application's offer process ``{id, applicationId, status}``; status
  ``WaitingOnOfferCreation`` until ``offer.create`` made its offer, then the offer's ``offerStatus``. An application
  whose process has not yet led to a decided offer gets that same process again; one with an offer in progress made
  through hirebridge's simple ``offer.create`` is refused (``offer_already_in_progress``).
- ``offer.start`` {offerProcessId}: a new offer form ``{id, formDefinition}`` (the fields in
  ``ats.hiring_process.OFFER_FIELDS``); its id becomes the offer's version id. hirebridge keeps one version per offer,
  so a process whose offer exists is refused (``offer_already_created``).
- ``offer.create`` {offerProcessId, offerFormId, offerForm: {fieldSubmissions: [{path, value}]}}: the offer, from the
  process's current form (another form id: ``offer_form_not_found``). Values: ``startDate`` a date (``YYYY-MM-DD`` or
  an ISO date-time, whose day is taken), ``salary`` ``{currencyCode, value}``, ``salaryPeriod`` one of the form's
  values, ``jobTitle`` text; null leaves a field empty. A path the form does not have is ``invalid_input``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.ats import hiring_process
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import get_owned, write
from hirebridge.ats.envelope import AtsModel, invalid_input, invalid_state, not_found, ok, read_body
from hirebridge.ats.models import OfferProcess
from hirebridge.core.models import Application, Offer, OfferStatus
from hirebridge.openapi import ats, error

router = APIRouter(tags=["ats: offers"])
Write = Annotated[ApiCaller, Depends(require("offersWrite"))]

WAITING_ON_OFFER_CREATION = "WaitingOnOfferCreation"
DECIDED_OR_CANCELLED = (OfferStatus.CANDIDATE_ACCEPTED, OfferStatus.CANDIDATE_REJECTED, OfferStatus.OFFER_CANCELLED)


class FieldSubmission(AtsModel):
    path: str = Field(min_length=1, max_length=100)
    value: Any = None


class OfferForm(AtsModel):
    fieldSubmissions: list[FieldSubmission] = Field(max_length=50)


class OfferProcessStart(AtsModel):
    applicationId: uuid.UUID


class OfferStart(AtsModel):
    offerProcessId: uuid.UUID


def process_json(session: Session, process: OfferProcess) -> dict[str, Any]:
    status = WAITING_ON_OFFER_CREATION
    if process.offer_id is not None:
        offer = session.get(Offer, process.offer_id)
        status = offer.status.value if offer is not None else WAITING_ON_OFFER_CREATION
    return {"id": process.id, "applicationId": process.application_id, "status": status}


def _open_process(session: Session, application_id: str) -> OfferProcess | None:
    """The application's latest process, unless its offer is decided or cancelled."""
    process = session.scalars(
        select(OfferProcess)
        .where(OfferProcess.application_id == application_id)
        .order_by(OfferProcess.created_at.desc(), OfferProcess.id.desc())
        .limit(1)
    ).first()
    if process is None or process.offer_id is None:
        return process
    offer = session.get(Offer, process.offer_id)
    return None if offer is None or offer.status in DECIDED_OR_CANCELLED else process


@router.post(
    "/offerProcess.start",
    summary="Start an application's offer process, as Ashby (offersWrite)",
    openapi_extra=ats(
        OfferProcessStart,
        "OfferProcess",
        idempotent=True,
        errors=[error("offer_already_in_progress", "Cancel it first.")],
    ),
)
async def offer_process_start(request: Request, caller: Write) -> Response:
    data = await read_body(request, OfferProcessStart)

    def work(session: Session) -> dict[str, Any]:
        org = caller.organization_id
        application = get_owned(session, Application, org, str(data.applicationId), "application", "applicationId")
        process = _open_process(session, application.id)
        if process is None:
            from hirebridge.ats.offers import UNDECIDED

            open_offer = session.scalar(
                select(Offer.id).where(Offer.application_id == application.id, Offer.status.in_(UNDECIDED)).limit(1)
            )
            if open_offer is not None:
                raise invalid_state(
                    "offer_already_in_progress",
                    "The application already has an offer in progress; cancel or decide it first.",
                    offerId=open_offer,
                )
            process = OfferProcess(organization_id=org, application_id=application.id)
            session.add(process)
            session.flush()
        return ok(process_json(session, process))

    return await write(request, caller, "offerProcess.start", data, work)


@router.post(
    "/offer.start",
    summary="A new offer form for an offer process, as Ashby (offersWrite)",
    openapi_extra=ats(
        OfferStart, "OfferStart", idempotent=True, errors=[error("offer_already_created", "It has its offer.")]
    ),
)
async def offer_start(request: Request, caller: Write) -> Response:
    data = await read_body(request, OfferStart)

    def work(session: Session) -> dict[str, Any]:
        org = caller.organization_id
        process = get_owned(session, OfferProcess, org, str(data.offerProcessId), "offer_process", "offerProcessId")
        if process.offer_id is not None:
            raise invalid_state(
                "offer_already_created",
                "This offer process already has its offer; hirebridge keeps one version per offer.",
                offerId=process.offer_id,
            )
        process.form_id = str(uuid.uuid4())
        session.flush()
        return ok({"id": process.form_id, "formDefinition": hiring_process.offer_form_definition(org)})

    return await write(request, caller, "offer.start", data, work)


def form_process(session: Session, organization_id: str, process_id: str, form_id: str) -> OfferProcess:
    """The process an Ashby-shaped ``offer.create`` names, checked to be waiting for an offer from that form."""
    process = get_owned(session, OfferProcess, organization_id, process_id, "offer_process", "offerProcessId")
    if process.offer_id is not None:
        raise invalid_state(
            "offer_already_created",
            "This offer process already has its offer; hirebridge keeps one version per offer.",
            offerId=process.offer_id,
        )
    if process.form_id is None or process.form_id != form_id:
        raise not_found("offer_form", form_id, field="offerFormId")
    return process


def _date(value: Any, field: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value).date()
        except ValueError:
            pass
    raise invalid_input(field, "must be a date (YYYY-MM-DD) or an ISO date-time")


def form_values(form: OfferForm) -> dict[str, Any]:
    """The offer's values from an offer form's field submissions (keys: startDate, salary, salaryPeriod, jobTitle)."""
    from hirebridge.ats.offers import Salary

    known = [path for path, _, _ in hiring_process.OFFER_FIELDS]
    values: dict[str, Any] = {}
    for index, submission in enumerate(form.fieldSubmissions):
        where = f"offerForm.fieldSubmissions[{index}]"
        if submission.path not in known:
            raise invalid_input(f"{where}.path", f"is not a field of the offer form ({', '.join(known)})")
        if submission.path in values:
            raise invalid_input(f"{where}.path", "is submitted twice")
        value = submission.value
        if value is None:
            values[submission.path] = None
        elif submission.path == "startDate":
            values["startDate"] = _date(value, f"{where}.value")
        elif submission.path == "salary":
            try:
                values["salary"] = Salary.model_validate(value)
            except ValidationError:
                raise invalid_input(
                    f"{where}.value", "must be {currencyCode: ISO 4217 code, value: amount from 0}"
                ) from None
        elif submission.path == "salaryPeriod":
            if value not in hiring_process.SALARY_PERIODS:
                raise invalid_input(f"{where}.value", f"must be one of {', '.join(hiring_process.SALARY_PERIODS)}")
            values["salaryPeriod"] = value
        else:
            if not isinstance(value, str) or not 1 <= len(value.strip()) <= 255:
                raise invalid_input(f"{where}.value", "must be text of 1 to 255 characters")
            values["jobTitle"] = value.strip()
    return values
