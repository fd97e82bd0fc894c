"""The connector protocol every HRIS implements, the hire it maps, and the field-mapping rules they share.

A connector turns a ``Hire`` into the vendor's payload (``build_payload``, pure), looks a person up by a stable key
(``find_existing``), and creates or updates the record. Every failure is a ``ConnectorError`` (see ``errors``).

Field mapping (per connection, ``field_mapping``): ``{our field name: vendor field id, or null to drop it}``.
Our field names are ``HIRE_FIELDS``; any other key names a key of ``hire.custom_fields``, which is sent only when
mapped. A vendor field id is the vendor's own (BambooHR: ``workEmail``; Bob: a dotted path such as
``home.mobilePhone``).
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from hirebridge.hris.errors import AuthFailed, ConnectorError, OutcomeUnknown, Rejected, Retryable

__all__ = [
    "HIRE_FIELDS",
    "AuthFailed",
    "Connector",
    "ConnectorError",
    "Hire",
    "OutcomeUnknown",
    "Rejected",
    "RemoteRef",
    "Retryable",
    "map_fields",
]


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
    remote_id: str
    kind: str = "employee"
    # The status of the answer that named the record, for the attempt log; not part of the record's identity.
    http_status: int | None = field(default=None, compare=False)


class Connector(Protocol):
    system: ClassVar[str]  # "bamboohr" | "bob"
    read_lag_seconds: ClassVar[float]  # how long after a write a look-up may still miss it

    def build_payload(self, hire: Hire) -> dict[str, Any]:
        """The vendor payload for this hire; pure. Raises Rejected, saying what to fix, if required data is missing."""
        ...

    def can_find(self, hire: Hire) -> bool:
        """Whether ``find_existing`` has a stable key (the email it searches by) for this hire."""
        ...

    def find_existing(self, hire: Hire) -> RemoteRef | None:
        """The vendor record for this hire by a stable key (email), including inactive and future employees."""
        ...

    def create(self, payload: dict[str, Any]) -> RemoteRef: ...

    def update(self, remote_id: str, payload: dict[str, Any]) -> int | None:
        """Update the record; returns the HTTP status of the vendor's answer, or None if nothing needed sending."""
        ...


HIRE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "department",
    "location",
    "employment_type",
    "start_date",
    "salary",
    "salary_period",
    "pay_type",
)

_VENDOR_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,199}$")
_MAX_MAPPING_ENTRIES = 200


def map_fields(
    hire: Hire,
    values: Mapping[str, Any],
    defaults: Mapping[str, str | None],
    field_mapping: Mapping[str, Any],
) -> dict[str, Any]:
    """``{vendor field id: value}`` for this hire.

    ``values`` holds our fields already formatted for the vendor; ``defaults`` says where each goes unless
    ``field_mapping`` overrides it. Empty values are left out, so an update never blanks a field in the HRIS.
    """
    overrides = _checked_mapping(field_mapping)
    sources: dict[str, str] = {}
    mapped: dict[str, Any] = {}
    names = list(dict.fromkeys([*values, *overrides]))
    for name in names:
        target = overrides[name] if name in overrides else defaults.get(name)
        if target is None:
            continue
        value = values[name] if name in values else _custom_value(hire, name)
        if value is None or value == "":
            continue
        if target in sources:
            raise Rejected(
                f"field_mapping sends both {sources[target]!r} and {name!r} to the HRIS field {target!r}; "
                "map one of them elsewhere or to null"
            )
        sources[target] = name
        mapped[target] = value
    return mapped


def _checked_mapping(field_mapping: Mapping[str, Any]) -> dict[str, str | None]:
    if not isinstance(field_mapping, Mapping):
        raise Rejected("field_mapping must be an object of {our field: HRIS field id or null}")
    if len(field_mapping) > _MAX_MAPPING_ENTRIES:
        raise Rejected(f"field_mapping has more than {_MAX_MAPPING_ENTRIES} entries")
    checked: dict[str, str | None] = {}
    for name, target in field_mapping.items():
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            raise Rejected("field_mapping keys must be field names of 1-100 characters")
        if target is not None and not (isinstance(target, str) and _VENDOR_FIELD.match(target)):
            raise Rejected(f"field_mapping[{name!r}] must be an HRIS field id (letters, digits, '_', '-', '.') or null")
        checked[name] = target
    return checked


def _custom_value(hire: Hire, name: str) -> Any:
    if name in HIRE_FIELDS:
        return None
    value = hire.custom_fields.get(name)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise Rejected(f"custom field {name!r} holds a {type(value).__name__}; only text, numbers and dates can be sent")


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
