"""BambooHR API simulator: ``create_app()`` for tests and the demo, ``main()`` for ``hirebridge sandbox bamboohr``.

What each behaviour rests on. Sources: [details] documentation.bamboohr.com/docs/api-details; [codes] the help page
bamboohr.screenstepslive.com/m/53907/l/587843 "API Error Code Definitions"; [create], [update], [report] the
reference pages documentation.bamboohr.com/reference/create-employee, /update-employee, /request-custom-report;
[sdk] BambooHR/bhr-api-php (docs/Api/EmployeesApi.md, ReportsApi.md, docs/Model/*, specs/public.yaml);
[old] bamboohr.com/api/documentation/ (overview and employees.php); [py] smeggingsmegger/PyBambooHR (client and
tests); [workato] docs.workato.com/connectors/bamboo-hr/create-employee-action.html. UNCONFIRMED = no public
source: a plausible choice a connector must not depend on.

- Paths ``/api/gateway.php/{companyDomain}/v1/...`` [details], with or without a trailing slash ([py] posts to
  ``employees/`` and ``reports/custom/``). Another companyDomain: 404, empty body (UNCONFIRMED body).
- Auth: HTTP Basic, the API key as username and any password, also empty [old overview, py]. Missing or wrong key:
  401 "Your API key is missing" [details], empty body; the header message "Invalid API key" is UNCONFIRMED.
  Optional (setting ``bad_key_lockout_after``, off by default): repeated unknown keys disable API access for a time,
  answered with 403 [old overview].
- Every error carries its detail in the response header ``X-BambooHR-Error-Message`` and has an empty body [codes,
  details]. [codes] spells it ``X-BambooHR-Error-Messsage`` ("the extra s ... will be there"): setting
  ``error_header_spelling`` = standard (default) | typo | both. The message texts themselves are UNCONFIRMED.
- ``POST .../v1/employees/`` [create, sdk addEmployee]: a JSON object when Content-Type is ``application/json``
  (parameters such as charset allowed: UNCONFIRMED), otherwise XML ``<employee><field id="firstName">``; [py] sends
  its XML with no Content-Type at all. firstName and lastName are required: 400 [create "minimum fields are not
  provided"]; invalid JSON/XML: 400 [create]. A field the account does not have: 406 "references to non-existent
  fields" [details, codes]. An invalid value (dates not YYYY-MM-DD, malformed emails, status not Active/Inactive):
  409 [create "an employee field was given an invalid value"]. Duplicate ``workEmail`` (case-insensitive, any
  status): 409 [details, codes: "For employees, duplicate emails are not allowed"]; setting
  ``enforce_unique_work_email`` turns it off. Employee limit reached: 429 [details, codes "Limit Exceeded"]; this is
  not a rate limit. ``photo``/``photoUrl`` keys are ignored and the write succeeds [create]. Success: 201, empty body
  [sdk "void (empty response body)"], ``Location: {base}/api/gateway.php/{domain}/v1/employees/{id}`` [workato
  example, py tests]; ids are integers from a seeded random start.
- ``GET .../v1/employees/{id}/?fields=a,b`` [sdk getEmployee]: fields default ``firstName,lastName`` [sdk]; at most
  400 fields [details past-changes 2023.01.16]; answer ``{"id": "123", "a": ..}`` with string or null values [py
  tests]. Unknown field names are left out (UNCONFIRMED; [report] documents this for reports). Unknown id, or the
  special id 0 (no employee is tied to the simulator's key): 404 [details].
- ``POST .../v1/employees/{id}/`` [update, sdk updateEmployee]: same body forms and field rules; only the fields sent
  change, an empty value clears one (firstName/lastName cannot be cleared: 400, UNCONFIRMED); 200 with an empty
  body [sdk, py tests]; unknown id 404.
- Read answers are JSON when ``Accept`` names ``application/json``, else XML ([sdk] "can produce either JSON or
  XML"; [py] sets ``Accept: application/json`` for JSON; that XML is the default is UNCONFIRMED here).
- ``POST .../v1/reports/custom?format=JSON`` [report, sdk requestCustomReport]: JSON only when Content-Type is
  exactly ``application/json``, anything else is parsed as XML ``<report><title/><fields><field id/></fields>``, so
  ``application/json; charset=UTF-8`` gets 400 "Malformed XML" [report]. ``format`` is case-insensitive; without it
  the format comes from ``Accept``, of which only application/json, text/xml, text/csv, application/pdf,
  application/vnd.ms-excel are accepted, anything else 404 [report]. JSON, XML and CSV are produced; PDF and XLS
  answer 400 (simulator limit). All employees, Active and Inactive [report]; unknown field ids are silently left out
  and the answer is still 200 [report]; at most 400 fields [report]. Filters ``employeeIds`` and ``lastChanged``
  [sdk RequestCustomReportFilters]. There is no email filter anywhere [sdk GetEmployeesFilterRequestObject].
- ``GET .../v1/employees/directory`` [sdk getEmployeesDirectory, py tests]: Active employees only; future hires
  only with ``onlyCurrent=false``; 403 when directory sharing is off, 404 when empty (per research/hris.md's reading
  of public.yaml). ``status``: as written, else Inactive for a hire date in the future ([sdk] datasets: "Future hires
  have a status of Inactive").
- Throttling is ``503`` with ``Retry-After`` [details "always be ready for a 503", codes]; both the fault switch
  ``throttle_rate`` and the token bucket ``rate_limit_per_second`` answer it. The "error" fault answers 500 or 502
  [codes]; "timeout" hangs ``timeout_seconds`` then answers 504 (UNCONFIRMED status); ``drop_after_commit_rate``
  commits a create or update and then breaks the connection mid-response ([details]: "be ready for ... broken
  connections with no HTTP response").
- Admin (not BambooHR): ``/_sandbox/records|faults|reset`` and ``GET/PUT /_sandbox/settings``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import Any, Literal

import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hirebridge.sandbox.bamboohr import render
from hirebridge.sandbox.bamboohr.fields import (
    MAX_FIELDS_PER_REQUEST,
    READ_ONLY,
    WRITABLE,
    BambooError,
    field_meta,
    parse_employee_body,
    parse_report_body,
    validate,
)
from hirebridge.sandbox.bamboohr.state import BambooState, Employee
from hirebridge.sandbox.faults import DroppedResponse, Faults, admin_router, install

DIRECTORY_FIELDS = (
    "displayName",
    "firstName",
    "lastName",
    "preferredName",
    "jobTitle",
    "workPhone",
    "mobilePhone",
    "workEmail",
    "department",
    "location",
    "division",
    "workPhoneExtension",
)
REPORT_ACCEPT = {
    "application/json": "json",
    "text/xml": "xml",
    "text/csv": "csv",
    "application/pdf": "pdf",
    "application/vnd.ms-excel": "xls",
}


class SettingsPatch(BaseModel):
    """``PUT /_sandbox/settings``: only the keys sent change."""

    model_config = ConfigDict(extra="forbid")

    enforce_unique_work_email: bool | None = None
    employee_limit: int | None = Field(default=None, ge=0, le=1_000_000)
    error_header_spelling: Literal["standard", "typo", "both"] | None = None
    directory_sharing: bool | None = None
    bad_key_lockout_after: int | None = Field(default=None, ge=1, le=1000)
    bad_key_lockout_seconds: float | None = Field(default=None, gt=0, le=3600)
    api_user_employee_id: int | None = Field(default=None, ge=1)


def _header_safe(message: str) -> str:
    return message.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")[:500]


class _Gate:
    """What every vendor call passes first: the fault switches, the company domain, then the API key."""

    def __init__(self, faults: Faults, state: BambooState, company_domain: str, api_key: str) -> None:
        self.faults, self.state, self.domain = faults, state, company_domain
        self._key = api_key.encode()

    def error(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        spelling = self.state.settings().error_header_spelling
        text = _header_safe(message)
        out = dict(headers or {})
        if spelling in ("standard", "both"):
            out["X-BambooHR-Error-Message"] = text
        if spelling in ("typo", "both"):
            out["X-BambooHR-Error-Messsage"] = text
        return Response(status_code=status, headers=out)

    def _authorised(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or len(encoded) > 1024:
            return False
        try:
            user, sep, _password = base64.b64decode(encoded, validate=True).partition(b":")
        except (binascii.Error, ValueError):
            return False
        return bool(sep) and secrets.compare_digest(user, self._key)

    async def check(self, request: Request, company_domain: str) -> Response | None:
        decision = await self.faults.before_call()
        if decision == "throttle":  # [planned]: 429 with Retry-After since 2026-09-16
            retry = str(self.faults.switches.retry_after_seconds)
            return self.error(429, "Rate limit exceeded; retry after the Retry-After delay", {"Retry-After": retry})
        if decision == "error":
            status = self.faults.random.choice((500, 502, 503))
            if status == 503:  # [planned]: 503 now means only "temporarily unavailable"; [codes]: with Retry-After
                retry = str(self.faults.switches.retry_after_seconds)
                return self.error(503, "Service temporarily unavailable (simulated)", {"Retry-After": retry})
            return self.error(status, "The server could not process the request (simulated)")
        if decision == "timeout":
            return self.error(504, "The request timed out (simulated)")
        if company_domain != self.domain:
            return self.error(404, "Company not found")
        now = time.monotonic()
        if self.state.locked_out(now):
            return self.error(403, "API access is temporarily disabled after repeated unknown API keys")
        if not self._authorised(request):
            self.state.note_bad_key(now)
            return self.error(401, "Invalid API key")
        return None


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "").lower()


def _employee_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and len(raw) <= 12 else None


def _requested_fields(raw: str) -> list[str]:
    fields = list(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))
    if len(fields) > MAX_FIELDS_PER_REQUEST:
        raise BambooError(400, f"At most {MAX_FIELDS_PER_REQUEST} fields may be requested")
    return fields


def _row(employee: Employee, fields: list[str], state: BambooState) -> dict[str, str | None]:
    today = state.today()
    row: dict[str, str | None] = {"id": str(employee.id)}
    for field_id in fields:
        if field_id != "id" and field_meta(field_id) is not None:
            row[field_id] = employee.value(field_id, today)
    return row


def _report_output(request: Request) -> str | None:
    fmt = request.query_params.get("format")
    if fmt is not None:
        return fmt.strip().lower()
    return REPORT_ACCEPT.get(request.headers.get("accept", "").strip().lower())


def _build_vendor_routers(gate: _Gate, state: BambooState, faults: Faults) -> tuple[APIRouter, APIRouter]:
    router = APIRouter(prefix="/api/gateway.php/{company_domain}/v1")

    async def create_employee(company_domain: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        try:
            values = validate(
                parse_employee_body(await request.body(), request.headers.get("content-type")), creating=True
            )
            employee = state.create(values)
        except BambooError as exc:
            return gate.error(exc.status, exc.message)
        if faults.drop_this_write():
            raise DroppedResponse()
        base = str(request.base_url).rstrip("/")
        if request.url.path.startswith("/api/v1/"):
            location = f"{base}/api/v1/employees/{employee.id}"
        else:
            location = f"{base}/api/gateway.php/{company_domain}/v1/employees/{employee.id}"
        return Response(status_code=201, headers={"Location": location})

    async def directory(company_domain: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        if not state.settings().directory_sharing:
            return gate.error(403, "The employee directory is not shared with this API user")
        include_future = request.query_params.get("onlyCurrent", "true").lower() == "false"
        today = state.today()
        listed = [
            e
            for e in state.all()
            if e.status(today) == "Active"
            or (include_future and not e.values.get("status") and e.is_future_hire(today))
        ]
        if not listed:
            return gate.error(404, "No employees in the directory")
        fields = [meta for f in DIRECTORY_FIELDS if (meta := field_meta(f)) is not None]
        rows = [_row(e, list(DIRECTORY_FIELDS), state) for e in listed]
        return render.table("directory", fields, rows, output="json" if _wants_json(request) else "xml")

    async def get_employee(company_domain: str, employee_id: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        try:
            fields = _requested_fields(request.query_params.get("fields", "firstName,lastName"))
        except BambooError as exc:
            return gate.error(exc.status, exc.message)
        number = _employee_id(employee_id)
        if number == 0:  # [openapi get-employee]: "the employee ID associated with the API key (if any)"
            number = state.settings().api_user_employee_id
        employee = state.get(number) if number is not None else None
        if employee is None:
            return gate.error(404, "Employee not found")
        # [openapi AcceptHeaderParameter]: JSON or XML; XML only when asked for (see docs/simulators.md).
        as_xml = "application/xml" in request.headers.get("accept", "").lower()
        return render.employee(_row(employee, fields, state), as_json=not as_xml)

    async def update_employee(company_domain: str, employee_id: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        number = _employee_id(employee_id)
        try:
            values = validate(
                parse_employee_body(await request.body(), request.headers.get("content-type")), creating=False
            )
            updated = state.update(number, values) if number is not None else None
        except BambooError as exc:
            return gate.error(exc.status, exc.message)
        if updated is None:
            return gate.error(404, "Employee not found")
        if faults.drop_this_write():
            raise DroppedResponse()
        return Response(status_code=200)

    async def custom_report(company_domain: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        output = _report_output(request)
        if output is None:
            return gate.error(404, "Unsupported Accept header for a report; use the format parameter")
        if output not in REPORT_ACCEPT.values():  # [openapi request-custom-report]: 404 "Report format not found"
            return gate.error(404, f"Report format not found: {output[:20]}")
        if output in ("pdf", "xls"):
            return gate.error(400, f"The simulator does not produce {output} reports; use json, xml or csv")
        try:
            wanted = parse_report_body(await request.body(), request.headers.get("content-type"))
        except BambooError as exc:
            return gate.error(exc.status, exc.message)
        fields = [meta for f in dict.fromkeys(wanted.fields) if (meta := field_meta(f)) is not None]
        rows = [
            _row(e, [f["id"] for f in fields], state)
            for e in state.all()
            if (wanted.employee_ids is None or str(e.id) in wanted.employee_ids)
            and (wanted.last_changed_since is None or e.last_changed >= wanted.last_changed_since)
        ]
        return render.table("report", fields, rows, output=output, title=wanted.title)

    async def meta_fields(company_domain: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        listed = [meta for f in [*WRITABLE, *READ_ONLY] if (meta := field_meta(f)) is not None]
        return render.meta_fields(listed, as_json=_wants_json(request))

    for suffix in ("", "/"):
        router.add_api_route("/meta/fields" + suffix, meta_fields, methods=["GET"])
        router.add_api_route("/employees" + suffix, create_employee, methods=["POST"])
        router.add_api_route("/employees/directory" + suffix, directory, methods=["GET"])
        router.add_api_route("/employees/{employee_id}" + suffix, get_employee, methods=["GET"])
        router.add_api_route("/employees/{employee_id}" + suffix, update_employee, methods=["POST"])
        router.add_api_route("/reports/custom" + suffix, custom_report, methods=["POST"])

    # The same calls at https://{companyDomain}.bamboohr.com/api/v1/... [openapi servers]: the company comes from the
    # Host header; on any other host (127.0.0.1 in tests) it is the simulator's own company.
    modern = APIRouter(prefix="/api/v1")

    async def m_create(request: Request) -> Response:
        return await create_employee(_host_domain(request, gate.domain), request)

    async def m_directory(request: Request) -> Response:
        return await directory(_host_domain(request, gate.domain), request)

    async def m_get(employee_id: str, request: Request) -> Response:
        return await get_employee(_host_domain(request, gate.domain), employee_id, request)

    async def m_update(employee_id: str, request: Request) -> Response:
        return await update_employee(_host_domain(request, gate.domain), employee_id, request)

    async def m_report(request: Request) -> Response:
        return await custom_report(_host_domain(request, gate.domain), request)

    async def m_meta_fields(request: Request) -> Response:
        return await meta_fields(_host_domain(request, gate.domain), request)

    for suffix in ("", "/"):
        modern.add_api_route("/meta/fields" + suffix, m_meta_fields, methods=["GET"])
        modern.add_api_route("/employees" + suffix, m_create, methods=["POST"])
        modern.add_api_route("/employees/directory" + suffix, m_directory, methods=["GET"])
        modern.add_api_route("/employees/{employee_id}" + suffix, m_get, methods=["GET"])
        modern.add_api_route("/employees/{employee_id}" + suffix, m_update, methods=["POST"])
        modern.add_api_route("/reports/custom" + suffix, m_report, methods=["POST"])
    return router, modern


def _host_domain(request: Request, default: str) -> str:
    """The company of a ``{companyDomain}.bamboohr.com`` Host header, else the simulator's own."""
    host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
    suffix = ".bamboohr.com"
    return host[: -len(suffix)] if host.endswith(suffix) and host != "api" + suffix else default


