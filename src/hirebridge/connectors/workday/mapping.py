"""A hire as Workday v31.2 request bodies: the connection's settings, the payload, and the three request elements.

Element names, order and reference ID types follow the pinned schema (``specs/workday/v31.2``: ``bsvc-applicants.xsd``
for Put_Applicant and Get_Applicants, ``bsvc-hire.xsd`` for Hire_Employee, ``bsvc-references.xsd`` for the ID types,
all from Workday's WSDL-generated v31.2 types in go-workday commit 37fb1de). Facts the request rests on:
- ``Name_Detail_Data`` requires ``Country_Reference`` (ISO_3166-1_Alpha-2_Code) in v31.2.
- A new pre-hire needs a legal name and an email, phone or address (the WSDL's appinfo validations).
- Email and phone carry ``Usage_Data/Type_Data/Type_Reference`` (Communication_Usage_Type_ID ``WORK`` or ``HOME``).
- ``Hire_Employee_Data``: Applicant_Reference, Organization_Reference?, Position_Reference | Job_Requisition_Reference,
  Hire_Date, Hire_Employee_Event_Data{Employee_ID?, Hire_Reason_Reference?, Employee_Type_Reference?,
  Position_Details}.

Our ids: the pre-hire's ``Applicant_ID`` and the employee's ``Employee_ID`` are assigned by us, derived from the
candidate id, so that a replayed Put_Applicant updates the pre-hire it made and a replayed Hire_Employee is refused as
"already hired" instead of hiring twice.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.fieldmap import hire_values, map_fields

BSVC = "urn:com.workday/bsvc"
VERSION = "v31.2"
_REF_ID = r"^[A-Za-z0-9][A-Za-z0-9_.:\- ]{0,99}$"

# Where each of our fields goes; a connection's field_mapping may only drop them (map to null) or keep them.
DEFAULT_TARGETS: dict[str, str | None] = {
    "first_name": "First_Name",
    "last_name": "Last_Name",
    "email": "Email_Address",
    "phone": "Phone_Number",
    "job_title": "Business_Title",
    "start_date": "Hire_Date",
    "department": None,  # a supervisory organization, chosen by the connection's settings
    "location": None,  # comes with the position in Workday
    "employment_type": None,  # an Employee_Type_ID, chosen by the connection's settings
    "salary": None,  # Propose_Compensation_for_Hire_Sub_Process is not sent
    "salary_period": None,
    "pay_type": None,
}
TARGETS = frozenset(target for target in DEFAULT_TARGETS.values() if target)
# Per-hire overrides, read from the hire's custom fields (candidate or offer): a position or requisition per hire.
CUSTOM_POSITION = "workdayPositionId"
CUSTOM_REQUISITION = "workdayJobRequisitionId"
CUSTOM_COUNTRY = "workdayCountryCode"


class WorkdaySettings(BaseModel):
    """A Workday connection's ``settings``: whether a push also hires, and the tenant's references for the hire."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    hireOnPush: bool = Field(default=False, description="also run Hire_Employee after the pre-hire is put")
    positionId: str | None = Field(default=None, pattern=_REF_ID, description="Position_ID to hire into")
    jobRequisitionId: str | None = Field(default=None, pattern=_REF_ID, description="Job_Requisition_ID to hire from")
    hireReasonId: str | None = Field(default=None, pattern=_REF_ID, description="General_Event_Subcategory_ID")
    employeeTypeId: str | None = Field(default=None, pattern=_REF_ID, description="Employee_Type_ID, e.g. Regular")
    organizationId: str | None = Field(default=None, pattern=_REF_ID, description="Organization_Reference_ID")
    countryCode: str = Field(default="US", pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 of the legal name")
    autoComplete: bool = Field(default=True, description="Business_Process_Parameters/Auto_Complete of the hire")
    readLagSeconds: float | None = Field(default=None, ge=0, le=3600)

    @model_validator(mode="after")
    def _hire_references(self) -> WorkdaySettings:
        if self.positionId and self.jobRequisitionId:
            raise ValueError("give positionId or jobRequisitionId, not both")
        if self.hireOnPush:
            if not (self.positionId or self.jobRequisitionId):
                raise ValueError("hireOnPush needs positionId or jobRequisitionId")
            if not self.employeeTypeId:
                raise ValueError("hireOnPush needs employeeTypeId (Workday: 'Employee Type is required')")
        return self


def parse_settings(settings: Mapping[str, Any]) -> WorkdaySettings:
    """The connection's settings; RejectedError naming the field if they are not usable."""
    try:
        return WorkdaySettings.model_validate(dict(settings))
    except ValidationError as exc:
        problems = [f"settings.{'.'.join(str(p) for p in e['loc']) or '(all)'}: {e['msg']}" for e in exc.errors()]
        raise RejectedError("the Workday connection's settings are not usable: " + "; ".join(problems)) from None


def applicant_id(candidate_id: str) -> str:
    """Our Applicant_ID for a candidate: stable, short, ``HB-`` and 20 base32 characters of its SHA-256."""
    return "HB-" + _digest(candidate_id)


def employee_id(candidate_id: str) -> str:
    """Our Employee_ID for a candidate's hire: stable, ``HBE-`` and the same digest as its Applicant_ID."""
    return "HBE-" + _digest(candidate_id)


def _digest(candidate_id: str) -> str:
    raw = hashlib.sha256(f"hirebridge:{candidate_id}".encode()).digest()
    return base64.b32encode(raw).decode()[:20]


def build_payload(hire: Hire, field_mapping: Mapping[str, Any], settings: WorkdaySettings) -> dict[str, Any]:
    """Everything the requests need, as JSON-safe values (the push keeps nothing of it; the preview shows it)."""
    values = hire_values(hire)  # DEFAULT_TARGETS send the ones Workday's pre-hire takes; a mapping may add others
    fields = map_fields(hire, values, DEFAULT_TARGETS, field_mapping)
    unknown = sorted(set(fields) - TARGETS)
    if unknown:
        raise RejectedError(
            f"field_mapping sends to {', '.join(unknown)}; Workday's connector fills only {', '.join(sorted(TARGETS))}"
        )
    missing = [name for name in ("First_Name", "Last_Name") if not fields.get(name)]
    if missing:
        raise RejectedError(f"Workday requires a legal first and last name; missing: {', '.join(missing)}")
    if not (fields.get("Email_Address") or fields.get("Phone_Number")):
        raise RejectedError("Workday requires an email address or a phone number to create a pre-hire")
    country = _custom(hire, CUSTOM_COUNTRY) or settings.countryCode
    if len(country) != 2 or not country.isalpha():
        raise RejectedError(f"custom field {CUSTOM_COUNTRY} must be an ISO 3166-1 alpha-2 code such as US")
    payload: dict[str, Any] = {
        "applicant_id": applicant_id(hire.candidate_id),
        "employee_id": employee_id(hire.candidate_id),
        "country": country.upper(),
        "fields": fields,
        "hire": None,
    }
    if settings.hireOnPush:
        payload["hire"] = _hire_part(hire, fields, settings)
    return payload


def _hire_part(hire: Hire, fields: Mapping[str, Any], settings: WorkdaySettings) -> dict[str, Any]:
    position = _custom(hire, CUSTOM_POSITION)
    requisition = _custom(hire, CUSTOM_REQUISITION)
    if not (position or requisition):
        position, requisition = settings.positionId, settings.jobRequisitionId
    hire_date = fields.get("Hire_Date")
    if not hire_date:
        raise RejectedError("hireOnPush needs the offer's start date (Workday's Hire_Date)")
    return {
        "position_id": position,
        "job_requisition_id": None if position else requisition,
        "organization_id": settings.organizationId,
        "hire_date": hire_date,
        "hire_reason_id": settings.hireReasonId,
        "employee_type_id": settings.employeeTypeId,
        "auto_complete": settings.autoComplete,
        "business_title": fields.get("Business_Title"),
    }


# -- request elements ---------------------------------------------------------------------------------------------


def q(name: str) -> str:
    return f"{{{BSVC}}}{name}"


def _el(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    child = etree.SubElement(parent, q(name), {q(k): v for k, v in attrs.items()})
    if text is not None:
        child.text = text
    return child


def _root(name: str) -> etree._Element:
    return etree.Element(q(name), {q("version"): VERSION}, nsmap={"wd": BSVC})


def _reference(parent: etree._Element, name: str, id_type: str, value: str) -> etree._Element:
    ref = _el(parent, name)
    _el(ref, "ID", value, type=id_type)
    return ref


def put_applicant_request(payload: Mapping[str, Any], *, reference_id: str | None = None) -> etree._Element:
    """Put_Applicant: add the pre-hire with our Applicant_ID, or update the one it names.

    ``reference_id``: the Applicant_ID of a pre-hire that is not ours (adopted); it is updated by reference and keeps
    its own ID."""
    fields: Mapping[str, Any] = payload["fields"]
    request = _root("Put_Applicant_Request")
    if reference_id is not None:
        _reference(request, "Applicant_Reference", "Applicant_ID", reference_id)
    data = _el(request, "Applicant_Data")
    if reference_id is None:
        _el(data, "Applicant_ID", str(payload["applicant_id"]))
    personal = _el(data, "Personal_Data")
    detail = _el(_el(_el(personal, "Name_Data"), "Legal_Name_Data"), "Name_Detail_Data")
    _reference(detail, "Country_Reference", "ISO_3166-1_Alpha-2_Code", str(payload["country"]))
    _el(detail, "First_Name", str(fields["First_Name"]))
    _el(detail, "Last_Name", str(fields["Last_Name"]))
    contact = _el(personal, "Contact_Data")
    if fields.get("Phone_Number"):
        phone = _el(contact, "Phone_Data")
        _el(phone, "Phone_Number", str(fields["Phone_Number"]))
        _usage(phone, "HOME")
    if fields.get("Email_Address"):
        email = _el(contact, "Email_Address_Data")
        _el(email, "Email_Address", str(fields["Email_Address"]))
        _usage(email, "HOME")
    return request


def _usage(parent: etree._Element, usage_type: str) -> None:
    type_data = _el(_el(parent, "Usage_Data", Public="true"), "Type_Data", Primary="true")
    _reference(type_data, "Type_Reference", "Communication_Usage_Type_ID", usage_type)


def get_applicants_request(
    *, applicant_id: str | None = None, employee_id: str | None = None, email: str | None = None
) -> etree._Element:
    """Get_Applicants by our Applicant_ID (a reference), or by criteria: the worker it became, or its email."""
    request = _root("Get_Applicants_Request")
    if applicant_id is not None:
        _reference(_el(request, "Request_References"), "Applicant_Reference", "Applicant_ID", applicant_id)
    else:
        criteria = _el(request, "Request_Criteria")
        if employee_id is not None:
            _reference(criteria, "Worker_Reference", "Employee_ID", employee_id)
        if email is not None:
            _el(criteria, "Email_Address", email)
    response_filter = _el(request, "Response_Filter")
    _el(response_filter, "Page", "1")
    _el(response_filter, "Count", "100")
    group = _el(request, "Response_Group")
    _el(group, "Include_Reference", "true")
    _el(group, "Include_Personal_Information", "true")
    return request


def hire_employee_request(payload: Mapping[str, Any], *, applicant_ref: str) -> etree._Element:
    """Hire_Employee of the pre-hire ``applicant_ref`` (an Applicant_ID) with our Employee_ID."""
    hire: Mapping[str, Any] = payload["hire"]
    request = _root("Hire_Employee_Request")
    params = _el(request, "Business_Process_Parameters")
    _el(params, "Auto_Complete", "true" if hire["auto_complete"] else "false")
    data = _el(request, "Hire_Employee_Data")
    _reference(data, "Applicant_Reference", "Applicant_ID", applicant_ref)
    if hire.get("organization_id"):
        _reference(data, "Organization_Reference", "Organization_Reference_ID", str(hire["organization_id"]))
    if hire.get("position_id"):
        _reference(data, "Position_Reference", "Position_ID", str(hire["position_id"]))
    elif hire.get("job_requisition_id"):
        _reference(data, "Job_Requisition_Reference", "Job_Requisition_ID", str(hire["job_requisition_id"]))
    _el(data, "Hire_Date", str(hire["hire_date"]))
    event = _el(data, "Hire_Employee_Event_Data")
    _el(event, "Employee_ID", str(payload["employee_id"]))
    if hire.get("hire_reason_id"):
        _reference(event, "Hire_Reason_Reference", "General_Event_Subcategory_ID", str(hire["hire_reason_id"]))
    if hire.get("employee_type_id"):
        _reference(event, "Employee_Type_Reference", "Employee_Type_ID", str(hire["employee_type_id"]))
    details = _el(event, "Position_Details")
    if hire.get("business_title"):
        _el(details, "Business_Title", str(hire["business_title"]))
    return request


def _custom(hire: Hire, name: str) -> str | None:
    value = hire.custom_fields.get(name)
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > 100:
        raise RejectedError(f"custom field {name} must be a Workday ID of 1-100 characters")
    return text
