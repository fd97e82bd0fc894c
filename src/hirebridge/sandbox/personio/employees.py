"""Employees of the Personio simulator: the create request's checks (JSON ``{"employee": {...}}`` or form fields
``employee[...]``), and the employee object as ``GET /v1/company/employees`` renders it.

Source: personio/api-docs ``personio-personnel-data-api-oa3.yaml`` at 2f3707f (POST/GET /company/employees, GET
/company/employees/attributes); PATCH /company/employees/{id}: see ``update``. Which 422 texts Personio sends is
documented only for the supervisor ("Supervisor with ID 1 not found"); the others are Laravel's validation sentences
(UNCONFIRMED, see docs/simulators.md).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from hirebridge.sandbox.personio.state import CustomAttribute, Employee, PersonioState

GENDERS = ("male", "female", "diverse")
STATUSES = ("onboarding", "active", "leave", "inactive")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")  # the api-docs' hire_date pattern
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COMPANY_ZONE = ZoneInfo("Europe/Berlin")  # the api-docs' dates carry +01:00/+02:00
TEXT_FIELDS = ("email", "first_name", "last_name", "preferred_name", "gender", "position", "status")
LABELS = {
    "id": "ID",
    "first_name": "First name",
    "last_name": "Last name",
    "preferred_name": "Name (preferred)",
    "email": "Email",
    "gender": "Gender",
    "status": "Status",
    "position": "Position",
    "supervisor": "Supervisor",
    "weekly_working_hours": "Weekly hours",
    "hire_date": "Hire date",
    "created_at": "created_at",
    "last_modified_at": "Last modified",
    "subcompany": "Subcompany",
    "office": "Office",
    "department": "Department",
}
NAMED = {
    "subcompany": ("Subcompany", "subcompanies"),
    "office": ("Office", "offices"),
    "department": ("Department", "departments"),
}


class Invalid(Exception):
    """A 422 with Personio's error body."""


def from_form(form: list[tuple[str, str]]) -> dict[str, Any]:
    """``employee[email]=...&employee[custom_attributes][dynamic_1]=...`` as the JSON body's shape."""
    employee: dict[str, Any] = {}
    for key, value in form:
        match = re.fullmatch(r"employee\[([a-z_]+)\](?:\[(dynamic_\d+)\])?", key)
        if match is None:
            continue
        if match.group(2):
            employee.setdefault(match.group(1), {})[match.group(2)] = value
        else:
            employee[match.group(1)] = value
    return {"employee": employee}


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid(f"The {name.replace('_', ' ')} must be a string.")
    if len(value) > 255:
        raise Invalid(f"The {name.replace('_', ' ')} may not be greater than 255 characters.")
    return value.strip()


def _custom(state: PersonioState, raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Invalid("The custom attributes must be an object.")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        attribute = state.attributes.get(key)
        if attribute is None:
            raise Invalid(f"The custom attribute {str(key)[:80]} is not allowed for these API credentials.")
        values[key] = _custom_value(attribute, value)
    return values


def _custom_value(attribute: CustomAttribute, value: Any) -> Any:
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return value
    if not isinstance(value, str) or len(value) > 2000:
        raise Invalid(f"The value of {attribute.key} must be a string.")
    if attribute.type == "list" and value not in attribute.options:
        raise Invalid(f"The selected {attribute.key} is invalid.")
    if attribute.type == "tags" and any(v.strip() not in attribute.options for v in value.split(",")):
        raise Invalid(f"The selected {attribute.key} is invalid.")
    if attribute.type == "date" and not _is_date(value):
        raise Invalid(f"The {attribute.key} does not match the format Y-m-d.")
    return value


def _is_date(value: str) -> bool:
    if not DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def create(state: PersonioState, body: Any) -> Employee:
    """Check a create request and add the employee, or raise Invalid (422)."""
    data = body.get("employee") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise Invalid("The employee field is required.")
    values = {name: _text(data, name) for name in TEXT_FIELDS}
    for name in ("email", "first_name", "last_name"):
        if not values[name]:
            raise Invalid(f"The {name.replace('_', ' ')} field is required.")
    if not EMAIL.match(values["email"]):
        raise Invalid("The email must be a valid email address.")
    if values["gender"] and values["gender"] not in GENDERS:
        raise Invalid("The selected gender is invalid.")
    if values["status"] and values["status"] not in STATUSES:
        raise Invalid("The selected status is invalid.")
    hire_date = _text(data, "hire_date")
    if hire_date and not _is_date(hire_date):
        raise Invalid("The hire date does not match the format Y-m-d.")
    hours = _hours(data.get("weekly_working_hours"))
    custom = _custom(state, data.get("custom_attributes"))
    meta: list[str] = []
    with state.lock():
        supervisor = data.get("supervisor_id")
        if supervisor is not None and not any(str(e.id) == str(supervisor) for e in state.employees):
            raise Invalid(f"Supervisor with ID {str(supervisor)[:20]} not found")
        wanted = values["email"].lower()
        if any(str(e.values["email"]).lower() == wanted for e in state.employees):
            raise Invalid("The email has already been taken.")
        named: dict[str, str | None] = {}
        for name, (kind, attr) in NAMED.items():
            given = _text(data, name)
            known: list[str] = getattr(state, attr)
            if given and given not in known:
                meta.append(f"{kind} '{given[:80]}' does not exist and was ignored")
            named[name] = given if given in known else None
        if not values["status"]:
            values["status"] = "onboarding" if hire_date and date.fromisoformat(hire_date) > date.today() else "active"
        now = datetime.now(COMPANY_ZONE).isoformat(timespec="seconds")
        stored: dict[str, Any] = {
            **values,
            **named,
            "hire_date": hire_date or None,
            "weekly_working_hours": hours,
            "supervisor_id": int(str(supervisor)) if supervisor is not None else None,
            **custom,
        }
        return state.add_employee(stored, meta, now)


def update(state: PersonioState, employee_id: str, body: Any) -> Employee | None:
    """Check an update request (``PATCH /v1/company/employees/{id}``) and change the sent attributes; None for an
    unknown id, Invalid (422) for bad data. Only the attributes sent change; ``email`` is ignored ("It's not possible
    to update the Email field", Personio's reference as mirrored by hub.windmill.dev/scripts/personio/17733)."""
    data = body.get("employee") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise Invalid("The employee field is required.")
    changes: dict[str, Any] = {}
    for name in ("first_name", "last_name", "preferred_name", "gender", "position", "status"):
        if name in data:
            changes[name] = _text(data, name)
    for name in ("first_name", "last_name"):
        if name in changes and not changes[name]:
            raise Invalid(f"The {name.replace('_', ' ')} field is required.")
    if changes.get("gender") and changes["gender"] not in GENDERS:
        raise Invalid("The selected gender is invalid.")
    if changes.get("status") and changes["status"] not in STATUSES:
        raise Invalid("The selected status is invalid.")
    if "hire_date" in data:
        hire_date = _text(data, "hire_date")
        if hire_date and not _is_date(hire_date):
            raise Invalid("The hire date does not match the format Y-m-d.")
        changes["hire_date"] = hire_date or None
    if "weekly_working_hours" in data:
        changes["weekly_working_hours"] = _hours(data.get("weekly_working_hours"))
    changes.update(_custom(state, data.get("custom_attributes")))
    with state.lock():
        found = next((e for e in state.employees if str(e.id) == employee_id), None)
        if found is None:
            return None
        supervisor = data.get("supervisor_id")
        if supervisor is not None:
            if not any(str(e.id) == str(supervisor) for e in state.employees):
                raise Invalid(f"Supervisor with ID {str(supervisor)[:20]} not found")
            changes["supervisor_id"] = int(str(supervisor))
        for name, (_kind, attr) in NAMED.items():
            given = _text(data, name)
            if given and given in getattr(state, attr):
                changes[name] = given
        found.values.update({k: v for k, v in changes.items() if k != "status" or v})
        found.modified_at = datetime.now(COMPANY_ZONE).isoformat(timespec="seconds")
        return found


def _hours(hours: Any) -> Any:
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, (int, float, str))):
        raise Invalid("The weekly working hours must be a number.")
    if isinstance(hours, str):
        try:
            return float(hours)
        except ValueError:
            raise Invalid("The weekly working hours must be a number.") from None
    return hours


