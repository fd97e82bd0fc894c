"""A hire as a BambooHR employee payload (flat ``{fieldName: value}``), from BambooHR's documented field names.

Sources: BambooHR "Add Employee" (firstName and lastName required; any writable field by its API name; the Trax
Payroll list names employmentHistoryStatus, payType, payRate, payPer, location, department, hireDate), field types
(dates ``YYYY-MM-DD``, currency ``27000.00``; reads show pay as ``"65000.00 USD"``).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from typing import Any

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.fieldmap import clean_text, hire_values, map_fields

DEFAULT_TARGETS: dict[str, str | None] = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "workEmail",
    "phone": "mobilePhone",
    "job_title": "jobTitle",
    "department": "department",
    "location": "location",
    # Off unless mapped: the status list is company-defined, and an unknown value would refuse the whole hire.
    "employment_type": None,
    "start_date": "hireDate",
    "salary": "payRate",
    "salary_period": "payPer",
    "pay_type": "payType",
}

# Our employment types (Ashby's) as BambooHR's stock employment statuses.
EMPLOYMENT_STATUS = {
    "FullTime": "Full-Time",
    "PartTime": "Part-Time",
    "Contract": "Contractor",
    "Intern": "Intern",
    "Temporary": "Temporary",
}
PAY_PER = {"year": "Year", "month": "Month", "week": "Week", "day": "Day", "hour": "Hour"}
PAY_TYPE = {"Year": "Salary", "Month": "Salary", "Week": "Salary", "Day": "Salary", "Hour": "Hourly"}


def build_payload(hire: Hire, field_mapping: Mapping[str, Any]) -> dict[str, Any]:
    values = _values(hire)
    payload = map_fields(hire, values, DEFAULT_TARGETS, field_mapping)
    missing = [name for name in ("firstName", "lastName") if not payload.get(name)]
    if missing:
        raise RejectedError(
            f"BambooHR requires a first and a last name; missing: {', '.join(missing)} "
            "(the candidate's name is empty, or field_mapping sends it to another field)"
        )
    return payload


def _values(hire: Hire) -> dict[str, Any]:
    per = PAY_PER.get((hire.salary_period or "Year").strip().lower())
    if hire.salary_value is not None and per is None:
        raise RejectedError(f"salary period {hire.salary_period!r} is not one of Year, Month, Week, Day, Hour")
    return hire_values(hire) | {
        "employment_type": EMPLOYMENT_STATUS.get(hire.employment_type or "", clean_text(hire.employment_type)),
        "salary": _pay_rate(hire.salary_value, hire.salary_currency),
        "salary_period": per if hire.salary_value is not None else None,
        "pay_type": PAY_TYPE[per] if hire.salary_value is not None and per else None,
    }


def _pay_rate(value: decimal.Decimal | None, currency: str | None) -> str | None:
    if value is None:
        return None
    if value < 0:
        raise RejectedError("the offer's salary is negative")
    amount = f"{value.quantize(decimal.Decimal('0.01')):f}"
    code = (currency or "").strip().upper()
    return f"{amount} {code}" if code else amount
