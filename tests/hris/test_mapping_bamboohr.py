"""BambooHR payloads: documented field names, overrides, and what is refused before any call."""

from __future__ import annotations

import datetime
import decimal

import pytest

from hirebridge.connectors.bamboohr.mapping import build_payload
from hirebridge.connectors.errors import RejectedError
from tests.hris.helpers import a_hire


def test_a_full_hire_maps_to_bamboohr_field_names() -> None:
    hire = a_hire(email="Ada@Example.com")
    assert build_payload(hire, {}) == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "workEmail": "Ada@Example.com",
        "mobilePhone": "+44 20 7946 0000",
        "jobTitle": "Software Engineer",
        "department": "Engineering",
        "location": "London",
        "hireDate": "2031-03-01",
        "payRate": "85000.00 GBP",
        "payPer": "Year",
        "payType": "Salary",
    }


def test_hourly_pay_is_hourly_and_empty_fields_are_left_out() -> None:
    hire = a_hire(
        salary_value=decimal.Decimal("31.5"),
        salary_currency=None,
        salary_period="Hour",
        phone="  ",
        department=None,
        start_date=None,
    )
    payload = build_payload(hire, {})
    assert (payload["payRate"], payload["payPer"], payload["payType"]) == ("31.50", "Hour", "Hourly")
    assert "mobilePhone" not in payload
    assert "department" not in payload
    assert "hireDate" not in payload


def test_overrides_move_drop_and_add_fields() -> None:
    hire = a_hire(custom_fields={"badge": "B-12", "review_date": datetime.date(2031, 9, 1), "ignored": "x"})
    payload = build_payload(
        hire,
        {
            "email": "homeEmail",
            "phone": None,
            "employment_type": "employmentHistoryStatus",
            "badge": "customBadgeNumber",
            "review_date": "customReviewDate",
        },
    )
    assert payload["homeEmail"] == hire.email
    assert "workEmail" not in payload
    assert "mobilePhone" not in payload
    assert payload["employmentHistoryStatus"] == "Full-Time"
    assert payload["customBadgeNumber"] == "B-12"
    assert payload["customReviewDate"] == "2031-09-01"
    assert "ignored" not in payload.values()


@pytest.mark.parametrize("hire", [a_hire(last_name=""), a_hire(first_name="  ")])
def test_a_missing_name_is_refused_before_any_call(hire: object) -> None:
    with pytest.raises(RejectedError, match="first and a last name"):
        build_payload(hire, {})  # type: ignore[arg-type]


def test_mapping_a_name_away_is_refused_with_the_reason() -> None:
    with pytest.raises(RejectedError, match="lastName"):
        build_payload(a_hire(), {"last_name": None})


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"email": "work email"}, "must be an HRIS field id"),
        ({"email": 3}, "must be an HRIS field id"),
        ({"job_title": "jobTitle", "department": "jobTitle"}, "sends both 'job_title' and 'department'"),
    ],
)
def test_a_bad_field_mapping_is_refused_with_the_field_named(mapping: dict[str, object], reason: str) -> None:
    with pytest.raises(RejectedError, match=reason):
        build_payload(a_hire(), mapping)


def test_a_custom_field_that_is_not_a_scalar_is_refused() -> None:
    with pytest.raises(RejectedError, match="custom field 'langs'"):
        build_payload(a_hire(custom_fields={"langs": ["en", "fr"]}), {"langs": "customLanguages"})


def test_an_unknown_salary_period_is_refused() -> None:
    with pytest.raises(RejectedError, match="salary period 'Fortnight'"):
        build_payload(a_hire(salary_period="Fortnight"), {})
