"""The connector protocol: what every HRIS connector implements, and the values it takes and returns.

A connector is pure: a ``Hire`` in, a ``RemoteRef`` out, over the ``httpx.Client`` it is given (see ``transport``).
It knows nothing of our database or API. It turns the hire into the vendor's payload (``build_payload``, no I/O),
looks a person up by a stable key (``find_existing``), and creates or updates the record. Every failure is a
``ConnectorError`` (see ``errors``). The class attributes describe the system to the push domain (defaults for a new
connection, how long its reads lag its writes). ``registry`` maps each ``externalSystem`` slug to its class.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

__all__ = [
    "PASSTHROUGH_METHODS",
    "REDACTED",
    "Connector",
    "Hire",
    "PassthroughRefused",
    "PassthroughRequest",
    "PreparedRequest",
    "RemoteRef",
    "parse_credentials",
]

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Hire:
    """What a connector may map; built from core records by ``hris.hire``."""

    candidate_id: str
    application_id: str
    first_name: str
    last_name: str
    email: str | None = None  # the candidate's primary email; sent as the work email unless the mapping says otherwise
    phone: str | None = None
    job_title: str | None = None
    department: str | None = None
    location: str | None = None
    employment_type: str | None = None
    start_date: datetime.date | None = None
    salary_value: decimal.Decimal | None = None
    salary_currency: str | None = None
    salary_period: str | None = None  # "Year", "Month", "Hour"
    custom_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRef:
    """The vendor's record of a hire."""

    remote_id: str
    kind: str = "employee"  # or "pre_hire": a record that becomes an employee later (Workday), with another id
    # The pre-hire an employee was hired from, when the HRIS gives them different ids (Workday's Applicant_ID).
    pre_hire_id: str | None = None
    # The status of the answer that named the record, for the attempt log; not part of the record's identity.
    http_status: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PreparedRequest:
    """The exact request a push would send, for ``hrisPush.preview``: nothing is sent to build it.

    ``url`` is the full URL; ``headers`` are those the connector sets (not httpx's own such as Content-Length), with
    every secret replaced by ``REDACTED`` (``Authorization: Basic [redacted]``); ``body`` is the JSON value sent, or
    the text of a non-JSON body (a SOAP envelope, its password redacted), or None.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: Any = None

    @property
    def path(self) -> str:
        """The URL's path and query, without scheme and host."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


PASSTHROUGH_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class PassthroughRequest:
    """One call a caller sends to the HRIS as it is (``hrisConnection.request``), for what the mapping does not cover.

    ``path`` is relative to the vendor's API base path (``/employees/123?fields=firstName`` for BambooHR, whose base
    is ``.../api/gateway.php/{companyDomain}/v1``); ``connectors.passthrough.api_url`` joins the two and refuses a
    path that would leave the base. ``body`` is a JSON value for a JSON API; for a SOAP API (Workday) it is the XML
    text of the request element, which the connector wraps in the envelope with its WS-Security header.
    """

    method: str  # one of PASSTHROUGH_METHODS
    path: str
    body: Any = None


class PassthroughRefused(ValueError):
    """A passthrough request this connector will not send (nothing was sent); ``field`` is the request's field at
    fault: "path" (it leaves the API base), "method" or "body" (the vendor's API cannot take it); ``message`` is the
    reason, without the field's name ("must stay under the HRIS's API base")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Connector(Protocol):
    """One HRIS system. Built per push attempt with the connection's settings and an HTTP client."""

    system: ClassVar[str]  # the externalSystem slug: "bamboohr", "bob", ...
    display_name: ClassVar[str]  # "BambooHR"
    credentials_model: ClassVar[type[BaseModel]]  # validates a connection's credentials (stored encrypted)
    default_base_url: ClassVar[str]
    rate_limit_default: ClassVar[float]  # requests per second per connection, unless the connection says otherwise
    requires_accepted_offer_default: ClassVar[bool]
    read_lag_seconds: ClassVar[float]  # how long after a write a look-up may still miss it

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, Any],
        field_mapping: Mapping[str, Any],
        settings: Mapping[str, Any],
        http: httpx.Client,
    ) -> None:
        """Never raises for bad credentials: the first call raises AuthError (see ``parse_credentials``)."""
        ...

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        """The vendor payload for this hire; pure. Raises RejectedError, saying what to fix, if data is missing."""
        ...

    def can_find(self, hire: Hire) -> bool:
        """Whether ``find_existing`` has a stable key (the email it searches by) for this hire."""
        ...

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        """The vendor record for this hire by a stable key (email), including inactive and future employees."""
        ...

    def create(self, payload: dict[str, Any]) -> RemoteRef:
        """Create the record; OutcomeUnknownError if the answer was lost after the request was sent."""
        ...

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | RemoteRef | None:
        """Update the record; returns the HTTP status of the vendor's answer, or None if nothing needed sending, or
        the record's new ``RemoteRef`` when the update changed which record it is (a pre-hire hired as an employee)."""
        ...

    def preview(self, hire: Hire, remote_id: str | None = None) -> PreparedRequest | None:
        """The write a push of ``hire`` would send, built by the same code that sends it, without sending anything:
        the create, or with ``remote_id`` (the record a previous push made) the update; None when that update would
        send nothing. Secrets are redacted. Raises RejectedError as ``build_payload`` does, AuthError for credentials
        that cannot be used."""
        ...

    def passthrough(self, request: PassthroughRequest) -> httpx.Response:
        """Send ``request`` under the vendor's API base path with the connection's own credentials, over the client
        given (so the address guard, rate limit and exchange record of a push apply), and return the HRIS's answer,
        read, whatever its status: an answer is the caller's data, not an error. Raises PassthroughRefused, sending
        nothing, for a path outside the API base (``connectors.passthrough.api_url`` checks it) or a method or body
        the vendor's API cannot take; AuthError for credentials that cannot be used; a transport failure as
        ``transport.send`` raises it. JSON APIs can use ``connectors.passthrough.send_json``."""
        ...

    def check(self) -> int:
        """Test the connection: the vendor's cheapest authenticated read (fetching a token first where the vendor
        issues them), changing nothing. Returns the HTTP status of the HRIS's answer; raises the ConnectorError the
        answer amounts to by the connector's own rules (AuthError for refused credentials, RetryableError when
        throttled or unavailable, RejectedError for a wrong base URL or a refused address)."""
        ...


CredentialsT = TypeVar("CredentialsT", bound=BaseModel)


def parse_credentials(
    model: type[CredentialsT], credentials: Mapping[str, Any], vendor: str
) -> tuple[CredentialsT | None, str | None]:
    """The connection's credentials as ``model``, or what is wrong with them (field names only, never values).

    A connector keeps the problem rather than raising: it surfaces as an auth failure on the first call, where the
    push records it like any other refusal.
    """
    try:
        return model.model_validate(dict(credentials)), None
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
        return None, f"{vendor} credentials need a valid {' and '.join(fields) or 'value'}"
