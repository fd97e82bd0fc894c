"""Personio connector: create and update employees and find one by email over the v1 Personnel Data API.

Wire facts (developers.personio.de, API reference v1 and its changelog):
- ``POST /v1/auth`` (client id and secret) -> ``data.token``, ``data.expires_in``; limited to 60 requests a minute
  (429 without Retry-After while it cools down): tokens are cached and shared (``connectors.tokens``). API calls send
  ``Authorization: Bearer``; 401 (no or expired token) or 403 (a token it does not know) -> fetch once more, then
  AuthError.
- ``POST /v1/company/employees`` ``{"employee": {...}}`` -> ``{"success": true, "data": {"id": 123, "message"}}``;
  refusals are 422 ``{"success": false, "error": {"code": 422, "message": "The email has already been taken."}}``:
  a RejectedError with Personio's message, except that an email already taken by the person we were creating is
  adopted (looked up by email), so a create repeated after a lost answer does not fail the push.
- ``GET /v1/company/employees?email=`` -> ``data[].attributes.id.value`` (a list even for one match).
- 429 -> retried after ``Retry-After``, else ``X-RateLimit-Reset``, else a minute (the auth cool-down).
- Custom attributes ``dynamic_<uid>`` through the field mapping (see ``mapping``).
- ``PATCH /v1/company/employees/{id}`` ``{"employee": {...}}`` (the create's attributes; Personio ignores
  ``email``) -> ``{"success": true, "data": {"id", "message"}}``; 404/422 in the same error body -> RejectedError
  (source: hub.windmill.dev/scripts/personio/17733, generated from Personio's v1 reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel

from hirebridge.connectors.base import Hire, PassthroughRequest, PreparedRequest, RemoteRef, parse_credentials
from hirebridge.connectors.errors import (
    AuthError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    body_message,
    parse_reset_epoch,
    server_error,
)
from hirebridge.connectors.passthrough import check_path, send_json
from hirebridge.connectors.personio.auth import PersonioCredentials
from hirebridge.connectors.personio.mapping import build_payload
from hirebridge.connectors.tokens import MemoryTokenStore, Token, TokenStore, fingerprint
from hirebridge.connectors.transport import prepared_request, send

EMPLOYEES = "/v1/company/employees"
AUTH = "/v1/auth"
AUTH_COOL_DOWN_SECONDS = 60.0
_FALLBACK_STORE = MemoryTokenStore()


class PersonioConnector:
    system: ClassVar[str] = "personio"
    display_name: ClassVar[str] = "Personio"
    credentials_model: ClassVar[type[BaseModel]] = PersonioCredentials
    default_base_url: ClassVar[str] = "https://api.personio.de"
    rate_limit_default: ClassVar[float] = 2.0  # GET /v1/company/employees allows 300 a minute
    requires_accepted_offer_default: ClassVar[bool] = True
    read_lag_seconds: ClassVar[float] = 2.0  # Personio documents no lag; its list reads its own writes

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
        self._http = http
        self._store: TokenStore = _FALLBACK_STORE
        self._credentials, self._problem = parse_credentials(PersonioCredentials, credentials, "Personio")

    def use_token_store(self, store: TokenStore) -> None:
        """Share tokens through ``store`` instead of this process's memory."""
        self._store = store

    # -- the protocol ------------------------------------------------------------------------------------------------

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        return build_payload(hire, self._field_mapping)

    def can_find(self, hire: Hire) -> bool:
        return self._email(hire) is not None

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        email = self._email(hire)
        return self._find_by_email(email) if email else None

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        try:
            response = self._call("POST", EMPLOYEES, json_body=payload, write=True)
        except RejectedError as refused:
            email = (payload.get("employee") or {}).get("email")
            if refused.http_status != 422 or not isinstance(email, str) or not email.strip():
                raise
            found = self._find_by_email(email.strip())
            if found is None:
                raise
            return found
        data = _data(response)
        remote_id = data.get("id") if isinstance(data, dict) else None
        if remote_id in (None, ""):
            raise OutcomeUnknownError.from_response(
                response, "Personio accepted the employee but its answer had no id; it will be looked up"
            )
        return RemoteRef(str(remote_id), http_status=response.status_code)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        return self._call("PATCH", _employee_path(remote_id), json_body=payload, write=True).status_code

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        payload = self.build_payload(hire)
        self._usable_credentials()
        if remote_id is not None:
            return prepared_request(
                "PATCH", self._url(_employee_path(remote_id)), json_body=payload, auth_scheme="Bearer"
            )
        return prepared_request("POST", self._url(EMPLOYEES), json_body=payload, auth_scheme="Bearer")

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """Under Personio's API base, ``{base}/v1`` (``/company/employees`` is ``GET {base}/v1/company/employees``),
        with a bearer token; a refused token is replaced once."""
        check_path(request.path)
        token = self._token()
        response = send_json(self._http, request, api_base=self._url("/v1"), headers=_bearer(token))
        if response.status_code in (401, 403):
            token = self._token(stale=token)
            response = send_json(self._http, request, api_base=self._url("/v1"), headers=_bearer(token))
        return response

    # -- reads -------------------------------------------------------------------------------------------------------

    def check(self) -> int:
        """A token (``POST /v1/auth``) unless the store has one, then ``GET /v1/company/employees?limit=1``."""
        return self._call("GET", "/v1/company/employees", write=False, params={"limit": "1"}).status_code

    def _email(self, hire: Hire) -> str | None:
        try:
            email = self.build_payload(hire)["employee"].get("email")
        except RejectedError:
            return None
        return email.strip() if isinstance(email, str) and email.strip() else None

    def _find_by_email(self, email: str) -> RemoteRef | None:
        response = self._call("GET", EMPLOYEES, params={"email": email}, write=False)
        data = _data(response)
        if not isinstance(data, list):
            raise RetryableError.from_response(response, "Personio's employee list answer has no data list")
        for employee in data:
            attributes = employee.get("attributes") if isinstance(employee, dict) else None
            if not isinstance(attributes, dict):
                continue
            found_id = _value(attributes.get("id"))
            found_email = _value(attributes.get("email"))
            if found_id not in (None, "") and (found_email is None or str(found_email).lower() == email.lower()):
                return RemoteRef(str(found_id), http_status=response.status_code)
        return None

    # -- tokens and HTTP ---------------------------------------------------------------------------------------------

    def _usable_credentials(self) -> PersonioCredentials:
        if self._credentials is None:
            raise AuthError(self._problem or "Personio credentials are missing")
        return self._credentials

    def _url(self, path: str) -> str:
        return f"{self._base_url}{path}"

    def _fetch_token(self) -> Token:
        credentials = self._usable_credentials()
        body = {"client_id": credentials.client_id, "client_secret": credentials.client_secret.get_secret_value()}
        response = send(self._http, "POST", self._url(AUTH), write=False, json_body=body)
        if response.status_code == 429:
            raise_for_response(response, write=False)
        if response.status_code >= 500:
            raise server_error(response, write=False)
        data = _data(response) if response.status_code == 200 else None
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            said = body_message(response)
            raise AuthError.from_response(
                response, f"Personio refused the API credentials: {said or f'HTTP {response.status_code}'}"
            )
        expires_in = data.get("expires_in") if isinstance(data, dict) else None
        return Token(token, float(expires_in) if isinstance(expires_in, int | float) else 86400.0)

    def _token(self, stale: str | None = None) -> str:
        key = f"personio:token:{fingerprint(self._usable_credentials().client_id, self._base_url)}"
        if stale is None:
            found = self._store.get(key)
            if found is not None:
                return found
        return self._store.refresh(key, self._fetch_token, stale=stale)

    def _call(
        self,
        method: str,
        path: str,
        *,
        write: bool,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = self._url(path)
        if params:
            url = str(httpx.URL(url, params=dict(params)))
        token = self._token()
        response = send(self._http, method, url, write=write, json_body=json_body, headers=_bearer(token))
        if response.status_code in (401, 403):  # a refused token was not applied: fetch once more and resend
            token = self._token(stale=token)
            response = send(self._http, method, url, write=write, json_body=json_body, headers=_bearer(token))
        raise_for_response(response, write=write)
        return response


def _employee_path(remote_id: str) -> str:
    """``/v1/company/employees/{id}``; Personio's ids are integers, anything else is refused before sending."""
    if not remote_id.isdigit() or len(remote_id) > 20:
        raise RejectedError(f"{remote_id[:40]!r} is not a Personio employee id")
    return f"{EMPLOYEES}/{remote_id}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wait(response: httpx.Response) -> float | None:
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and reset.strip().isdigit() and int(reset) < 3600:  # seconds to wait (UNCONFIRMED), else an epoch
        return float(reset)
    return parse_reset_epoch(reset)


def raise_for_response(response: httpx.Response, *, write: bool) -> None:
    """Sort a Personio answer into the error tree, with Personio's own ``error.message``."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = body_message(response)
    if status in (401, 403):
        raise AuthError.from_response(
            response, said or f"Personio refused the API credentials or a permission (HTTP {status})"
        )
    if status == 429:
        # Retry-After when sent (from_response reads it); else the rate-limit reset; else the auth cool-down (60 s:
        # the auth endpoint's 429 carries neither).
        wait = None if "Retry-After" in response.headers else (_wait(response) or AUTH_COOL_DOWN_SECONDS)
        raise RetryableError.from_response(
            response, said or "Personio's rate limit was reached (HTTP 429)", retry_after=wait
        )
    if status >= 500:
        raise server_error(response, write=write)
    if 300 <= status < 400:
        raise RejectedError.from_response(
            response, f"Personio answered with a redirect (HTTP {status}); check the base URL"
        )
    raise RejectedError.from_response(response, said or f"Personio refused the data (HTTP {status})")


def _data(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise RetryableError.from_response(response, "Personio answered with something else than JSON") from None
    return body.get("data") if isinstance(body, dict) else None


def _value(attribute: Any) -> Any:
    """``{"label", "value", "type"}`` -> its value; a bare value as it is."""
    return attribute.get("value") if isinstance(attribute, dict) else attribute
