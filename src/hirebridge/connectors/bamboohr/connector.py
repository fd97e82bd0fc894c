"""BambooHR connector: create and update employees, and find one by email through a custom report.

Wire facts (documentation.bamboohr.com; BambooHR/bhr-api-php ``specs/public.yaml``, the OpenAPI of BambooHR's SDKs):
- Two URL forms: ``{base}/api/gateway.php/{companyDomain}/v1/...`` (classic, base ``https://api.bamboohr.com``) and
  ``https://{companyDomain}.bamboohr.com/api/v1/...`` (the OpenAPI's server). A connection whose base URL ends in
  ``/api/v1`` uses the second form as given; any other base URL the classic form.
- ``POST .../employees/`` JSON -> 201, empty body, the new id as the last segment of ``Location``.
  ``POST .../employees/{id}/`` updates -> 200. Employee id ``0`` means the API key's own employee (OpenAPI
  get-employee), so it is never a record we update.
- Basic auth: the API key is the user name, the password is any string.
- No email filter anywhere: ``POST .../reports/custom?format=JSON`` ``{"fields": [...]}`` returns every
  employee, Active and Inactive, as ``{"employees": [{"id": ..., "workEmail": ...}]}``; match on our side. Its body is
  read as XML unless Content-Type is exactly ``application/json``.
- Errors: the text is in the ``X-BambooHR-Error-Message`` header (also spelt ``...-Messsage``). Since 2026-09-16 a
  rate-limited call answers 429 with ``Retry-After`` and 503 means only "temporarily unavailable" (docs "Planned
  Changes to the API"): both are retried, after ``Retry-After``. Before that, 429 meant "Limit Exceeded: the account
  has reached its employee limit" (help page "API Error Code Definitions"); the docs name no new signal for it, and
  say every rate-limited answer carries ``Retry-After``, so a 429 to a create *without* ``Retry-After`` is read as the
  employee limit and refused with BambooHR's words. 409 a duplicate email or invalid value; 400/406 invalid data or
  unknown fields; 401 a bad key; 403 a missing permission.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel

from hirebridge.connectors.bamboohr.auth import BambooHRCredentials, basic_auth
from hirebridge.connectors.bamboohr.mapping import DEFAULT_TARGETS, build_payload
from hirebridge.connectors.base import Hire, PassthroughRequest, PreparedRequest, RemoteRef, parse_credentials
from hirebridge.connectors.errors import (
    AuthError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    body_message,
    clip,
    server_error,
)
from hirebridge.connectors.passthrough import send_json
from hirebridge.connectors.transport import prepared_request, send

# Not 0: "the special employee ID of zero (0) means to use the employee ID associated with the API key".
_EMPLOYEE_ID = re.compile(r"^[1-9][0-9]{0,19}$")
_ID_AT_END = re.compile(r"/([0-9]{1,20})/?$")
_ERROR_HEADERS = ("X-BambooHR-Error-Message", "X-BambooHR-Error-Messsage")


class BambooHRConnector:
    system: ClassVar[str] = "bamboohr"
    display_name: ClassVar[str] = "BambooHR"
    credentials_model: ClassVar[type[BaseModel]] = BambooHRCredentials
    default_base_url: ClassVar[str] = "https://api.bamboohr.com"
    rate_limit_default: ClassVar[float] = 2.0  # BambooHR publishes no numbers, only "be ready for 503"
    requires_accepted_offer_default: ClassVar[bool] = True
    read_lag_seconds: ClassVar[float] = 0.0  # a created employee shows in reports at once

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
        self._credentials, self._credentials_problem = parse_credentials(BambooHRCredentials, credentials, "BambooHR")

    # -- the protocol ------------------------------------------------------------------------------------------------

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        return build_payload(hire, self._field_mapping)

    def can_find(self, hire: Hire) -> bool:
        return self._email_field() is not None and bool((hire.email or "").strip())

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        email_field = self._email_field()
        email = (hire.email or "").strip().lower()
        if email_field is None or not email:
            return None
        fields = list(dict.fromkeys(["id", email_field, "firstName", "lastName", "status", "hireDate"]))
        response = self._call(
            "POST",
            "/reports/custom?format=JSON",
            json_body={"title": "hirebridge look-up by email", "fields": fields},
            operation="lookup",
        )
        for employee in _report_employees(response):
            value = employee.get(email_field)
            if isinstance(value, str) and value.strip().lower() == email and employee.get("id") is not None:
                return RemoteRef(str(employee["id"]), http_status=response.status_code)
        return None

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        response = self._call("POST", "/employees/", json_body=payload, operation="create")
        location = response.headers.get("Location", "")
        found = _ID_AT_END.search(urlsplit(location).path) if location else None
        if found is None or not _EMPLOYEE_ID.match(found.group(1)):
            raise OutcomeUnknownError.from_response(
                response, "BambooHR accepted the employee but gave no id in its Location header; it will be looked up"
            )
        return RemoteRef(found.group(1), http_status=response.status_code)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        return self._call("POST", self._employee_path(remote_id), json_body=payload, operation="update").status_code

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        payload = self.build_payload(hire)
        path = "/employees/" if remote_id is None else self._employee_path(remote_id)
        return prepared_request("POST", self._url(path), json_body=payload)

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """Under the connection's API base (``.../api/gateway.php/{companyDomain}/v1`` or the ``/api/v1`` form)."""
        auth = basic_auth(self._usable_credentials())
        return send_json(self._http, request, api_base=self._url(""), auth=auth)

    def check(self) -> int:
        """``GET .../meta/fields`` (the account's field list, JSON): any API key that can log in may read it."""
        url = self._url("/meta/fields")
        auth = basic_auth(self._usable_credentials())
        response = send(self._http, "GET", url, write=False, auth=auth, headers={"Accept": "application/json"})
        raise_for_response(response, operation="lookup")
        return response.status_code

    # -- HTTP --------------------------------------------------------------------------------------------------------

    def _email_field(self) -> str | None:
        if "email" in self._field_mapping:
            target = self._field_mapping["email"]
            return target if isinstance(target, str) else None
        return DEFAULT_TARGETS["email"]

    def _usable_credentials(self) -> BambooHRCredentials:
        if self._credentials is None:
            raise AuthError(self._credentials_problem or "BambooHR credentials are missing")
        return self._credentials

    def _employee_path(self, remote_id: str) -> str:
        if not _EMPLOYEE_ID.match(remote_id):
            raise RejectedError(f"{remote_id!r} is not a BambooHR employee id")
        return f"/employees/{remote_id}/"

    def _url(self, path: str) -> str:
        """The call's URL in the connection's form: ``{base}{path}`` for a base ending in ``/api/v1``, else the
        classic ``{base}/api/gateway.php/{companyDomain}/v1{path}``."""
        credentials = self._usable_credentials()
        if urlsplit(self._base_url).path.rstrip("/").endswith("/api/v1"):
            return f"{self._base_url}{path}"
        domain = quote(credentials.company_domain, safe="")
        return f"{self._base_url}/api/gateway.php/{domain}/v1{path}"

    def _call(self, method: str, path: str, *, json_body: Any, operation: str) -> httpx.Response:
        url = self._url(path)
        auth = basic_auth(self._usable_credentials())
        response = send(self._http, method, url, write=operation != "lookup", auth=auth, json_body=json_body)
        raise_for_response(response, operation=operation)
        return response


