"""A hire to push, with every field set; tests change what they need with ``dataclasses.replace``."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from hirebridge.connectors.base import Hire


def a_hire(**changes: Any) -> Hire:
    values: dict[str, Any] = {
        "candidate_id": str(uuid.uuid4()),
        "application_id": str(uuid.uuid4()),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"ada.{uuid.uuid4().hex[:8]}@example.com",
        "phone": "+44 20 7946 0000",
        "job_title": "Software Engineer",
        "department": "Engineering",
        "location": "London",
        "employment_type": "FullTime",
        "start_date": datetime.date(2031, 3, 1),
        "salary_value": decimal.Decimal("85000"),
        "salary_currency": "GBP",
        "salary_period": "Year",
        "custom_fields": {},
    }
    values.update(changes)
    return Hire(**values)