def create_app(*, company_domain: str = "demo", api_key: str = "sandbox-key", seed: int | None = None) -> FastAPI:
    """A fresh simulator with its own state (``app.state.simulator``) and fault switches (``app.state.faults``)."""
    state = BambooState(seed=seed)
    faults = Faults(seed)
    gate = _Gate(faults, state, company_domain, api_key)
    app = FastAPI(title="BambooHR API simulator", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.simulator = state
    app.state.faults = faults
    install(app, faults)
    for router in _build_vendor_routers(gate, state, faults):
        app.include_router(router)

    # Docs [details]: 404 when "the URL given is not a valid API"; [codes]: also when the method is unavailable.
    @app.api_route("/api/gateway.php/{company_domain}/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def not_found(company_domain: str, rest: str, request: Request) -> Response:
        if (refused := await gate.check(request, company_domain)) is not None:
            return refused
        return gate.error(404, "Not a valid API path or method")

    @app.api_route("/api/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def not_found_v1(rest: str, request: Request) -> Response:
        if (refused := await gate.check(request, _host_domain(request, company_domain))) is not None:
            return refused
        return gate.error(404, "Not a valid API path or method")

    app.include_router(admin_router(faults, state.records, state.reset))

    @app.get("/_sandbox/settings")
    def get_settings() -> dict[str, Any]:
        return vars(state.settings())

    @app.put("/_sandbox/settings")
    def put_settings(patch: SettingsPatch) -> dict[str, Any]:
        nullable = {"employee_limit", "bad_key_lockout_after", "api_user_employee_id"}  # null switches these off
        changes = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None or k in nullable}
        return vars(state.configure(**changes))

    return app


def main(port: int, host: str = "127.0.0.1") -> None:
    """Serve a simulator for company domain ``demo`` and API key ``sandbox-key`` (any password)."""
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
