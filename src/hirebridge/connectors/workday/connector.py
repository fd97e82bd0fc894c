"""Workday connector: the hire becomes a pre-hire (``Put_Applicant``) and, if the connection says so, an employee
(``Hire_Employee``), over Workday Web Services SOAP v31.2 (``{base}/ccx/service/{tenant}/Staffing/v31.2``).

Exactly once in effect rests on ids we assign (``mapping.applicant_id`` / ``employee_id``, from the candidate id):
- ``Put_Applicant`` with our ``Applicant_ID`` adds the pre-hire, and a replay of it (after a lost answer) updates the
  same pre-hire instead of adding a second one.
- ``Hire_Employee`` with our ``Employee_ID``: a replay is refused with "Applicant has already been hired.", and
  ``Get_Applicants`` by ``Worker_Reference`` (our Employee_ID) confirms the worker, which is adopted.
- ``find_existing`` (after an unknown outcome) asks ``Get_Applicants`` for our Applicant_ID, then by email (a pre-hire
  made in Workday by someone else), then for the worker made with our Employee_ID.
The record a push keeps is the pre-hire (kind ``pre_hire``, its Applicant_ID) until it is hired, then the employee
(kind ``employee``, its Employee_ID, with the pre-hire's id beside it); an update after the hire still puts the
pre-hire's data, and hires it if the connection hires and it is not hired yet (``update`` then returns the new ref).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from lxml import etree
from pydantic import BaseModel

from hirebridge.connectors.base import (
    REDACTED,
    Hire,
    PassthroughRefused,
    PassthroughRequest,
    PreparedRequest,
    RemoteRef,
    parse_credentials,
)
from hirebridge.connectors.errors import AuthError, OutcomeUnknownError, RejectedError, from_transport_error
from hirebridge.connectors.passthrough import MAX_BODY_BYTES, api_url, check_method
from hirebridge.connectors.transport import USER_AGENT
from hirebridge.connectors.workday import soap
from hirebridge.connectors.workday.auth import WorkdayCredentials
from hirebridge.connectors.workday.mapping import (
    BSVC,
    VERSION,
    WorkdaySettings,
    applicant_id,
    build_payload,
    employee_id,
    get_applicants_request,
    hire_employee_request,
    parse_settings,
    put_applicant_request,
    q,
)

SERVICE = "Staffing"  # Put_Applicant, Get_Applicants and Hire_Employee are all Staffing operations in v31.2
ALREADY_HIRED = "Applicant has already been hired."
INVALID_ID = "Invalid ID value."


class WorkdayConnector:
    system: ClassVar[str] = "workday"
    display_name: ClassVar[str] = "Workday"
    credentials_model: ClassVar[type[BaseModel]] = WorkdayCredentials
    settings_model: ClassVar[type[BaseModel]] = WorkdaySettings
    default_base_url: ClassVar[str] = ""  # per data centre (https://wd2-impl-services1.workday.com, ...): required
    rate_limit_default: ClassVar[float] = 2.0  # Workday publishes no limits
    requires_accepted_offer_default: ClassVar[bool] = True
    read_lag_seconds: ClassVar[float] = 0.0  # a put pre-hire is read back at once

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, Any],
        field_mapping: Mapping[str, Any],
        settings: Mapping[str, Any],
        http: httpx.Client,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._field_mapping = field_mapping
        self._settings = settings
        self._http = http
        self._credentials, self._credentials_problem = parse_credentials(WorkdayCredentials, credentials, "Workday")

    # -- the protocol ------------------------------------------------------------------------------------------------

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        return build_payload(hire, self._field_mapping, self._parsed_settings())

    def can_find(self, hire: Hire) -> bool:
        return True  # our Applicant_ID is a stable key even for a hire without an email

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        ours = applicant_id(hire.candidate_id)
        worker_pre_hire = self._pre_hire_of_worker(employee_id(hire.candidate_id))
        if worker_pre_hire is not None:
            return RemoteRef(employee_id(hire.candidate_id), kind="employee", pre_hire_id=worker_pre_hire)
        if self._applicant_exists(ours):
            if self._parsed_settings().hireOnPush:
                return None  # not hired yet: create() puts it again (same Applicant_ID) and hires it
            return RemoteRef(ours, kind="pre_hire")
        email = (hire.email or "").strip()
        if email and self._field_mapping.get("email", "Email_Address") is not None:
            found = self._applicant_by_email(email)
            if found is not None:
                return RemoteRef(found, kind="pre_hire")
        return None

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        put = self._put(payload, payload["applicant_id"])
        if payload.get("hire") is None:
            return put
        return self._hire(payload, put.remote_id)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | RemoteRef | None:
        if remote_id == payload["applicant_id"]:
            pre_hire, hired = remote_id, False
        else:
            pre_hire, hired = self._pre_hire_of(remote_id, payload)
        put = self._put(payload, pre_hire)
        if not hired and payload.get("hire") is not None:
            return self._hire(payload, put.remote_id)
        if hired:
            return RemoteRef(remote_id, kind="employee", pre_hire_id=put.remote_id, http_status=put.http_status)
        return put.http_status

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        credentials = self._usable_credentials()
        payload = self.build_payload(hire)
        ours = {payload["applicant_id"], payload["employee_id"]}
        reference = None if remote_id is None or remote_id in ours else remote_id
        request = put_applicant_request(payload, reference_id=reference)
        body = soap.envelope(credentials, request, password=REDACTED).decode()
        headers = {"User-Agent": USER_AGENT, "Content-Type": soap.CONTENT_TYPE, "SOAPAction": '""'}
        return PreparedRequest(method="POST", url=self._url(credentials), headers=headers, body=body)

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """A SOAP call under ``{base}/ccx/service/{tenant}`` (path ``/Human_Resources/v31.2``, say): the body is the
        XML of the request element (``<wd:Get_Workers_Request ...>``), which goes into an envelope with the
        connection's WS-Security header. The answer, a fault included, is returned as Workday gave it."""
        check_method(request, ("POST",))
        credentials = self._usable_credentials()
        url = api_url(f"{self._base_url}/ccx/service/{quote(credentials.tenant, safe='')}", request.path)
        element = _passthrough_element(request.body)
        try:
            return self._http.post(
                url,
                content=soap.envelope(credentials, element),
                headers={"Content-Type": soap.CONTENT_TYPE, "SOAPAction": '""'},
            )
        except httpx.TransportError as exc:
            raise from_transport_error(exc, write=True) from exc

    # -- the operations ----------------------------------------------------------------------------------------------

    def check(self) -> int:
        """``Get_Applicants`` of one pre-hire (Response_Filter Count 1, references only) on the Staffing service the
        pushes use: authenticated by the same WS-Security header, reading nothing but one reference."""
        request = etree.Element(q("Get_Applicants_Request"), {q("version"): VERSION}, nsmap={"wd": BSVC})
        response_filter = etree.SubElement(request, q("Response_Filter"))
        etree.SubElement(response_filter, q("Page")).text = "1"
        etree.SubElement(response_filter, q("Count")).text = "1"
        group = etree.SubElement(request, q("Response_Group"))
        etree.SubElement(group, q("Include_Reference")).text = "true"
        self._call(request, write=False)
        return 200  # soap.call raises for every other answer

    def _put(self, payload: Mapping[str, Any], pre_hire: str) -> RemoteRef:
        """Put_Applicant: ours by our Applicant_ID (add or update), another by its reference (update)."""
        reference = None if pre_hire == payload["applicant_id"] else pre_hire
        answer = self._call(put_applicant_request(payload, reference_id=reference), write=True)
        found = _id_of(answer.find(q("Applicant_Reference")), "Applicant_ID")
        if found is None:
            raise OutcomeUnknownError("Workday's Put_Applicant answer named no Applicant_ID; it will be looked up")
        return RemoteRef(found, kind="pre_hire", http_status=200)

    def _hire(self, payload: Mapping[str, Any], pre_hire: str) -> RemoteRef:
        """Hire_Employee of the pre-hire with our Employee_ID; "already hired" adopts the worker made before."""
        try:
            answer = self._call(hire_employee_request(payload, applicant_ref=pre_hire), write=True)
        except soap.WorkdayValidationError as exc:
            if not exc.says(ALREADY_HIRED):
                raise
            hired = self._pre_hire_of_worker(payload["employee_id"])
            if hired is None:
                # Hired in Workday under an Employee_ID that is not ours: keep the pre-hire, whose data we still put.
                return RemoteRef(pre_hire, kind="pre_hire", http_status=exc.http_status)
            return RemoteRef(payload["employee_id"], kind="employee", pre_hire_id=hired, http_status=exc.http_status)
        employee = _id_of(answer.find(q("Employee_Reference")), "Employee_ID")
        if employee is None:
            raise OutcomeUnknownError("Workday's Hire_Employee answer named no Employee_ID; it will be looked up")
        return RemoteRef(employee, kind="employee", pre_hire_id=pre_hire, http_status=200)

    def _pre_hire_of(self, remote_id: str, payload: Mapping[str, Any]) -> tuple[str, bool]:
        """(the pre-hire's Applicant_ID, whether it is hired) for a record id that is a pre-hire's or an employee's."""
        if remote_id != payload["employee_id"] and self._applicant_exists(remote_id):
            return remote_id, False
        pre_hire = self._pre_hire_of_worker(remote_id)
        if pre_hire is None:
            raise RejectedError(
                f"Workday has no pre-hire or employee {remote_id!r} any more (it may have been removed)"
            )
        return pre_hire, True

    def _applicant_exists(self, applicant: str) -> bool:
        answer = self._lookup(get_applicants_request(applicant_id=applicant))
        return answer is not None and bool(_applicant_ids(answer))

    def _applicant_by_email(self, email: str) -> str | None:
        answer = self._lookup(get_applicants_request(email=email))
        found = _applicant_ids(answer) if answer is not None else []
        return found[0] if found else None

    def _pre_hire_of_worker(self, employee: str) -> str | None:
        """The Applicant_ID of the pre-hire hired as ``employee`` (an Employee_ID); None if there is no such worker."""
        answer = self._lookup(get_applicants_request(employee_id=employee))
        found = _applicant_ids(answer) if answer is not None else []
        return found[0] if found else None

    def _lookup(self, request: etree._Element) -> etree._Element | None:
        """A Get_Applicants answer; None when a reference it names does not exist ("Invalid ID value")."""
        try:
            return self._call(request, write=False)
        except soap.WorkdayValidationError as exc:
            if exc.says(INVALID_ID):
                return None
            raise

    # -- HTTP --------------------------------------------------------------------------------------------------------

    def _parsed_settings(self) -> WorkdaySettings:
        return parse_settings(self._settings)

    def _usable_credentials(self) -> WorkdayCredentials:
        if self._credentials is None:
            raise AuthError(self._credentials_problem or "Workday credentials are missing")
        return self._credentials

    def _url(self, credentials: WorkdayCredentials) -> str:
        return f"{self._base_url}/ccx/service/{quote(credentials.tenant, safe='')}/{SERVICE}/{VERSION}"

    def _call(self, request: etree._Element, *, write: bool) -> etree._Element:
        credentials = self._usable_credentials()
        return soap.call(self._http, self._url(credentials), soap.envelope(credentials, request), write=write)


