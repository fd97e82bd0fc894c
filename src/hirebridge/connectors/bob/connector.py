"""Bob (HiBob) connector: create and update people, and find one by email with the people search.

Wire facts (apidocs.hibob.com; speakeasy-sdks/hibob, generated from HiBob's OpenAPI):
- Basic auth ``SERVICE-USER-ID:TOKEN``; base ``https://api.hibob.com`` (sandbox ``https://api.sandbox.hibob.com``).
- ``POST /v1/people`` nested JSON -> 200 with the Employee, its ``id`` a numeric string.
- ``PUT /v1/people/{id}`` behaves like PATCH -> 200, or 304 when nothing changed; it takes no table columns.
- ``POST /v1/people/search`` ``{"fields", "filters": [{"fieldPath": "root.email", "operator": "equals",
  "values": [...]}], "showInactive": true}`` -> ``{"employees": [...]}``, all matches, no paging. Keys come back in
  slash notation (``"/root/id"``), possibly beside the nested form (``"id"``).
- Reads may lag writes: "wait up to 20 seconds before a follow-up read".
- A create with an email another employee already has: HiBob's docs do not say. They treat the email as an
  employee's identity ("identified by backend ID or email in the path", docs/people-read-api-contract; its own
  ``PUT /v1/people/{id}/email`` endpoint), so we take Bob to refuse it (4xx). A refused create whose email a people
  search then finds is that person: the record is adopted and brought up to date, instead of failing the push or
  creating a twin. No text of the refusal is parsed.
- 400 bad data, 401/403 credentials or permissions, 429 rate limit with ``X-RateLimit-Limit/-Remaining/-Reset``
  (Unix epoch).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from hirebridge.connectors.base import Hire, PassthroughRequest, PreparedRequest, RemoteRef, parse_credentials
from hirebridge.connectors.bob.auth import BobCredentials, basic_auth
from hirebridge.connectors.bob.mapping import DEFAULT_TARGETS, build_payload, update_payload
from hirebridge.connectors.errors import (
    AuthError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    body_message,
    parse_reset_epoch,
    server_error,
)
from hirebridge.connectors.passthrough import send_json
from hirebridge.connectors.transport import prepared_request, send

_EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BobConnector:
    system: ClassVar[str] = "bob"
    display_name: ClassVar[str] = "HiBob (Bob)"
    credentials_model: ClassVar[type[BaseModel]] = BobCredentials
    default_base_url: ClassVar[str] = "https://api.hibob.com"
    rate_limit_default: ClassVar[float] = 0.8  # people search allows 50 a minute
    requires_accepted_offer_default: ClassVar[bool] = True
    read_lag_seconds: ClassVar[float] = 25.0  # Bob documents up to 20 s; 5 s of margin

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, Any],
        field_mapping: Mapping[str, Any],
        settings: Mapping[str, Any],
        http: httpx.Client,
    ) -> None:
        base = base_url.rstrip("/")
        self._base_url = base[: -len("/v1")] if base.endswith("/v1") else base
        self._field_mapping = field_mapping
        self._settings = settings
        self._http = http
        self._credentials, self._credentials_problem = parse_credentials(BobCredentials, credentials, "Bob")

    # -- the protocol ------------------------------------------------------------------------------------------------

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        return build_payload(hire, self._field_mapping, self._settings)

    def can_find(self, hire: Hire) -> bool:
        # Bob's search filters only on root.email; without it there is no stable key.
        searchable = self._field_mapping.get("email", DEFAULT_TARGETS["email"]) == "email"
        return searchable and bool((hire.email or "").strip())

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        if not self.can_find(hire):
            return None
        return self._find_by_email((hire.email or "").strip())

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        try:
            response = self._call("POST", "/v1/people", json_body=payload, write=True)
        except RejectedError as refused:
            adopted = self._adopt_same_email(payload, refused)
            if adopted is None:
                raise
            return adopted
        try:
            data = response.json()
        except ValueError:
            data = None
        remote_id = data.get("id") if isinstance(data, dict) else None
        if remote_id is None or str(remote_id) == "":
            raise OutcomeUnknownError.from_response(
                response, "Bob accepted the employee but its answer had no id; it will be looked up"
            )
        return RemoteRef(str(remote_id), http_status=response.status_code)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        changes = update_payload(payload)
        if not changes:
            return None
        return self._call("PUT", self._employee_path(remote_id), json_body=changes, write=True).status_code

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        payload = self.build_payload(hire)
        if remote_id is None:
            return prepared_request("POST", self._url("/v1/people"), json_body=payload)
        changes = update_payload(payload)
        if not changes:
            return None
        return prepared_request("PUT", self._url(self._employee_path(remote_id)), json_body=changes)

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """Under Bob's API base, ``{base}/v1`` (``/people/search`` is ``POST {base}/v1/people/search``)."""
        auth = basic_auth(self._usable_credentials())
        return send_json(self._http, request, api_base=self._url("/v1"), auth=auth)

    def check(self) -> int:
        """``GET /v1/company/named-lists``: the company's lists (departments, sites), a read every push needs."""
        return self._call("GET", "/v1/company/named-lists", json_body=None, write=False).status_code

    def _adopt_same_email(self, payload: dict[str, Any], refused: RejectedError) -> RemoteRef | None:
        """The employee Bob already has under the payload's email, brought up to date; None if there is none."""
        email = payload.get("email")
        if refused.http_status is None or not isinstance(email, str) or not email.strip():
            return None
        if self._field_mapping.get("email", DEFAULT_TARGETS["email"]) != "email":
            return None
        found = self._find_by_email(email.strip())
        if found is None:
            return None
        status = self.update(found.remote_id, payload)
        return RemoteRef(found.remote_id, http_status=status or found.http_status)

    def _find_by_email(self, email: str) -> RemoteRef | None:
        response = self._call(
            "POST",
            "/v1/people/search",
            json_body={
                "fields": ["root.id", "root.email"],
                "filters": [{"fieldPath": "root.email", "operator": "equals", "values": [email]}],
                "showInactive": True,
            },
            write=False,
        )
        for employee in _search_employees(response):
            found_id = _field(employee, "id")
            found_email = _field(employee, "email")
            # Bob filtered on the email already; a field the service user may not see is silently left out, so
            # only a *different* email disqualifies a result.
            if found_id and (found_email is None or str(found_email).strip().lower() == email.lower()):
                return RemoteRef(str(found_id), http_status=response.status_code)
        return None

    # -- HTTP --------------------------------------------------------------------------------------------------------

    def _employee_path(self, remote_id: str) -> str:
        if not _EMPLOYEE_ID.match(remote_id):
            raise RejectedError(f"{remote_id!r} is not a Bob employee id")
        return f"/v1/people/{quote(remote_id, safe='')}"

    def _usable_credentials(self) -> BobCredentials:
        if self._credentials is None:
            raise AuthError(self._credentials_problem or "Bob credentials are missing")
        return self._credentials

    def _url(self, path: str) -> str:
        self._usable_credentials()
        return f"{self._base_url}{path}"

    def _call(self, method: str, path: str, *, json_body: Any, write: bool) -> httpx.Response:
        auth = basic_auth(self._usable_credentials())
        response = send(self._http, method, self._url(path), write=write, auth=auth, json_body=json_body)
        raise_for_response(response, create=method == "POST" and path == "/v1/people")
        return response


