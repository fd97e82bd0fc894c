"""The BambooHR simulator's field catalogue and the parsing of its request bodies (JSON, or XML ``<field id>``).

Field names, types and labels follow BambooHR's field list (bamboohr.com/api/documentation/employees.php, "List of
Field Names"; PyBambooHR's copy of it). Only these names are known to the simulated account: a body that names any
other field is refused with 406 ("The request contains references to non-existent fields", api-details).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

MAX_BODY_BYTES = 256 * 1024
MAX_FIELDS_PER_REQUEST = 400  # docs: 400-field limit on Get Employee and on custom reports (past-changes-to-the-api)
MAX_VALUE_CHARS = 2000


class BambooError(Exception):
    """A refusal: the HTTP status and the text for the ``X-BambooHR-Error-Message`` header."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# Writable fields: id -> (type, label).
WRITABLE: dict[str, tuple[str, str]] = {
    "firstName": ("text", "First Name"),
    "lastName": ("text", "Last Name"),
    "middleName": ("text", "Middle Name"),
    "preferredName": ("text", "Preferred Name"),
    "nickname": ("text", "Nickname"),
    "workEmail": ("email", "Work Email"),
    "homeEmail": ("email", "Home Email"),
    "workPhone": ("phone", "Work Phone"),
    "workPhoneExtension": ("text", "Work Ext."),
    "mobilePhone": ("phone", "Mobile Phone"),
    "homePhone": ("phone", "Home Phone"),
    "hireDate": ("date", "Hire Date"),
    "dateOfBirth": ("date", "Birth Date"),
    "terminationDate": ("date", "Termination Date"),
    "jobTitle": ("list", "Job Title"),
    "department": ("list", "Department"),
    "division": ("list", "Division"),
    "location": ("list", "Location"),
    "employeeNumber": ("employee_number", "Employee #"),
    "employmentHistoryStatus": ("list", "Employment Status"),
    "status": ("status", "Status"),
    "payRate": ("currency", "Pay Rate"),
    "payType": ("pay_type", "Pay Type"),
    "payPer": ("list", "Pay Per"),
    "paySchedule": ("list", "Pay Schedule"),
    "overtimeRate": ("currency", "Overtime Rate"),
    "exempt": ("list", "Overtime Status"),
    "gender": ("gender", "Gender"),
    "maritalStatus": ("list", "Marital Status"),
    "ethnicity": ("list", "Ethnicity"),
    "eeo": ("list", "EEO Job Category"),
    "address1": ("text", "Address Line 1"),
    "address2": ("text", "Address Line 2"),
    "city": ("text", "City"),
    "state": ("state", "State"),
    "zipcode": ("text", "Zip Code"),
    "country": ("country", "Country"),
    "ssn": ("ssn", "SSN"),
    "sin": ("sin", "SIN"),
    "ein": ("text", "EIN"),
}

# Read-only fields the simulator can answer, computed from the stored ones.
READ_ONLY: dict[str, tuple[str, str]] = {
    "id": ("int", "EEID"),
    "displayName": ("text", "Display name"),
    "fullName1": ("text", "First Name Last Name"),
    "fullName2": ("text", "Last Name, First Name"),
    "bestEmail": ("email", "Best Email"),
    "lastChanged": ("timestamp", "Last Changed"),
}

# Docs (create-employee, update-employee): photo keys are silently ignored, the write still succeeds.
IGNORED = frozenset({"photo", "photoUrl"})
REQUIRED = ("firstName", "lastName")
DATE_FIELDS = frozenset(name for name, (kind, _) in WRITABLE.items() if kind == "date")
EMAIL_FIELDS = frozenset(name for name, (kind, _) in WRITABLE.items() if kind == "email")
STATUSES = ("Active", "Inactive")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# A field value as written: a string, or None to clear the field on update.
Values = dict[str, str | None]


def field_meta(field_id: str) -> dict[str, str] | None:
    known = WRITABLE.get(field_id) or READ_ONLY.get(field_id)
    if known is None:
        return None
    return {"id": field_id, "type": known[0], "name": known[1]}


def is_json(content_type: str | None, *, exact: bool) -> bool:
    """Whether a body is read as JSON. ``exact``: only the bare ``application/json`` counts (custom reports)."""
    raw = (content_type or "").strip().lower()
    if exact:
        return raw == "application/json"
    return raw.split(";", 1)[0].strip() == "application/json"


def _parse_xml(raw: bytes) -> ET.Element:
    lowered = raw.lower()
    if b"<!doctype" in lowered or b"<!entity" in lowered:
        raise BambooError(400, "Malformed XML")
    try:
        return ET.fromstring(raw)  # noqa: S314 - size-bounded, and DOCTYPE/ENTITY were refused above
    except ET.ParseError:
        raise BambooError(400, "Malformed XML") from None


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BambooError(400, "Malformed JSON") from None


