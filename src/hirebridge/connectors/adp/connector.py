"""ADP Workforce Now connector: onboard an applicant (``applicant.onboard`` v2) and find a worker by email.

Wire facts (developers.adp.com: "Making your first API call", "API exceptions", "Introduction to ADP API Open Data
Protocol", the Applicant Onboarding v2 guide and sample payloads):
- mutual TLS on every call, including the token call (see ``auth``); OAuth2 client credentials at
  ``POST https://accounts.adp.com/auth/oauth/v2/token`` -> ``{"access_token", "expires_in": 3600}``; API calls at
  ``https://api.adp.com`` with ``Authorization: Bearer``. A refused token is 401 ``invalid_token``, or 400
  ``invalid_request`` "Validation error" (both documented): the token is fetched again once, then it is an AuthError.
- ``GET /hcm/v2/applicant.onboard/meta`` lists the onboarding templates (``codeList.listItems[].code``); the
  connection's ``settings.onboardingTemplateCode`` picks one, else the first listed is used; cached an hour.
- ``POST /hcm/v2/applicant.onboard`` -> 201 ``_confirmMessage.messages[]`` with the ``applicantID`` and the
  ``AssociateOID`` (our remote id: the worker's id in ``/hr/v2/workers``). Refusals carry ADP's text in
  ``confirmMessage.resourceMessages[].processMessages[].userMessage.messageTxt`` (v03) or
  ``_confirmMessage.messages[].messageText`` (newer APIs); 429 carries Retry-After.
- ``GET /hr/v2/workers?$filter=workers/person/communication/emails/emailUri eq '<email>'`` -> 200 ``{"workers":
  [...]}`` or 204 when nothing matches; in-progress hires are listed. OData ``eq`` compares exactly and ADP does not
  say whether emails are case-insensitive (UNCONFIRMED), so emails are sent in lower case and searched in lower
  case first, then as given.
- ADP accepts a second applicant with the same email, so a create is never retried blind: the push domain looks the
  email up first. The onboarding API has no update of an applicant: a re-push sends nothing (``update`` -> None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hirebridge.connectors.adp.auth import AdpCredentials, client_tls_context, parse_certificate
from hirebridge.connectors.adp.mapping import build_payload, emails_of, with_template
from hirebridge.connectors.base import Hire, PassthroughRequest, PreparedRequest, RemoteRef, parse_credentials
from hirebridge.connectors.errors import (
    AuthError,
    ConnectorError,
    OutcomeUnknownError,
    RejectedError,
    RetryableError,
    body_message,
    clip,
    from_transport_error,
    server_error,
)
from hirebridge.connectors.passthrough import check_path, send_json
from hirebridge.connectors.tokens import MemoryTokenStore, Token, TokenStore, fingerprint
from hirebridge.connectors.transport import client_with_tls, encode_json, prepared_request, request_headers

ONBOARD = "/hcm/v2/applicant.onboard"
TOKEN_PATH = "/auth/oauth/v2/token"  # noqa: S105 - a path
PUBLIC_API_HOST = "api.adp.com"
PUBLIC_TOKEN_BASE = "https://accounts.adp.com"  # noqa: S105 - a URL
TEMPLATE_SECONDS = 3600.0
TEMPLATE_PLACEHOLDER = "<learned from GET /hcm/v2/applicant.onboard/meta when the push is sent>"
_FALLBACK_STORE = MemoryTokenStore()


class AdpSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    onboardingTemplateCode: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^'\s]+$")
    # Where the token call goes; by default ADP's accounts host for api.adp.com, else the connection's base URL.
    tokenBaseUrl: str | None = Field(default=None, min_length=1, max_length=2048, pattern=r"^https://")
    # The CA that issued the server's certificate, when it is not a public one (a simulator, a test PKI). Public.
    serverCaPem: str | None = Field(default=None, min_length=1, max_length=8192)

    @field_validator("serverCaPem")
    @classmethod
    def _ca(cls, value: str | None) -> str | None:
        if value is not None:
            parse_certificate(value)
        return value


class AdpConnector:
    system: ClassVar[str] = "adp"
    display_name: ClassVar[str] = "ADP Workforce Now"
    credentials_model: ClassVar[type[BaseModel]] = AdpCredentials
    settings_model: ClassVar[type[BaseModel]] = AdpSettings
    default_base_url: ClassVar[str] = "https://api.adp.com"
    rate_limit_default: ClassVar[float] = 2.0  # ADP publishes no per-client figure; 429 carries Retry-After
    requires_accepted_offer_default: ClassVar[bool] = True
    read_lag_seconds: ClassVar[float] = 5.0  # ADP documents no lag; a margin for its event processing

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
        self._http = http
        self._tls_http: httpx.Client | None = None
        self._store: TokenStore = _FALLBACK_STORE
        self._credentials, self._problem = parse_credentials(AdpCredentials, credentials, "ADP")
        try:
            self._settings: AdpSettings | None = AdpSettings.model_validate(dict(settings))
        except ValueError:
            self._settings = None

    def use_token_store(self, store: TokenStore) -> None:
        """Share tokens (and the learned template) through ``store`` instead of this process's memory."""
        self._store = store

    # -- the protocol ------------------------------------------------------------------------------------------------

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        return build_payload(hire, self._field_mapping)

    def can_find(self, hire: Hire) -> bool:
        return bool(emails_of(self._payload_or_empty(hire)))

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        for path, email in emails_of(self._payload_or_empty(hire)):
            for value in dict.fromkeys([email.lower(), email]):
                found = self._find(path, value)
                if found is not None:
                    return found
        return None

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        body = with_template(payload, self._template())
        response = self._call("POST", ONBOARD, json_body=body, write=True)
        ids = _confirmed_ids(response)
        remote_id = ids.get("associateoid") or ids.get("applicantid")
        if not remote_id:
            raise OutcomeUnknownError.from_response(
                response, "ADP accepted the applicant but its answer named no AssociateOID; it will be looked up"
            )
        return RemoteRef(remote_id, http_status=response.status_code)

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        # applicant.onboard creates only; changing a worker is another API (worker.* events) not mapped here.
        return None

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        payload = self.build_payload(hire)
        self._usable_credentials()
        if remote_id is not None:
            return None
        settings = self._usable_settings()
        template = settings.onboardingTemplateCode or self._store.get(self._key("template")) or TEMPLATE_PLACEHOLDER
        return prepared_request(
            "POST", self._url(ONBOARD), json_body=with_template(payload, template), auth_scheme="Bearer"
        )

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """Under ADP's API host (``/hr/v2/workers`` is ``GET {base}/hr/v2/workers``), with the client certificate and
        a bearer token; a refused token is replaced once."""
        check_path(request.path)
        token = self._token()
        response = send_json(
            self._client(), request, api_base=self._base_url, headers={"Authorization": f"Bearer {token}"}
        )
        if _token_refused(response):
            token = self._token(stale=token)
            response = send_json(
                self._client(), request, api_base=self._base_url, headers={"Authorization": f"Bearer {token}"}
            )
        return response

    # -- reads -------------------------------------------------------------------------------------------------------

    def check(self) -> int:
        """A token (mutual TLS, client credentials) unless the store has one, then ``GET /hr/v2/workers?$top=1``
        (204 when there are none)."""
        return self._call("GET", "/hr/v2/workers", params={"$top": "1"}, write=False).status_code

    def _payload_or_empty(self, hire: Hire) -> dict[str, Any]:
        try:
            return self.build_payload(hire)
        except RejectedError:
            return {}

    def _find(self, path: str, email: str) -> RemoteRef | None:
        odata = email.replace("'", "''")
        response = self._call(
            "GET", "/hr/v2/workers", params={"$filter": f"{path} eq '{odata}'", "$top": "10"}, write=False
        )
        if response.status_code == 204 or not response.content:
            return None
        try:
            workers = response.json().get("workers")
        except (ValueError, AttributeError):
            raise RetryableError.from_response(
                response, "ADP answered the workers query with something else than JSON"
            ) from None
        for worker in workers if isinstance(workers, list) else []:
            oid = worker.get("associateOID") if isinstance(worker, dict) else None
            if isinstance(oid, str) and oid:
                return RemoteRef(oid, http_status=response.status_code)
        return None

    def _template(self) -> str:
        settings = self._usable_settings()
        if settings.onboardingTemplateCode:
            return settings.onboardingTemplateCode

        def learn() -> Token:
            response = self._call("GET", f"{ONBOARD}/meta", write=False)
            try:
                meta = response.json()["meta"]["/applicantOnboarding/onboardingTemplateCode"]["codeList"]["listItems"]
                code = next(str(item["code"]) for item in meta if isinstance(item, dict) and item.get("code"))
            except (ValueError, KeyError, TypeError, StopIteration):
                raise RejectedError.from_response(
                    response,
                    "ADP's onboarding meta lists no onboarding template; set settings.onboardingTemplateCode",
                ) from None
            return Token(code, TEMPLATE_SECONDS)

        key = self._key("template")
        return self._store.get(key) or self._store.refresh(key, learn)

    # -- tokens and HTTP ---------------------------------------------------------------------------------------------

    def _key(self, what: str) -> str:
        credentials = self._usable_credentials()
        return f"adp:{what}:{fingerprint(credentials.client_id, self._token_url())}"

    def _token_url(self) -> str:
        settings = self._usable_settings()
        if settings.tokenBaseUrl:
            return settings.tokenBaseUrl.rstrip("/") + TOKEN_PATH
        if urlsplit(self._base_url).hostname == PUBLIC_API_HOST:
            return PUBLIC_TOKEN_BASE + TOKEN_PATH
        return self._base_url + TOKEN_PATH

    def _fetch_token(self) -> Token:
        credentials = self._usable_credentials()
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret.get_secret_value(),
        }
        try:
            response = self._client().post(self._token_url(), data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            # Under TLS 1.3 a server that rejects the client certificate closes the connection after the handshake,
            # which looks like any dropped connection; it is retried, and the message says what to check.
            error = from_transport_error(exc, write=False)
            error.message = (
                f"{error.message}; if this persists, check that ADP accepts the certificate in certificatePem"
            )
            error.args = (error.message,)
            raise error from exc
        if response.status_code != 200:
            said = body_message(response)
            if response.status_code in (400, 401, 403):
                raise AuthError.from_response(
                    response, f"ADP refused the token request: {said or response.status_code}"
                )
            raise_for_response(response, write=False)
            raise AuthError.from_response(response, f"ADP answered the token request with HTTP {response.status_code}")
        try:
            data = response.json()
            return Token(str(data["access_token"]), float(data.get("expires_in") or 3600))
        except (ValueError, KeyError, TypeError):
            raise RetryableError.from_response(response, "ADP's token answer had no access_token") from None

    def _token(self, stale: str | None = None) -> str:
        key = self._key("token")
        if stale is None:
            found = self._store.get(key)
            if found is not None:
                return found
        return self._store.refresh(key, self._fetch_token, stale=stale)

    def _client(self) -> httpx.Client:
        if self._tls_http is None:
            settings = self._usable_settings()
            context = client_tls_context(self._usable_credentials(), settings.serverCaPem)
            self._tls_http = client_with_tls(self._http, context)
        return self._tls_http

    def _usable_credentials(self) -> AdpCredentials:
        if self._credentials is None:
            raise AuthError(self._problem or "ADP credentials are missing")
        return self._credentials

    def _usable_settings(self) -> AdpSettings:
        if self._settings is None:
            raise RejectedError("the connection's ADP settings are not valid; update them (see settings errors)")
        return self._settings

    def _url(self, path: str) -> str:
        return f"{self._base_url}{path}"

    def _call(
        self,
        method: str,
        path: str,
        *,
        write: bool,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        token = self._token()
        response = self._send(method, path, token, write=write, json_body=json_body, params=params)
        if _token_refused(response):  # refused before it was applied: fetch a new token once and send again
            token = self._token(stale=token)
            response = self._send(method, path, token, write=write, json_body=json_body, params=params)
            if _token_refused(response):
                raise AuthError.from_response(
                    response, f"ADP refused a fresh access token: {body_message(response) or response.status_code}"
                )
        raise_for_response(response, write=write)
        return response

    def _send(
        self,
        method: str,
        path: str,
        token: str,
        *,
        write: bool,
        json_body: Any,
        params: Mapping[str, str] | None,
    ) -> httpx.Response:
        headers = request_headers({"Authorization": f"Bearer {token}"}, json_body=json_body is not None)
        content = encode_json(json_body) if json_body is not None else None
        try:
            return self._client().request(method, self._url(path), params=params, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise from_transport_error(exc, write=write) from exc
        except httpx.InvalidURL as exc:
            raise RejectedError(f"the connection's base URL is not valid: {exc}") from exc


def _token_refused(response: httpx.Response) -> bool:
    """ADP's answers to a missing, expired or unknown token: 401, or 400 ``invalid_request`` "Validation error"
    (a 400 confirm message is about the data, not the token)."""
    if response.status_code == 401:
        return True
    if response.status_code != 400:
        return False
    try:
        data = response.json()
    except ValueError:
        return False
    if not isinstance(data, dict) or "confirmMessage" in data or "_confirmMessage" in data:
        return False
    return data.get("error") in ("invalid_token", "invalid_request")


def adp_message(response: httpx.Response) -> str | None:
    """ADP's own words in a confirm message (v03 ``processMessages[].userMessage.messageTxt`` or the newer
    ``_confirmMessage.messages[].messageText``), or the OAuth ``error_description``; None if there are none."""
    try:
        data = response.json()
    except ValueError:
        return body_message(response)
    texts: list[str] = []
    confirm = data.get("confirmMessage") if isinstance(data, dict) else None
    if isinstance(confirm, dict):
        for resource in confirm.get("resourceMessages") or []:
            for process in (resource.get("processMessages") or []) if isinstance(resource, dict) else []:
                user = process.get("userMessage") if isinstance(process, dict) else None
                if isinstance(user, dict) and isinstance(user.get("messageTxt"), str):
                    texts.append(user["messageTxt"])
    newer = data.get("_confirmMessage") if isinstance(data, dict) else None
    if isinstance(newer, dict):
        for message in newer.get("messages") or []:
            if isinstance(message, dict) and isinstance(message.get("messageText"), str):
                texts.append(message["messageText"])
    if texts:
        return clip(" ".join(dict.fromkeys(texts)))
    return body_message(response)


def raise_for_response(response: httpx.Response, *, write: bool) -> None:
    """Sort an ADP answer into the error tree, with ADP's own text."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = adp_message(response)
    if status in (401, 403):
        raise AuthError.from_response(response, said or f"ADP refused the credentials or a permission (HTTP {status})")
    if status == 429:
        raise RetryableError.from_response(response, said or "ADP's rate limit was reached (HTTP 429)")
    if status >= 500:
        error: ConnectorError = server_error(response, write=write)
        if said:
            error.message = f"{said} ({error.message})"
            error.args = (error.message,)
        raise error
    if status == 404:
        raise RejectedError.from_response(response, said or "ADP does not know this resource (HTTP 404)")
    if 300 <= status < 400:
        raise RejectedError.from_response(response, f"ADP answered with a redirect (HTTP {status}); check the base URL")
    raise RejectedError.from_response(response, said or f"ADP refused the data (HTTP {status})")


def _confirmed_ids(response: httpx.Response) -> dict[str, str]:
    """``{messageCode lowercased: resourceID}`` of a success confirm message."""
    try:
        data = response.json()
    except ValueError:
        return {}
    confirm = data.get("_confirmMessage") or data.get("confirmMessage") if isinstance(data, dict) else None
    found: dict[str, str] = {}
    for message in (confirm.get("messages") or []) if isinstance(confirm, dict) else []:
        if isinstance(message, dict) and message.get("resourceID") and message.get("messageCode"):
            found[str(message["messageCode"]).lower()] = str(message["resourceID"])
    return found
