"""The BambooHR simulator on a real socket: the documented wire shapes and quirks a connector will meet."""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from hirebridge.sandbox.bamboohr.app import create_app
from tests.support.servers import serve

KEY = "sandbox-key"
ERROR_HEADER = "X-BambooHR-Error-Message"
NEXT_YEAR = (dt.date.today() + dt.timedelta(days=366)).isoformat()


@dataclass
class Bamboo:
    url: str
    api: httpx.Client  # the vendor API of company "demo", with the right key and Accept: application/json
    admin: httpx.Client

    def records(self) -> list[dict[str, Any]]:
        answer = self.admin.get("/_sandbox/records")
        answer.raise_for_status()
        records: list[dict[str, Any]] = answer.json()["records"]
        return records

    def create(self, **fields: Any) -> httpx.Response:
        return self.api.post("/employees/", json={"firstName": "Ada", "lastName": "Lovelace", **fields})

    def create_id(self, **fields: Any) -> str:
        answer = self.create(**fields)
        assert answer.status_code == 201, answer.headers.get(ERROR_HEADER)
        return answer.headers["Location"].rsplit("/", 1)[1]

    def faults(self, **switches: Any) -> None:
        self.admin.put("/_sandbox/faults", json=switches).raise_for_status()

    def settings(self, **settings: Any) -> None:
        self.admin.put("/_sandbox/settings", json=settings).raise_for_status()

    def report(self, fields: list[str]) -> httpx.Response:
        return self.api.post("/reports/custom", params={"format": "JSON"}, json={"title": "lookup", "fields": fields})


@pytest.fixture
def bamboo() -> Iterator[Bamboo]:
    with serve(create_app(seed=11)) as url, httpx.Client(base_url=url, timeout=10) as admin:
        api = httpx.Client(
            base_url=f"{url}/api/gateway.php/demo/v1", auth=(KEY, "x"), headers={"Accept": "application/json"}
        )
        with api:
            yield Bamboo(url, api, admin)


# Create, read, update ---------------------------------------------------------------------------------------------


def test_create_json_answers_201_with_empty_body_and_location_of_the_new_employee(bamboo: Bamboo) -> None:
    answer = bamboo.create(workEmail="ada@example.com", hireDate="2024-01-15", jobTitle="Engineer", payRate=120000)

    assert answer.status_code == 201
    assert answer.content == b""
    match = re.fullmatch(
        rf"{re.escape(bamboo.url)}/api/gateway\.php/demo/v1/employees/(\d+)", answer.headers["Location"]
    )
    assert match is not None
    got = bamboo.api.get(f"/employees/{match[1]}/", params={"fields": "firstName,lastName,workEmail,payRate,hireDate"})
    assert got.status_code == 200
    assert got.json() == {
        "id": match[1],
        "firstName": "Ada",
        "lastName": "Lovelace",
        "workEmail": "ada@example.com",
        "payRate": "120000",
        "hireDate": "2024-01-15",
    }


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml", None])
def test_create_xml_field_document(bamboo: Bamboo, content_type: str | None) -> None:
    xml = (
        '<employee><field id="firstName">Grace</field><field id="lastName">Hopper</field>'
        '<field id="workEmail">grace@example.com</field><field id="department">Navy</field></employee>'
    )
    headers = {"Content-Type": content_type} if content_type else {}
    answer = bamboo.api.post("/employees", content=xml.encode(), headers=headers)

    assert answer.status_code == 201
    assert answer.content == b""
    new_id = answer.headers["Location"].rsplit("/", 1)[1]
    got = bamboo.api.get(f"/employees/{new_id}", params={"fields": "firstName,lastName,workEmail,department"}).json()
    assert got == {
        "id": new_id,
        "firstName": "Grace",
        "lastName": "Hopper",
        "workEmail": "grace@example.com",
        "department": "Navy",
    }


def test_ids_are_distinct_numbers(bamboo: Bamboo) -> None:
    first = bamboo.create_id(workEmail="a@example.com")
    second = bamboo.create_id(workEmail="b@example.com")
    assert first.isdigit()
    assert second.isdigit()
    assert first != second


def test_get_employee_defaults_to_first_and_last_name_and_omits_unknown_fields(bamboo: Bamboo) -> None:
    new_id = bamboo.create_id()
    assert bamboo.api.get(f"/employees/{new_id}").json() == {"id": new_id, "firstName": "Ada", "lastName": "Lovelace"}
    got = bamboo.api.get(f"/employees/{new_id}", params={"fields": "workEmail,favouriteColour"}).json()
    assert got == {"id": new_id, "workEmail": None}