def _check_size(raw: bytes) -> None:
    if len(raw) > MAX_BODY_BYTES:
        raise BambooError(400, f"Request body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise BambooError(400, "Request body is empty: expected a JSON object or an <employee> XML document")


def _scalar(field_id: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return value
    raise BambooError(409, f"Invalid value for field {field_id}: expected a string, number, boolean or null")


def parse_employee_body(raw: bytes, content_type: str | None) -> Values:
    """The field values of a create or update body: a JSON object, or ``<employee><field id="..">``."""
    _check_size(raw)
    values: Values = {}
    if is_json(content_type, exact=False):
        body = _parse_json(raw)
        if not isinstance(body, dict):
            raise BambooError(400, "The JSON body must be an object of field names and values")
        for key, value in body.items():
            values[str(key)] = _scalar(str(key), value)
    else:
        root = _parse_xml(raw)
        if root.tag != "employee":
            raise BambooError(400, f"Expected an <employee> document, got <{root.tag[:40]}>")
        for child in root:
            field_id = child.get("id")
            if child.tag != "field" or not field_id:
                raise BambooError(400, 'Every child of <employee> must be <field id="...">')
            values[field_id] = (child.text or "").strip()
    if len(values) > MAX_FIELDS_PER_REQUEST:
        raise BambooError(400, f"At most {MAX_FIELDS_PER_REQUEST} fields may be sent at once")
    return values


def validate(values: Values, *, creating: bool) -> Values:
    """Refuse unknown fields (406), bad values (409) and missing names (400); drop ignored and empty-on-create keys."""
    unknown = sorted(k for k in values if k not in WRITABLE and k not in IGNORED)
    if unknown:
        names = ", ".join(k[:60] for k in unknown[:5])
        raise BambooError(406, f"Nonexistent or read-only field(s): {names}")
    clean: Values = {}
    for field_id, value in values.items():
        if field_id in IGNORED:
            continue
        text = value.strip() if value is not None else None
        if not text:
            if not creating:
                clean[field_id] = None  # an empty value clears the field on update
            continue
        clean[field_id] = _checked(field_id, text)
    for required in REQUIRED:
        missing = clean.get(required) is None if creating else (required in clean and clean[required] is None)
        if missing:
            raise BambooError(400, f"Missing required field: {required}")
    return clean


def _checked(field_id: str, text: str) -> str:
    if len(text) > MAX_VALUE_CHARS:
        raise BambooError(409, f"Invalid value for field {field_id}: longer than {MAX_VALUE_CHARS} characters")
    if field_id in DATE_FIELDS:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise BambooError(409, f"Invalid value for field {field_id}: expected a date as YYYY-MM-DD") from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise BambooError(409, f"Invalid value for field {field_id}: expected a date as YYYY-MM-DD")
    elif field_id in EMAIL_FIELDS and not _EMAIL.match(text):
        raise BambooError(409, f"Invalid value for field {field_id}: not an email address")
    elif field_id == "status" and text not in STATUSES:
        raise BambooError(409, "Invalid value for field status: expected Active or Inactive")
    return text


@dataclass(frozen=True)
class ReportRequest:
    title: str
    fields: list[str]
    employee_ids: set[str] | None
    last_changed_since: dt.datetime | None


def _since(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BambooError(400, "filters.lastChanged.value must be an ISO 8601 date-time")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise BambooError(400, "filters.lastChanged.value must be an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _yes_no(value: Any, name: str) -> None:
    """``filterDuplicates`` and ``includeNull`` take ``yes`` or ``no`` [openapi RequestCustomReport]."""
    if value is not None and (not isinstance(value, str) or value.strip() not in ("yes", "no")):
        raise BambooError(400, f"{name} must be yes or no")


def parse_report_body(raw: bytes, content_type: str | None) -> ReportRequest:
    """A custom report request: JSON only under exactly ``application/json``, otherwise a ``<report>`` document."""
    _check_size(raw)
    if is_json(content_type, exact=True):
        body = _parse_json(raw)
        if not isinstance(body, dict):
            raise BambooError(400, "The JSON body must be an object with title and fields")
        fields, title, filters = body.get("fields"), body.get("title", ""), body.get("filters") or {}
        if not isinstance(filters, dict):
            raise BambooError(400, "filters must be an object")
        last_changed = filters.get("lastChanged") or {}
        _yes_no(body.get("filterDuplicates"), "filterDuplicates")
        if isinstance(last_changed, dict):
            _yes_no(last_changed.get("includeNull"), "filters.lastChanged.includeNull")
        ids = filters.get("employeeIds")
        if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, int | str) for i in ids)):
            raise BambooError(400, "filters.employeeIds must be a list of employee ids")
        since = _since(last_changed.get("value") if isinstance(last_changed, dict) else last_changed)
        employee_ids = {str(i) for i in ids} if ids is not None else None
    else:
        root = _parse_xml(raw)
        if root.tag != "report":
            raise BambooError(400, f"Expected a <report> document, got <{root.tag[:40]}>")
        title = (root.findtext("title") or "").strip()
        fields = [f.get("id", "") for f in root.findall("./fields/field")]
        since = _since((root.findtext("./filters/lastChanged") or "").strip())
        _yes_no(root.findtext("filterDuplicates"), "filterDuplicates")
        ids_node = root.find("./filters/employeeIds")
        employee_ids = None
        if ids_node is not None:
            employee_ids = {(node.text or "").strip() for node in ids_node.findall("employeeId")}
            if not all(i.isdigit() for i in employee_ids):
                raise BambooError(400, "filters.employeeIds must hold integer employee ids")
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields):
        raise BambooError(400, "fields must be a non-empty list of field names")
    if len(fields) > MAX_FIELDS_PER_REQUEST:
        raise BambooError(400, f"At most {MAX_FIELDS_PER_REQUEST} fields may be requested")
    if not isinstance(title, str):
        raise BambooError(400, "title must be a string")
    return ReportRequest(title[:255], fields, employee_ids, since)
