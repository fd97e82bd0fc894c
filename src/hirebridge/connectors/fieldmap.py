"""Field mapping shared by every connector: our hire fields to the vendor's field ids, per connection.

A connection's ``field_mapping`` is ``{our field name: vendor field id, or null to drop it}``. Our field names are
``HIRE_FIELDS``; any other key names a key of ``hire.custom_fields``, which is sent only when mapped. A vendor field
id is the vendor's own (BambooHR: ``workEmail``; Bob: a dotted path such as ``home.mobilePhone``).
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Mapping
from typing import Any

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError

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


def clean_text(value: str | None) -> str | None:
    """A text field as sent: surrounding blanks removed, and an empty one as no value."""
    if value is None:
        return None
    return value.strip() or None


def hire_values(hire: Hire) -> dict[str, Any]:
    """Our fields of a hire, formatted as most HRIS APIs take them (ISO dates, the salary with two decimals); a
    connector replaces the ones its vendor wants otherwise, and its default targets say which are sent."""
    paid = hire.salary_value is not None
    return {
        "first_name": clean_text(hire.first_name),
        "last_name": clean_text(hire.last_name),
        "email": clean_text(hire.email),
        "phone": clean_text(hire.phone),
        "job_title": clean_text(hire.job_title),
        "department": clean_text(hire.department),
        "location": clean_text(hire.location),
        "employment_type": clean_text(hire.employment_type),
        "start_date": hire.start_date.isoformat() if hire.start_date else None,
        "salary": f"{hire.salary_value:.2f}" if paid else None,
        "salary_period": clean_text(hire.salary_period) if paid else None,
    }


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
            raise RejectedError(
                f"field_mapping sends both {sources[target]!r} and {name!r} to the HRIS field {target!r}; "
                "map one of them elsewhere or to null"
            )
        sources[target] = name
        mapped[target] = value
    return mapped


def _checked_mapping(field_mapping: Mapping[str, Any]) -> dict[str, str | None]:
    if not isinstance(field_mapping, Mapping):
        raise RejectedError("field_mapping must be an object of {our field: HRIS field id or null}")
    if len(field_mapping) > _MAX_MAPPING_ENTRIES:
        raise RejectedError(f"field_mapping has more than {_MAX_MAPPING_ENTRIES} entries")
    checked: dict[str, str | None] = {}
    for name, target in field_mapping.items():
        if not isinstance(name, str) or not 0 < len(name) <= 100:
            raise RejectedError("field_mapping keys must be field names of 1-100 characters")
        if target is not None and not (isinstance(target, str) and _VENDOR_FIELD.match(target)):
            raise RejectedError(
                f"field_mapping[{name!r}] must be an HRIS field id (letters, digits, '_', '-', '.') or null"
            )
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
    raise RejectedError(
        f"custom field {name!r} holds a {type(value).__name__}; only text, numbers and dates can be sent"
    )