def test_get_employee_answers_json_unless_xml_is_asked_for(bamboo: Bamboo) -> None:
    new_id = bamboo.create_id()
    for accept in ("*/*", ""):
        got = bamboo.api.get(f"/employees/{new_id}", headers={"Accept": accept})
        assert got.status_code == 200
        assert got.headers["content-type"].startswith("application/json")
        assert got.json() == {"id": new_id, "firstName": "Ada", "lastName": "Lovelace"}
    got = bamboo.api.get(f"/employees/{new_id}", headers={"Accept": "application/xml"})
    assert got.headers["content-type"].startswith("text/xml")
    assert f'<employee id="{new_id}"><field id="firstName">Ada</field>' in got.text


def test_get_unknown_employee_is_404(bamboo: Bamboo) -> None:
    assert bamboo.api.get("/employees/999999").status_code == 404


def test_update_changes_only_the_fields_sent_and_answers_200_empty(bamboo: Bamboo) -> None:
    new_id = bamboo.create_id(workEmail="ada@example.com", jobTitle="Engineer")

    answer = bamboo.api.post(f"/employees/{new_id}/", json={"jobTitle": "Principal Engineer", "mobilePhone": "555"})
    assert answer.status_code == 200
    assert answer.content == b""
    xml = b'<employee><field id="department">Research</field></employee>'
    assert bamboo.api.post(f"/employees/{new_id}", content=xml).status_code == 200

    got = bamboo.api.get(f"/employees/{new_id}", params={"fields": "workEmail,jobTitle,mobilePhone,department"})
    assert got.json() == {
        "id": new_id,
        "workEmail": "ada@example.com",
        "jobTitle": "Principal Engineer",
        "mobilePhone": "555",
        "department": "Research",
    }


def test_update_of_unknown_employee_is_404(bamboo: Bamboo) -> None:
    answer = bamboo.api.post("/employees/424242/", json={"jobTitle": "x"})
    assert answer.status_code == 404
    assert answer.headers[ERROR_HEADER]


# Refusals ---------------------------------------------------------------------------------------------------------


def test_missing_last_name_is_400_with_the_reason_in_the_header(bamboo: Bamboo) -> None:
    answer = bamboo.api.post("/employees/", json={"firstName": "Ada", "workEmail": "ada@example.com"})
    assert answer.status_code == 400
    assert answer.content == b""
    assert "lastName" in answer.headers[ERROR_HEADER]
    assert bamboo.records() == []


def test_malformed_bodies_are_400(bamboo: Bamboo) -> None:
    assert (
        bamboo.api.post("/employees/", content=b"{not json", headers={"Content-Type": "application/json"}).status_code
        == 400
    )
    assert (
        bamboo.api.post("/employees/", content=b"<employee><field", headers={"Content-Type": "text/xml"}).status_code
        == 400
    )
    assert bamboo.api.post("/employees/", content=b"").status_code == 400


def test_unknown_field_is_406_and_invalid_value_is_409(bamboo: Bamboo) -> None:
    unknown = bamboo.create(favouriteColour="teal")
    assert unknown.status_code == 406
    assert "favouriteColour" in unknown.headers[ERROR_HEADER]
    bad_date = bamboo.create(hireDate="15/01/2024")
    assert bad_date.status_code == 409
    assert "hireDate" in bad_date.headers[ERROR_HEADER]
    assert bamboo.records() == []


def test_photo_keys_are_ignored_and_the_create_succeeds(bamboo: Bamboo) -> None:
    assert bamboo.create(photoUrl="https://example.com/p.png").status_code == 201


def test_wrong_or_missing_api_key_is_401_and_any_password_works(bamboo: Bamboo) -> None:
    base = f"{bamboo.url}/api/gateway.php/demo/v1/employees/"
    body = {"firstName": "Ada", "lastName": "Lovelace"}
    assert httpx.post(base, json=body, auth=("wrong-key", "x")).status_code == 401
    missing = httpx.post(base, json=body)
    assert missing.status_code == 401
    assert missing.content == b""
    assert httpx.post(base, json=body, auth=(KEY, "")).status_code == 201
    assert httpx.post(base, json=body, auth=(KEY, "anything")).status_code == 201


