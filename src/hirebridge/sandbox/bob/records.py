"""Employee records of the Bob simulator: validate create/update bodies, build the stored employee, and shape it
for the read endpoints (``fields`` selection, slash-notation keys, ``humanReadable``).

Stored employees are machine-readable, as Bob's reads are by default: ``work.department`` and ``work.title`` hold
the list item's id as a string; ``work.site`` holds the site's name beside a numeric ``work.siteId``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hirebridge.sandbox.bob.state import BobState, Employee

COMPANY_ID = "637611"
ROOT_FIELDS = ("firstName", "surname", "email", "middleName")
REQUIRED = ("email", "firstName", "surname", "work.site", "work.startDate")
LIST_FIELDS = {("work", "department"): "department", ("work", "title"): "title"}  # stored as the item id
MAX_TEXT = 255
MAX_FIELDS = 400
FILTER_PATHS = ("root.id", "root.email")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BobError(Exception):
    """A refusal, answered as ``{"key": ..., "error": ...}`` with ``status``."""

    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(message)
        self.status, self.key, self.message = status, key, message

    def body(self) -> dict[str, str]:
        return {"key": self.key, "error": self.message}


def _bad(key: str, message: str) -> BobError:
    return BobError(400, key, message)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


# writes -----------------------------------------------------------------------------------------------------------


def _optional_text(path: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _bad("invalid_field", f"Field {path} must be a string of at most {MAX_TEXT} characters")
    return value


def _required_text(path: str, value: Any) -> str:
    text = _optional_text(path, value)
    if text is None:
        raise _bad("missing_field", f"Field {path} is required")
    return text


def _check_shape(body: dict[str, Any]) -> None:
    for key, value in body.items():
        if "." in key:
            raise _bad("invalid_field", f'Field {key} must be sent nested (e.g. {{"work": {{...}}}}), not dotted')
        if key in ROOT_FIELDS or key == "id":
            continue
        if not isinstance(value, dict):
            raise _bad("invalid_field", f"Unknown field root.{key}")
        if key == "internal":
            raise _bad("invalid_field", "Fields of category internal are read-only")


def _normalise_work(state: BobState, work: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate work fields and resolve list values (by name or id) to their stored form."""
    work = dict(work)
    if creating or "startDate" in work:
        start = _required_text("work.startDate", work.get("startDate"))
        if not _DATE.match(start):
            raise _bad("invalid_field", f"Field work.startDate must be a date as YYYY-MM-DD, got '{start}'")
        try:
            dt.date.fromisoformat(start)
        except ValueError:
            raise _bad("invalid_field", f"Field work.startDate is not a valid date: '{start}'") from None
    if creating or "site" in work:
        site_value = _required_text("work.site", work.get("site"))
        site = state.find_item("site", site_value)
        if site is None:
            raise _bad("invalid_list_value", f"Value '{site_value}' is not in the list 'site' (field work.site)")
        work["site"], work["siteId"] = site.name, site.id
    for (_, name), list_name in LIST_FIELDS.items():
        if work.get(name) is None:
            continue
        item = state.find_item(list_name, work[name])
        if item is None:
            raise _bad(
                "invalid_list_value", f"Value '{work[name]}' is not in the list '{list_name}' (field work.{name})"
            )
        work[name] = str(item.id)
    return work


def build_employee(state: BobState, body: Any) -> Employee:
    """A new employee from a create body, or BobError(400) naming the first problem."""
    if not isinstance(body, dict):
        raise _bad("invalid_body", "Request body must be a JSON object")
    work = body.get("work")
    if work is not None and not isinstance(work, dict):
        raise _bad("invalid_field", "Field work must be an object")
    missing = [
        path for path in REQUIRED if (body.get(path) if "." not in path else (work or {}).get(path[5:])) in (None, "")
    ]
    if missing:
        raise _bad("missing_field", f"Missing required field(s): {', '.join(missing)}")
    _check_shape(body)
    first = _required_text("firstName", body["firstName"])
    surname = _required_text("surname", body["surname"])
    email = _required_text("email", body["email"])
    if not _EMAIL.match(email):
        raise _bad("invalid_field", f"Field email is not a valid email address: '{email}'")
    middle = _optional_text("middleName", body.get("middleName"))
    employee: Employee = {
        "id": state.new_employee_id(),
        "companyId": COMPANY_ID,
        "firstName": first,
        "surname": surname,
        "middleName": middle,
        "email": email,
        "displayName": f"{first} {surname}",
        "fullName": f"{first} {surname}",
        "creationDate": today().isoformat(),
        "avatarUrl": None,
        "about": {},
        "personal": {},
        "employment": {},
    }
    for key, value in body.items():
        if isinstance(value, dict) and key != "work":
            employee[key] = dict(value)
    employee["work"] = _normalise_work(state, work or {}, creating=True)
    return employee


