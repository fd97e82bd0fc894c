"""BambooHR connector: create and update employees, and find one by email through a custom report.

Wire facts (documentation.bamboohr.com, BambooHR/bhr-api-php ``specs/public.yaml``):
- ``POST {base}/api/gateway.php/{companyDomain}/v1/employees/`` JSON -> 201, empty body, the new id as the last
  segment of ``Location``. ``POST .../v1/employees/{id}/`` updates -> 200.
- Basic auth: the API key is the user name, the password is any string.
- No email filter anywhere: ``POST .../v1/reports/custom?format=JSON`` ``{"fields": [...]}`` returns every
  employee, Active and Inactive, as ``{"employees": [{"id": ..., "workEmail": ...}]}``; match on our side. Its body is
  read as XML unless Content-Type is exactly ``application/json``.
- Errors: the text is in the ``X-BambooHR-Error-Message`` header (also spelt ``...-Messsage``). 503 with
  ``Retry-After`` is throttling; 429 on a create means the account reached its employee limit; 409 a duplicate
  email; 400/406 invalid data or unknown fields; 401 a bad key; 403 a missing permission.
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
from hirebridge.connectors.base import Hire, RemoteRef, parse_credentials
from hirebridge.connectors.errors import (
    AuthError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    body_message,
    clip,
    parse_retry_after,
    server_error,
)
from hirebridge.connectors.transport import send

_EMPLOYEE_ID = re.compile(r"^[0-9]{1,20}$")
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
        if found is None:
            raise OutcomeUnknownError(
                "BambooHR accepted the employee but gave no id in its Location header; it will be looked up",
                http_status=response.status_code,
            )
        return RemoteRef(found.group(1), http_status=response.status_code)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        if not _EMPLOYEE_ID.match(remote_id):
            raise RejectedError(f"{remote_id!r} is not a BambooHR employee id")
        return self._call("POST", f"/employees/{remote_id}/", json_body=payload, operation="update").status_code

    # -- HTTP --------------------------------------------------------------------------------------------------------

    def _email_field(self) -> str | None:
        if "email" in self._field_mapping:
            target = self._field_mapping["email"]
            return target if isinstance(target, str) else None
        return DEFAULT_TARGETS["email"]

    def _call(self, method: str, path: str, *, json_body: Any, operation: str) -> httpx.Response:
        if self._credentials is None:
            raise AuthError(self._credentials_problem or "BambooHR credentials are missing")
        domain = quote(self._credentials.company_domain, safe="")
        url = f"{self._base_url}/api/gateway.php/{domain}/v1{path}"
        auth = basic_auth(self._credentials)
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
        raise AuthError(said or "BambooHR did not accept the API key (HTTP 401)", http_status=status)
    if status == 403:
        raise AuthError(
            said or "the API key's BambooHR user lacks a permission this call needs (HTTP 403)", http_status=status
        )
    if status == 503:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetryableError(
            said or "BambooHR is throttling requests (HTTP 503)", http_status=status, retry_after=retry_after
        )
    if status >= 500:
        raise server_error(response, write=operation == "create")
    if status == 429:
        if operation == "create":
            raise RejectedError(
                said or "the BambooHR account has reached its employee limit (HTTP 429)", http_status=status
            )
        raise RetryableError(said or "BambooHR refused the call for now (HTTP 429)", http_status=status)
    if status == 409:
        raise RejectedError(
            said or "BambooHR refused a duplicate: another employee already has this email (HTTP 409)",
            http_status=status,
        )
    if status == 404:
        what = "the employee does not exist in BambooHR" if operation == "update" else "BambooHR has no such resource"
        raise RejectedError(said or f"{what}; check the base URL and company domain (HTTP 404)", http_status=status)
    if 300 <= status < 400:
        raise RejectedError(
            f"BambooHR answered with a redirect (HTTP {status}); check the base URL", http_status=status
        )
    raise RejectedError(said or f"BambooHR refused the data (HTTP {status})", http_status=status)


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
        raise RetryableError("BambooHR answered the employee report with something other than JSON") from None
    employees = data.get("employees") if isinstance(data, dict) else None
    if not isinstance(employees, list):
        raise RetryableError("BambooHR's employee report has no employees list")
    return [employee for employee in employees if isinstance(employee, dict)]
