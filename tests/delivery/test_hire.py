"""The hire sent to an HRIS, built from core records."""

from __future__ import annotations

from decimal import Decimal

from hirebridge.hris.hire import build_hire, split_name
from hirebridge.runtime import Runtime
from tests.delivery.pushdata import make_hire


def test_a_whole_name_in_the_first_name_is_split() -> None:
    assert split_name("Ada King Lovelace", None) == ("Ada", "King Lovelace")
    assert split_name(" Ada ", "Lovelace ") == ("Ada", "Lovelace")
    assert split_name("Cher", None) == ("Cher", "")


def test_hire_takes_the_offer_terms_and_the_jobs_place(runtime: Runtime, org_id: str) -> None:
    records = make_hire(runtime, org_id, location="London", department="Sales", title="Account Executive")
    with runtime.transaction() as session:
        hire = build_hire(session, records.application_id)
    assert (hire.first_name, hire.last_name, hire.email) == ("Ada", "Lovelace", records.email)
    assert (hire.job_title, hire.department, hire.location) == ("Account Executive", "Sales", "London")
    assert (hire.salary_value, hire.salary_currency, hire.start_date is not None) == (Decimal("120000.00"), "USD", True)
