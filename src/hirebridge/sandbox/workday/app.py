"""Workday Web Services (SOAP) simulator: ``create_app()`` for tests and the demo, ``main()`` for ``hirebridge sandbox
workday``. Version v31.2; the XSDs it validates against are ``src/hirebridge/specs/workday/v31.2``.

What each behaviour rests on ("go-workday" = ianlopshire/go-workday commit 37fb1de, WSDL-generated v31.2 clients;
"v26.1 WSDL" = Workday's own Staffing.wsdl in sschepis-salesforce/workdayWSDL commit 1e1c539; "harness" = a Workday
Studio test harness quoting a real validation fault; UNCONFIRMED = no public source, a plausible choice that a
connector must not depend on):

- ``POST /ccx/service/{tenant}/{Staffing|Recruiting}/v31.2``, SOAP 1.1, ``Content-Type: text/xml`` (go-workday
  ``pkg/wws/client.go`` ``url()``/``Do()``). Put_Applicant and Get_Applicants are in both services, Hire_Employee in
  Staffing only (go-workday ``services/{staffing,recruiting}/wwsgen_client.go``). Another version: 404 (UNCONFIRMED).
- Every request is validated: the envelope against SOAP 1.1 + the WS-Security header, the body element against the
  service's XSD. Failures answer HTTP 500 ``SOAP-ENV:Client.validationError``, faultstring ``Validation error
  occurred. <first message>``, ``detail/wd:Validation_Fault/wd:Validation_Error{Message, Detail_Message, Xpath}``
  (harness; go-workday ``ValidationFaultType``). The Xpath uses the request's prefixes with ``[n]`` on every step
  (harness). Schema messages are libxml2's (Workday's own wording for schema errors is UNCONFIRMED).
- WS-Security UsernameToken, ``user@tenant`` with PasswordText (go-workday ``wss.go``, ``client.go``; PageUp KB
  "[user-name]@[tenant-name]"). A missing header, another tenant, a wrong user or password, or a PasswordDigest:
  HTTP 500 ``SOAP-ENV:Client.authenticationError`` "invalid username or password" (ServiceNow KB2597914).
- Put_Applicant adds a pre-hire or updates one (go-workday doc comment). Update when Applicant_Reference names one,
  or when Applicant_Data/Applicant_ID is already in use (add-or-update by ID: UNCONFIRMED, tenants may refuse
  caller-assigned IDs). A sent section replaces the stored one (Personal_Data and Contact_Data child by child).
  Checks from the v26.1 WSDL's appinfo: legal name and one email, phone or address required on create; email format;
  first/last name "required for this country". Unknown reference IDs: "Invalid ID value. 'x' is not a valid ID value
  for type = 'T'" (harness). New IDs: WID = 32 hex digits (as in public mocks), Applicant_ID ``APPLICANT-00001``
  (UNCONFIRMED). A duplicate email is accepted (Workday's duplicate check is a separate step, UNCONFIRMED). A Put on
  a hired pre-hire still updates it (UNCONFIRMED).
- Get_Applicants: Request_References (each must exist, else Invalid ID value), else Request_Criteria (all criteria
  must match; Email_Address exact and "not case-sensitive"; Worker_Reference finds the pre-hire hired as that worker,
  an extension; Former_Worker_Reference never matches), else all; Response_Filter Page (not 0: "Page Number cannot
  be zero.") and Count (1-999, default 100), Response_Results, Response_Group flags (v26.1 WSDL documentation).
  A hired pre-hire is still returned (UNCONFIRMED).
- Hire_Employee: Applicant_Reference to a pre-hire (other choices answer a validation fault: not simulated);
  Position_Reference or Job_Requisition_Reference; Organization_Reference or derived from the position; Hire_Date;
  Hire_Employee_Event_Data with Employee_Type_Reference, optional Hire_Reason_Reference and Employee_ID. Messages
  from the v26.1 WSDL appinfo ("Applicant has already been hired.", position occupied, requisition not open, hire
  date and employee type required, Employee ID in use, first day before hire date). Answer
  Hire_Employee_Event_Response with Event, Employee (new WID + Employee_ID, 21001 upwards, UNCONFIRMED), Position and
  Applicant references. The business process always completes at once (approvals are not simulated).
- Throttling: Workday's limits are not public (community.workday.com is gated). Third-party guidance names both
  HTTP 429 with Retry-After and 503; the simulator answers 429 + ``Retry-After`` by default and 503 + ``Retry-After``
  with the setting ``throttle_status`` (UNCONFIRMED which one Workday sends, so a connector should honour both).
- Faults (``hirebridge.sandbox.faults``): "error" answers 500 with ``SOAP-ENV:Server`` and ``wd:Processing_Fault``
  (go-workday ``ProcessingFaultType``), or a bare 502/503; "timeout" hangs, then 504; ``drop_after_commit_rate``
  loses the answer of a committed Put_Applicant or Hire_Employee. Admin: ``/_sandbox/records|faults|reset``,
  ``GET/PUT /_sandbox/settings``, ``GET /_sandbox/tenant``.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from lxml import etree
from pydantic import BaseModel, ConfigDict

from hirebridge.sandbox.faults import DroppedResponse, Faults, admin_router, install
from hirebridge.sandbox.workday import soap
from hirebridge.sandbox.workday.hire import hire_employee
from hirebridge.sandbox.workday.operations import get_applicants, put_applicant
from hirebridge.sandbox.workday.soap import Problem, ValidationFault, q, xpath_of
from hirebridge.sandbox.workday.state import WorkdayState

XML = "text/xml; charset=utf-8"
WRITES = ("Put_Applicant_Request", "Hire_Employee_Request")


class SimulatorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    throttle_status: Literal[429, 503] | None = None


def _xml(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type=XML, headers=headers)


class _Gate:
    """What every call passes first: the fault switches, then (after parsing) the WS-Security credentials."""

    def __init__(self, faults: Faults, tenant: str, username: str, password: str) -> None:
        self.faults = faults
        self.tenant = tenant
        self._user = f"{username}@{tenant}".encode()
        self._password = password.encode()
        self.throttle_status = 429

    async def faults_first(self) -> Response | None:
        decision = await self.faults.before_call()
        if decision == "throttle":
            retry = str(max(0, self.faults.switches.retry_after_seconds))
            status = self.throttle_status
            text = "Too Many Requests" if status == 429 else "Service Unavailable"
            return PlainTextResponse(text, status_code=status, headers={"Retry-After": retry})
        if decision == "error":
            status = self.faults.random.choice((500, 502, 503))
            if status == 500:
                return _xml(soap.processing_fault("An internal error occurred (simulated)"), 500)
            return PlainTextResponse("Bad Gateway" if status == 502 else "Service Unavailable", status_code=status)
        if decision == "timeout":
            return PlainTextResponse("Gateway Timeout", status_code=504)
        return None

    def authorised(self, env: soap.Element, tenant: str) -> bool:
        found = soap.credentials(env)
        if found is None or tenant != self.tenant:
            return False
        user, password, password_type = found
        if password_type not in (None, soap.PASSWORD_TEXT):
            return False
        same_user = secrets.compare_digest(user.encode(), self._user)
        return same_user & secrets.compare_digest(password.encode(), self._password)


def _descriptors(env: soap.Element) -> bool:
    flag = env.findtext(
        f"{{{soap.SOAP_ENV}}}Header/{q('Workday_Common_Header')}/{q('Include_Reference_Descriptors_In_Response')}"
    )
    return (flag or "").strip() in ("true", "1")


def create_app(
    *,
    tenant: str = "demo",
    username: str = "ISU_HIREBRIDGE",
    password: str = "sandbox-password",  # noqa: S107 - the demo credential of a local simulator
    seed: int | None = None,
    throttle_status: Literal[429, 503] = 429,
) -> FastAPI:
    """A fresh simulator with its own state (``app.state.simulator``) and fault switches (``app.state.faults``)."""
    state = WorkdayState()
    faults = Faults(seed)
    gate = _Gate(faults, tenant, username, password)
    gate.throttle_status = throttle_status
    app = FastAPI(title="Workday Web Services simulator", docs_url=None, redoc_url=None)
    app.state.simulator = state
    app.state.faults = faults
    install(app, faults)

    @app.post("/ccx/service/{tenant_name}/{service}/{version}")
    async def call(tenant_name: str, service: str, version: str, request: Request) -> Response:
        if service not in soap.SERVICES or version != soap.VERSION:
            return PlainTextResponse(f"sandbox: only Staffing and Recruiting {soap.VERSION} are simulated", 404)
        if (refused := await gate.faults_first()) is not None:
            return refused
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > soap.MAX_BODY_BYTES:
            return _xml(soap.client_fault(f"The request is larger than {soap.MAX_BODY_BYTES} bytes"), 500)
        raw = await request.body()
        try:
            env = soap.parse(raw)
            body_request = soap.request_element(env)
        except soap.ClientFault as exc:
            return _xml(soap.client_fault(str(exc)), 500)
        except ValidationFault as fault:
            return _xml(soap.validation_fault(fault.problems), 500)
        if not gate.authorised(env, tenant_name):
            return _xml(soap.authentication_fault(), 500)
        try:
            answer = _answer(state, service, body_request, _descriptors(env))
        except ValidationFault as fault:
            return _xml(soap.validation_fault(fault.problems), 500)
        if etree.QName(body_request).localname in WRITES and faults.drop_this_write():
            raise DroppedResponse()
        return _xml(soap.envelope(answer))

    def reset() -> None:
        state.reset()
        gate.throttle_status = throttle_status

    app.include_router(admin_router(faults, state.records, reset))

    @app.get("/_sandbox/settings")
    def get_settings() -> dict[str, Any]:
        return {"throttle_status": gate.throttle_status, "tenant": tenant, "username": f"{username}@{tenant}"}

    @app.put("/_sandbox/settings")
    def put_settings(settings: SimulatorSettings) -> dict[str, Any]:
        if settings.throttle_status is not None:
            gate.throttle_status = settings.throttle_status
        return get_settings()

    @app.get("/_sandbox/tenant")
    def tenant_configuration() -> dict[str, Any]:
        return state.tenant()

    return app


def _answer(state: WorkdayState, service: str, request: soap.Element, descriptors: bool) -> soap.Element:
    problems = soap.schema_problems(soap.service_schema(service), request)
    if problems:
        raise ValidationFault(problems)
    name = etree.QName(request).localname
    if name == "Put_Applicant_Request":
        return put_applicant(state, request, descriptors)
    if name == "Get_Applicants_Request":
        return get_applicants(state, request, descriptors)
    if name == "Hire_Employee_Request":
        return hire_employee(state, request)
    raise ValidationFault([Problem(f"{name} is not a request of the {service} service", xpath_of(request))])


def main(port: int, host: str = "127.0.0.1") -> None:
    """Serve a simulator with the demo tenant ``demo`` and user ``ISU_HIREBRIDGE@demo`` / ``sandbox-password``."""
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
