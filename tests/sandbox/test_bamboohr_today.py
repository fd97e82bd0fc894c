"""The BambooHR simulator as BambooHR's docs describe the API today (2026-11): the ``/api/v1`` URL form of its
OpenAPI, employee id 0, and the custom report's errors and filters (see docs/simulators.md for the sources)."""

from __future__ import annotations

import re

import httpx

from tests.sandbox.test_bamboohr_simulator import KEY, Bamboo, bamboo

__all__ = ["bamboo"]


def test_employee_id_0_is_the_api_keys_own_employee(bamboo: Bamboo) -> None:
    assert bamboo.api.get("/employees/0").status_code == 404  # the key has no employee yet
    own = bamboo.create_id(firstName="Grace", lastName="Hopper")
    bamboo.create_id()
    bamboo.settings(api_user_employee_id=int(own))
    got = bamboo.api.get("/employees/0").json()
    assert got == {"id": own, "firstName": "Grace", "lastName": "Hopper"}


def test_the_api_v1_url_form_serves_the_same_company(bamboo: Bamboo) -> None:
    with httpx.Client(base_url=f"{bamboo.url}/api/v1", auth=(KEY, "x"), timeout=10) as modern:
        created = modern.post("/employees", json={"firstName": "Ada", "lastName": "Lovelace"})
        assert created.status_code == 201
        assert re.fullmatch(rf"{re.escape(bamboo.url)}/api/v1/employees/[0-9]+", created.headers["Location"])
        new_id = created.headers["Location"].rsplit("/", 1)[1]
        assert modern.get(f"/employees/{new_id}").json()["firstName"] == "Ada"
        assert bamboo.api.get(f"/employees/{new_id}").json()["firstName"] == "Ada"  # one company, two forms
        other_company = modern.get(f"/employees/{new_id}", headers={"Host": "elsewhere.bamboohr.com"})
        assert other_company.status_code == 404
        same_company = modern.get(f"/employees/{new_id}", headers={"Host": "demo.bamboohr.com"})
        assert same_company.status_code == 200
        assert modern.get("/no-such-thing").status_code == 404


def test_report_format_errors_and_filters_follow_the_openapi(bamboo: Bamboo) -> None:
    first = bamboo.create_id(workEmail="one@example.com")
    bamboo.create_id(workEmail="two@example.com")
    fields = {"title": "t", "fields": ["workEmail"]}
    assert bamboo.api.post("/reports/custom", params={"format": "bogus"}, json=fields).status_code == 404
    assert bamboo.api.post("/reports/custom", headers={"Accept": "application/xml"}, json=fields).status_code == 404
    too_many = {"title": "t", "fields": [f"f{i}" for i in range(401)]}
    assert bamboo.api.post("/reports/custom", params={"format": "json"}, json=too_many).status_code == 400
    bad = {**fields, "filterDuplicates": "maybe"}
    assert bamboo.api.post("/reports/custom", params={"format": "json"}, json=bad).status_code == 400
    only_first = {**fields, "filterDuplicates": "no", "filters": {"employeeIds": [int(first)]}}
    rows = bamboo.api.post("/reports/custom", params={"format": "json"}, json=only_first).json()["employees"]
    assert rows == [{"id": first, "workEmail": "one@example.com"}]
    xml = (
        '<report><title>t</title><fields><field id="workEmail"/></fields>'
        f"<filters><employeeIds><employeeId>{first}</employeeId></employeeIds></filters></report>"
    )
    answer = bamboo.api.post("/reports/custom", params={"format": "json"}, content=xml)
    assert answer.json()["employees"] == [{"id": first, "workEmail": "one@example.com"}]