def test_repeated_unknown_keys_lock_the_api_when_enabled(bamboo: Bamboo) -> None:
    bamboo.settings(bad_key_lockout_after=3, bad_key_lockout_seconds=600)
    url = f"{bamboo.url}/api/gateway.php/demo/v1/employees/1"
    assert [httpx.get(url, auth=("nope", "x")).status_code for _ in range(3)] == [401, 401, 401]
    assert bamboo.api.get("/employees/1").status_code == 403


def test_unknown_company_domain_is_404(bamboo: Bamboo) -> None:
    answer = httpx.post(
        f"{bamboo.url}/api/gateway.php/someone-else/v1/employees/",
        json={"firstName": "A", "lastName": "B"},
        auth=(KEY, "x"),
    )
    assert answer.status_code == 404
    assert bamboo.records() == []


def test_unknown_path_or_method_is_404(bamboo: Bamboo) -> None:
    assert bamboo.api.get("/nothing/here").status_code == 404
    assert bamboo.api.put("/employees/", json={"firstName": "A", "lastName": "B"}).status_code == 404


def test_duplicate_work_email_is_409_and_allowed_when_the_switch_is_off(bamboo: Bamboo) -> None:
    bamboo.create_id(workEmail="ada@example.com")
    duplicate = bamboo.create(workEmail="ADA@example.com")
    assert duplicate.status_code == 409
    assert duplicate.headers[ERROR_HEADER]
    assert len(bamboo.records()) == 1

    bamboo.settings(enforce_unique_work_email=False)
    assert bamboo.create(workEmail="ada@example.com").status_code == 201
    assert [r["workEmail"] for r in bamboo.records()] == ["ada@example.com", "ada@example.com"]


def test_concurrent_creates_of_one_email_make_exactly_one_employee(bamboo: Bamboo) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def create() -> None:
        with httpx.Client(base_url=str(bamboo.api.base_url), auth=(KEY, "x")) as client:
            status = client.post(
                "/employees/", json={"firstName": "A", "lastName": "B", "workEmail": "same@example.com"}
            )
        with lock:
            statuses.append(status.status_code)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert len(bamboo.records()) == 1


def test_employee_limit_is_429_not_a_rate_limit(bamboo: Bamboo) -> None:
    bamboo.settings(employee_limit=1)
    bamboo.create_id(workEmail="one@example.com")
    answer = bamboo.create(workEmail="two@example.com")
    assert answer.status_code == 429
    assert "employee limit" in answer.headers[ERROR_HEADER]
    assert "Retry-After" not in answer.headers
    assert len(bamboo.records()) == 1


def test_typo_spelling_of_the_error_header(bamboo: Bamboo) -> None:
    bamboo.settings(error_header_spelling="typo")
    answer = bamboo.create(lastName="")
    assert answer.status_code == 400
    assert "X-BambooHR-Error-Messsage" in answer.headers
    assert ERROR_HEADER not in answer.headers


# Look-ups ---------------------------------------------------------------------------------------------------------


def test_custom_report_lists_active_and_inactive_employees(bamboo: Bamboo) -> None:
    active = bamboo.create_id(workEmail="active@example.com")
    inactive = bamboo.create_id(workEmail="gone@example.com", status="Inactive")
    future = bamboo.create_id(workEmail="future@example.com", hireDate=NEXT_YEAR)

    answer = bamboo.report(["id", "workEmail", "status", "favouriteColour"])

    assert answer.status_code == 200
    report = answer.json()
    assert report["title"] == "lookup"
    assert [f["id"] for f in report["fields"]] == ["id", "workEmail", "status"]
    assert all(set(f) == {"id", "type", "name"} for f in report["fields"])
    assert report["employees"] == [
        {"id": active, "workEmail": "active@example.com", "status": "Active"},
        {"id": inactive, "workEmail": "gone@example.com", "status": "Inactive"},
        {"id": future, "workEmail": "future@example.com", "status": "Inactive"},
    ]