_PASSTHROUGH_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _passthrough_element(body: Any) -> etree._Element:
    """The request element of a passthrough body (a ``soapenv:Body`` around it is unwrapped); refused, naming
    ``body``, when it is not one well-formed XML element."""
    if not isinstance(body, str) or not body.strip():
        raise PassthroughRefused("body", "must be the XML of a Workday request element, as a string")
    content = body.strip().encode()
    if len(content) > MAX_BODY_BYTES:
        raise PassthroughRefused("body", f"must be at most {MAX_BODY_BYTES} bytes")
    if b"<!DOCTYPE" in content.upper() or b"<!ENTITY" in content.upper():
        raise PassthroughRefused("body", "must not hold a DOCTYPE or entity declarations")
    try:
        element = etree.fromstring(content, _PASSTHROUGH_PARSER)
    except etree.XMLSyntaxError as exc:
        raise PassthroughRefused("body", f"is not well-formed XML: {exc}") from None
    if element.tag == f"{{{soap.SOAP_ENV}}}Body":
        children = [child for child in element if isinstance(child.tag, str)]
        if len(children) != 1:
            raise PassthroughRefused("body", "a soapenv:Body must hold exactly one request element")
        element = children[0]
    if element.tag == f"{{{soap.SOAP_ENV}}}Envelope":
        raise PassthroughRefused(
            "body", "must be the request element, not an envelope: hirebridge adds the envelope and its header"
        )
    return element


def _id_of(reference: etree._Element | None, id_type: str) -> str | None:
    if reference is None:
        return None
    for id_el in reference.findall(q("ID")):
        if id_el.get(q("type")) == id_type and (id_el.text or "").strip():
            return (id_el.text or "").strip()
    return None


def _applicant_ids(answer: etree._Element) -> list[str]:
    found = []
    data = answer.find(q("Response_Data"))
    for applicant in data.findall(q("Applicant")) if data is not None else []:
        value = _id_of(applicant.find(q("Applicant_Reference")), "Applicant_ID")
        if value is None:
            value = (applicant.findtext(f"{q('Applicant_Data')}/{q('Applicant_ID')}") or "").strip() or None
        if value is not None:
            found.append(value)
    return found
