"""A hire as a Bob employee payload: nested JSON built from dotted field ids (``work.site`` -> ``{"work": {"site"}}``).

Sources: apidocs.hibob.com "Create an employee" / ``post_people`` (required: email, firstName, surname, work.site,
work.startDate; work-table columns sent nested under ``work``; list values such as site, department and title must
already exist in Bob) and "Update employee data" (``home.mobilePhone``; fields whose path starts with ``root`` are
sent by their bare name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.fieldmap import hire_values, map_fields

DEFAULT_TARGETS: dict[str, str | None] = {
    "first_name": "firstName",
    "last_name": "surname",
    "email": "email",
    "phone": "home.mobilePhone",
    "job_title": "work.title",
    "department": "work.department",
    "location": "work.site",
    "start_date": "work.startDate",
    # Employment type and salary live in Bob's history tables (employment, salaries), not on the create call.
    "employment_type": None,
    "salary": None,
    "salary_period": None,
    "pay_type": None,
}

# Sent through their own endpoints, not ``PUT /v1/people/{id}``: the work table (and the start date, which has
# ``POST /employees/{id}/start-date``) and the email (``PUT /v1/people/{id}/email``).
NOT_UPDATABLE = ("work", "email")


def build_payload(hire: Hire, field_mapping: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    values = hire_values(hire)  # salary goes only where mapped: Bob keeps pay in its salaries table
    flat = map_fields(hire, values, DEFAULT_TARGETS, field_mapping)
    if not flat.get("work.site"):
        default_site = settings.get("defaultSite")
        if isinstance(default_site, str) and default_site.strip():
            flat["work.site"] = default_site.strip()
    _require(flat)
    return nest(flat)


def _require(flat: Mapping[str, Any]) -> None:
    problems = []
    if not flat.get("firstName") or not flat.get("surname"):
        problems.append("a first name and a surname (the candidate's name is incomplete)")
    if not flat.get("email"):
        problems.append("an email (the candidate has none)")
    if not flat.get("work.site"):
        problems.append("a site (work.site): give the job a location or set the connection's settings.defaultSite")
    if not flat.get("work.startDate"):
        problems.append("a start date (work.startDate): set the offer's start date")
    if problems:
        raise RejectedError("Bob requires " + "; ".join(problems))


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"work.site": "x", "firstName": "y"}`` -> ``{"work": {"site": "x"}, "firstName": "y"}``."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        parts = path.split(".")
        if parts[0] == "root" and len(parts) > 1:
            parts = parts[1:]
        node = nested
        for depth, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise RejectedError(
                    f"field_mapping puts {path!r} inside {'.'.join(parts[: depth + 1])!r}, which is a value"
                )
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise RejectedError(f"field_mapping gives {path!r} a value, but other mapped fields sit inside it")
        node[parts[-1]] = value
    return nested


def update_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a create payload that ``PUT /v1/people/{id}`` accepts."""
    return {key: value for key, value in payload.items() if key not in NOT_UPDATABLE}