def apply_update(state: BobState, employee: Employee, body: Any) -> Employee:
    """Merge a partial update into an employee (PUT behaves like PATCH); BobError(400) on a bad value."""
    if not isinstance(body, dict) or not body:
        raise _bad("invalid_body", "Request body must be a non-empty JSON object")
    _check_shape(body)
    updated = dict(employee)
    for key in ROOT_FIELDS:
        if key in body:
            text = _optional_text(key, body[key]) if key == "middleName" else _required_text(key, body[key])
            updated[key] = text
    if "email" in body and not _EMAIL.match(updated["email"]):
        raise _bad("invalid_field", f"Field email is not a valid email address: '{updated['email']}'")
    if "firstName" in body or "surname" in body:
        updated["displayName"] = updated["fullName"] = f"{updated['firstName']} {updated['surname']}"
    for key, value in body.items():
        if isinstance(value, dict) and key != "work":
            updated[key] = {**updated.get(key, {}), **value}
    if isinstance(body.get("work"), dict):
        updated["work"] = {**employee.get("work", {}), **_normalise_work(state, body["work"], creating=False)}
    return updated


# reads ------------------------------------------------------------------------------------------------------------


def with_status(employee: Employee) -> Employee:
    """Add ``internal``: an employee whose start date is still ahead is a "hired" one, Inactive until it comes."""
    start = employee.get("work", {}).get("startDate")
    hired = isinstance(start, str) and start > today().isoformat()
    return {
        **employee,
        "internal": {"status": "Inactive" if hired else "Active", "lifecycleStatus": "hired" if hired else "employed"},
    }


def parse_read_options(body: dict[str, Any]) -> tuple[list[str] | None, str | None]:
    fields = body.get("fields")
    if fields is not None:
        if not isinstance(fields, list) or not all(isinstance(f, str) and 0 < len(f) <= MAX_TEXT for f in fields):
            raise _bad("invalid_fields", "fields must be an array of field ids")
        if len(fields) > MAX_FIELDS:
            raise _bad("invalid_fields", f"fields may hold at most {MAX_FIELDS} field ids, got {len(fields)}")
    human = body.get("humanReadable")
    if human is not None and human not in ("APPEND", "REPLACE"):
        raise _bad("invalid_human_readable", "humanReadable must be APPEND or REPLACE")
    return fields, human


def parse_filter(body: dict[str, Any]) -> tuple[str, set[str]] | None:
    """The one filter of a search body: (field path, values), or None when the key is absent."""
    if "filters" not in body:
        return None
    filters = body["filters"]
    if not isinstance(filters, list) or not filters:
        raise _bad("invalid_filters", "filters must be a non-empty array; omit it to search without a filter")
    if len(filters) > 1:
        raise _bad("invalid_filters", f"At most one filter is supported, got {len(filters)}")
    spec = filters[0]
    if not isinstance(spec, dict):
        raise _bad("invalid_filters", "A filter must be an object with fieldPath, operator and values")
    if spec.get("fieldPath") not in FILTER_PATHS:
        raise _bad("invalid_filters", f"Filter fieldPath must be one of {', '.join(FILTER_PATHS)}")
    if spec.get("operator") != "equals":
        raise _bad("invalid_filters", "Filter operator must be 'equals'")
    values = spec.get("values")
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise _bad("invalid_filters", "Filter values must be a non-empty array of strings")
    return spec["fieldPath"], set(values)


def matches(employee: Employee, flt: tuple[str, set[str]] | None) -> bool:
    if flt is None:
        return True
    path, values = flt
    if path == "root.id":
        return employee["id"] in values
    return employee["email"].lower() in {v.lower() for v in values}


def _leaves(employee: Employee, fields: list[str] | None) -> list[tuple[str, str, Any]]:
    """(category, field, value) of each selected field present on the employee; unknown ids are left out."""
    if fields is None:
        out = [("root", k, v) for k, v in employee.items() if not isinstance(v, dict)]
        for category in ("about", "employment", "work"):
            out += [(category, k, v) for k, v in employee.get(category, {}).items()]
        return out
    out = []
    for field_id in fields:
        category, _, name = field_id.partition(".")
        holder = employee if category == "root" else employee.get(category)
        if name and isinstance(holder, dict) and name in holder and not isinstance(holder[name], dict):
            out.append((category, name, holder[name]))
    return out


def _human(state: BobState, category: str, name: str, value: Any) -> Any:
    list_name = LIST_FIELDS.get((category, name))
    if list_name is not None and value is not None:
        return state.item_name(list_name, value) or value
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    return value


def shape(state: BobState, employee: Employee, fields: list[str] | None, human: str | None) -> dict[str, Any]:
    """One employee as search and read answer it: nested categories plus ``/category/field: {"value": ...}``."""
    out: dict[str, Any] = {"id": employee["id"]}
    readable: dict[str, Any] = {}
    for category, name, value in _leaves(with_status(employee), fields):
        shown = _human(state, category, name, value) if human == "REPLACE" else value
        target = out if category == "root" else out.setdefault(category, {})
        target[name] = shown
        out[f"/{category}/{name}"] = {"value": shown}
        if human == "APPEND" and value is not None:
            place = readable if category == "root" else readable.setdefault(category, {})
            place[name] = _human(state, category, name, value)
    if human == "APPEND":
        out["humanReadable"] = readable
    return out