def raise_for_response(response: httpx.Response, *, operation: str) -> None:
    """Sort a BambooHR answer into the error tree; ``operation`` is "create", "update" or "lookup"."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = vendor_message(response)
    if status == 401:
        raise AuthError.from_response(response, said or "BambooHR did not accept the API key (HTTP 401)")
    if status == 403:
        raise AuthError.from_response(
            response, said or "the API key's BambooHR user lacks a permission this call needs (HTTP 403)"
        )
    if status == 429:
        throttled = "Retry-After" in response.headers
        if operation == "create" and not throttled:
            raise RejectedError.from_response(
                response, said or "the BambooHR account has reached its employee limit (HTTP 429)"
            )
        raise RetryableError.from_response(response, said or "BambooHR's rate limit was reached (HTTP 429)")
    if status == 503:
        raise RetryableError.from_response(response, said or "BambooHR is temporarily unavailable (HTTP 503)")
    if status >= 500:
        raise server_error(response, write=operation == "create")
    if status == 409:
        raise RejectedError.from_response(
            response, said or "BambooHR refused a duplicate: another employee already has this email (HTTP 409)"
        )
    if status == 404:
        what = "the employee does not exist in BambooHR" if operation == "update" else "BambooHR has no such resource"
        raise RejectedError.from_response(response, said or f"{what}; check the base URL and company domain (HTTP 404)")
    if 300 <= status < 400:
        raise RejectedError.from_response(
            response, f"BambooHR answered with a redirect (HTTP {status}); check the base URL"
        )
    raise RejectedError.from_response(response, said or f"BambooHR refused the data (HTTP {status})")


def vendor_message(response: httpx.Response) -> str | None:
    for header in _ERROR_HEADERS:
        value = response.headers.get(header)
        if value and value.strip():
            return clip(value)
    if "html" in response.headers.get("Content-Type", "").lower():
        return None
    return body_message(response)


def _report_employees(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        raise RetryableError.from_response(
            response, "BambooHR answered the employee report with something other than JSON"
        ) from None
    employees = data.get("employees") if isinstance(data, dict) else None
    if not isinstance(employees, list):
        raise RetryableError.from_response(response, "BambooHR's employee report has no employees list")
    return [employee for employee in employees if isinstance(employee, dict)]