def raise_for_response(response: httpx.Response, *, create: bool) -> None:
    """Sort a Bob answer into the error tree."""
    status = response.status_code
    if 200 <= status < 300 or status == 304:  # 304: an update that changed nothing
        return
    said = body_message(response)
    if status == 401:
        raise AuthError.from_response(response, said or "Bob did not accept the service user's ID and token (HTTP 401)")
    if status == 403:
        raise AuthError.from_response(
            response,
            said or "the Bob service user lacks a permission this call needs; add it to a permission group (HTTP 403)",
        )
    if status == 429:
        # Bob documents X-RateLimit-Reset (epoch); a Retry-After, if ever sent, wins (from_response reads it).
        reset = (
            None if "Retry-After" in response.headers else parse_reset_epoch(response.headers.get("X-RateLimit-Reset"))
        )
        raise RetryableError.from_response(
            response, said or "Bob's rate limit was reached (HTTP 429)", retry_after=reset
        )
    if status >= 500:
        raise server_error(response, write=create)
    if status == 404:
        raise RejectedError.from_response(response, said or "the employee does not exist in Bob (HTTP 404)")
    if 300 <= status < 400:
        raise RejectedError.from_response(response, f"Bob answered with a redirect (HTTP {status}); check the base URL")
    raise RejectedError.from_response(response, said or f"Bob refused the data (HTTP {status})")


def _search_employees(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        raise RetryableError.from_response(
            response, "Bob answered the people search with something other than JSON"
        ) from None
    employees = data.get("employees") if isinstance(data, dict) else None
    if not isinstance(employees, list):
        raise RetryableError.from_response(response, "Bob's people search answer has no employees list")
    return [employee for employee in employees if isinstance(employee, dict)]


def _field(employee: Mapping[str, Any], name: str) -> Any:
    """A root field of a search result: ``"/root/<name>"`` (a value, or ``{"value": ...}``), else ``<name>``."""
    slashed = employee.get(f"/root/{name}")
    if isinstance(slashed, dict):
        slashed = slashed.get("value")
    if slashed not in (None, ""):
        return slashed
    return employee.get(name)
