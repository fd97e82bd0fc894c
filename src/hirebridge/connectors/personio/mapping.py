"""A hire as a Personio employee: ``{"employee": {...}}`` for ``POST /v1/company/employees``.

developers.personio.de "Create an employee" (v1): ``email``, ``first_name``, ``last_name`` required; ``gender``,
``position``, ``subcompany``, ``department``, ``office``, ``hire_date``, ``weekly_working_hours``, ``status``,
``supervisor_id`` and ``custom_attributes`` (``{"dynamic_<uid>": value}``, the attributes the API credentials may
write) optional. A field mapping target ``dynamic_<uid>`` goes into ``custom_attributes``; any other target is a
standard attribute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.fieldmap import hire_values, map_fields

CUSTOM = re.compile(r"^dynamic_\d{1,18}$")
DEFAULT_TARGETS: dict[str, str | None] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "job_title": "position",
    "department": "department",
    "location": "office",
    "start_date": "hire_date",
    # No standard attribute: sent only when mapped (to a dynamic_<uid> custom attribute, say).
    "phone": None,
    "employment_type": None,
    "salary": None,
    "salary_period": None,
    "pay_type": None,
}


def build_payload(hire: Hire, field_mapping: Mapping[str, Any]) -> dict[str, Any]:
    values = hire_values(hire)
    flat = map_fields(hire, values, DEFAULT_TARGETS, field_mapping)
    problems = []
    if not flat.get("first_name") or not flat.get("last_name"):
        problems.append("a first and a last name (the candidate's name is incomplete)")
    if not flat.get("email"):
        problems.append("an email (the candidate has none)")
    if problems:
        raise RejectedError("Personio requires " + "; ".join(problems))
    employee: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for target, value in flat.items():
        if target.startswith("dynamic_"):
            if not CUSTOM.match(target):
                raise RejectedError(
                    f"field_mapping target {target!r} is not a Personio custom attribute (dynamic_<uid>)"
                )
            custom[target] = value
        else:
            employee[target] = value
    if custom:
        employee["custom_attributes"] = custom
    return {"employee": employee}