def _date_value(value: str | None) -> str | None:
    if not value:
        return None
    day = date.fromisoformat(value)
    return datetime(day.year, day.month, day.day, tzinfo=COMPANY_ZONE).isoformat()


def render(state: PersonioState, employee: Employee, only: list[str] | None = None) -> dict[str, Any]:
    """``{"type": "Employee", "attributes": {key: {label, value, type, universal_id}}}`` as in the api-docs."""
    v = employee.values

    def entry(key: str, value: Any, kind: str = "standard") -> dict[str, Any]:
        return {"label": LABELS[key], "value": value, "type": kind, "universal_id": key}

    attributes: dict[str, Any] = {
        "id": entry("id", employee.id, "integer"),
        **{key: entry(key, v.get(key) or None) for key in ("first_name", "last_name", "preferred_name", "email")},
        "gender": entry("gender", v.get("gender") or None),
        "status": entry("status", v.get("status")),
        "position": entry("position", v.get("position") or None),
        "supervisor": entry(
            "supervisor",
            {"type": "Employee", "attributes": {"id": entry("id", v["supervisor_id"], "integer")}}
            if v.get("supervisor_id")
            else None,
        ),
        "weekly_working_hours": entry(
            "weekly_working_hours", None if v.get("weekly_working_hours") is None else f"{v['weekly_working_hours']:g}"
        ),
        "hire_date": entry("hire_date", _date_value(v.get("hire_date")), "date"),
        "created_at": entry("created_at", employee.created_at, "date"),
        "last_modified_at": entry("last_modified_at", employee.modified_at or employee.created_at, "date"),
    }
    for name, (kind, attr) in NAMED.items():
        value = v.get(name)
        item = None
        if value:
            item = {"type": kind, "attributes": {"id": getattr(state, attr).index(value) + 1, "name": value}}
        attributes[name] = entry(name, item)
    for key, attribute in state.attributes.items():
        kind = attribute.type if attribute.type in ("date", "decimal") else "standard"
        attributes[key] = {"label": attribute.label, "value": v.get(key), "universal_id": None, "type": kind}
    if only:
        attributes = {k: a for k, a in attributes.items() if k == "id" or k in only}
    return {"type": "Employee", "attributes": attributes}


def updated_since(raw: str) -> datetime | None:
    """The ``updated_since`` parameter: ISO 8601 date-time or ``YYYY-MM-DD`` (api-docs)."""
    try:
        moment = datetime.fromisoformat(raw[:40])
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=COMPANY_ZONE)


def attribute_list(state: PersonioState) -> list[dict[str, Any]]:
    """``GET /v1/company/employees/attributes``: the allowed attributes, custom ones included (api-docs example)."""
    standard = [
        {"key": key, "label": label, "type": "standard", "universal_id": key, "options": []}
        for key, label in LABELS.items()
        if key != "id"
    ]
    custom = [
        {"key": a.key, "label": a.label, "type": a.type, "universal_id": None, "options": list(a.options)}
        for a in state.attributes.values()
    ]
    return standard + custom