def test_custom_report_json_needs_exactly_application_json(bamboo: Bamboo) -> None:
    bamboo.create_id()
    answer = bamboo.api.post(
        "/reports/custom",
        params={"format": "json"},
        content=b'{"title": "t", "fields": ["workEmail"]}',
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    assert answer.status_code == 400
    assert answer.headers[ERROR_HEADER] == "Malformed XML"


def test_custom_report_accepts_the_xml_request_form(bamboo: Bamboo) -> None:
    new_id = bamboo.create_id(workEmail="ada@example.com")
    xml = b'<report output="json"><title>t</title><fields><field id="workEmail" /></fields></report>'
    answer = bamboo.api.post("/reports/custom/", params={"format": "json"}, content=xml)
    assert answer.status_code == 200
    assert answer.json()["employees"] == [{"id": new_id, "workEmail": "ada@example.com"}]


def test_custom_report_format_comes_from_accept_only_for_exact_values(bamboo: Bamboo) -> None:
    body = {"title": "t", "fields": ["workEmail"]}
    assert bamboo.api.post("/reports/custom", json=body, headers={"Accept": "*/*"}).status_code == 404
    as_json = bamboo.api.post("/reports/custom", json=body, headers={"Accept": "application/json"})
    assert as_json.status_code == 200
    assert as_json.json()["employees"] == []


def test_directory_lists_active_employees_and_future_hires_only_on_request(bamboo: Bamboo) -> None:
    active = bamboo.create_id(workEmail="active@example.com")
    bamboo.create_id(workEmail="gone@example.com", status="Inactive")
    future = bamboo.create_id(workEmail="future@example.com", hireDate=NEXT_YEAR)

    current = bamboo.api.get("/employees/directory").json()
    assert [e["id"] for e in current["employees"]] == [active]
    assert {"id": "workEmail", "type": "email", "name": "Work Email"} in current["fields"]
    with_future = bamboo.api.get("/employees/directory", params={"onlyCurrent": "false"}).json()
    assert [e["id"] for e in with_future["employees"]] == [active, future]


# Faults -----------------------------------------------------------------------------------------------------------


def test_throttle_is_429_with_retry_after_and_writes_nothing(bamboo: Bamboo) -> None:
    bamboo.faults(throttle_rate=1, retry_after_seconds=7)
    answer = bamboo.create(workEmail="ada@example.com")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.headers[ERROR_HEADER]
    assert bamboo.records() == []


def test_error_fault_is_500_502_or_an_unavailable_503_and_writes_nothing(bamboo: Bamboo) -> None:
    bamboo.faults(error_rate=1, retry_after_seconds=2)
    answers = [bamboo.create(workEmail=f"ada{i}@example.com") for i in range(12)]
    assert {a.status_code for a in answers} == {500, 502, 503}
    assert all(a.headers["Retry-After"] == "2" for a in answers if a.status_code == 503)
    assert bamboo.records() == []


def test_timeout_fault_hangs_past_the_client_timeout(bamboo: Bamboo) -> None:
    bamboo.faults(timeout_rate=1, timeout_seconds=1)
    with pytest.raises(httpx.ReadTimeout):
        bamboo.api.post("/employees/", json={"firstName": "A", "lastName": "B"}, timeout=0.2)


def test_drop_after_commit_breaks_the_connection_but_the_employee_exists(bamboo: Bamboo) -> None:
    bamboo.faults(drop_after_commit_rate=1)
    with pytest.raises(httpx.RemoteProtocolError):
        bamboo.create(workEmail="ada@example.com")
    [record] = bamboo.records()
    assert record["workEmail"] == "ada@example.com"
    assert record["firstName"] == "Ada"

    bamboo.faults()
    assert bamboo.create(workEmail="ada@example.com").status_code == 409  # a blind retry meets the duplicate


def test_drop_after_commit_on_update_keeps_the_change(bamboo: Bamboo) -> None:
    new_id = bamboo.create_id()
    bamboo.faults(drop_after_commit_rate=1)
    with pytest.raises(httpx.RemoteProtocolError):
        bamboo.api.post(f"/employees/{new_id}", json={"jobTitle": "Countess"})
    [record] = bamboo.records()
    assert record["jobTitle"] == "Countess"


def test_rate_limit_bucket_answers_429_with_retry_after(bamboo: Bamboo) -> None:
    bamboo.faults(rate_limit_per_second=0.01, retry_after_seconds=3)  # one call, then one more per 100 s
    assert bamboo.api.get("/employees/1").status_code == 404
    throttled = bamboo.api.get("/employees/1")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "3"


def test_reset_clears_employees_settings_and_faults(bamboo: Bamboo) -> None:
    bamboo.create_id(workEmail="ada@example.com")
    bamboo.settings(enforce_unique_work_email=False, employee_limit=5)
    bamboo.faults(throttle_rate=1)

    bamboo.admin.post("/_sandbox/reset").raise_for_status()

    assert bamboo.records() == []
    settings = bamboo.admin.get("/_sandbox/settings").json()
    assert settings["enforce_unique_work_email"] is True
    assert settings["employee_limit"] is None
    assert bamboo.create(workEmail="ada@example.com").status_code == 201
