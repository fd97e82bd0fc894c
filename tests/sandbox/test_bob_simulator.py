"""The HiBob (Bob) simulator on a real socket: the documented wire shapes and quirks a connector will meet."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hirebridge.sandbox.bob.app import create_app
from tests.support.servers import serve

AUTH = ("SERVICE-USER", "sandbox-token")


def new_hire(email: str = "ada@example.com", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "firstName": "Ada",
        "surname": "Lovelace",
        "email": email,
        "work": {
            "site": "New York",
            "startDate": "2024-01-15",
            "title": "Software Engineer",
            "department": "Engineering",
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def bob() -> Iterator[httpx.Client]:
    """A fresh simulator with no read lag, and a client holding the service user's credentials."""
    with serve(create_app(read_lag_seconds=0, seed=7)) as url, httpx.Client(base_url=url, auth=AUTH) as client:
        yield client


@pytest.fixture
def lagging_bob() -> Iterator[httpx.Client]:
    with serve(create_app(read_lag_seconds=1.0, seed=7)) as url, httpx.Client(base_url=url, auth=AUTH) as client:
        yield client


def search_email(client: httpx.Client, email: str, **extra: Any) -> httpx.Response:
    body = {
        "fields": ["root.id", "root.email"],
        "filters": [{"fieldPath": "root.email", "operator": "equals", "values": [email]}],
    }
    return client.post("/v1/people/search", json={**body, **extra})


def wait_until(check: Any, deadline_seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition never became true")


def records(client: httpx.Client) -> list[dict[str, Any]]:
    return client.get("/_sandbox/records").json()["records"]


# create -----------------------------------------------------------------------------------------------------------


def test_create_answers_200_with_the_employee_and_a_numeric_string_id(bob: httpx.Client) -> None:
    response = bob.post("/v1/people", json=new_hire())

    assert response.status_code == 200
    employee = response.json()
    assert isinstance(employee["id"], str)
    assert employee["id"].isdigit()
    assert len(employee["id"]) >= 18
    assert (employee["firstName"], employee["surname"], employee["email"]) == ("Ada", "Lovelace", "ada@example.com")
    assert employee["displayName"] == "Ada Lovelace"
    assert employee["work"]["site"] == "New York"
    assert isinstance(employee["work"]["siteId"], int)
    assert employee["work"]["startDate"] == "2024-01-15"
    # list fields are stored machine-readable: the item id, not its name
    assert employee["work"]["department"].isdigit()
    assert {"about", "personal", "creationDate"} <= employee.keys()
    assert [r["id"] for r in records(bob)] == [employee["id"]]


@pytest.mark.parametrize("missing", ["email", "firstName", "surname", "work.site", "work.startDate"])
def test_create_without_a_required_field_is_400_naming_it(bob: httpx.Client, missing: str) -> None:
    body = new_hire()
    if missing.startswith("work."):
        del body["work"][missing[5:]]
    else:
        del body[missing]

    response = bob.post("/v1/people", json=body)

    assert response.status_code == 400
    assert missing in response.json()["error"]
    assert records(bob) == []


def test_list_values_must_exist_and_can_be_added(bob: httpx.Client) -> None:
    refused = bob.post("/v1/people", json=new_hire(work={"site": "Mars", "startDate": "2024-01-15"}))
    assert refused.status_code == 400
    assert "Mars" in refused.json()["error"]
    assert "work.site" in refused.json()["error"]

    bad_department = bob.post(
        "/v1/people", json=new_hire(work={"site": "London", "startDate": "2024-01-15", "department": "Alchemy"})
    )
    assert bad_department.status_code == 400
    assert "Alchemy" in bad_department.json()["error"]
    assert records(bob) == []

    assert bob.post("/_sandbox/named-lists/site", json={"name": "Mars"}).status_code == 200
    added = bob.post("/v1/company/named-lists/department", json={"name": "Alchemy"})
    assert added.status_code == 200
    assert isinstance(added.json()["id"], int)
    accepted = bob.post(
        "/v1/people", json=new_hire(work={"site": "Mars", "startDate": "2024-01-15", "department": "Alchemy"})
    )
    assert accepted.status_code == 200
    assert accepted.json()["work"]["department"] == str(added.json()["id"])


def test_named_lists_are_listed_with_their_items(bob: httpx.Client) -> None:
    site = bob.get("/v1/company/named-lists/site")
    assert site.status_code == 200
    assert site.json()["name"] == "site"
    assert {"New York", "London", "Tel Aviv"} <= {item["name"] for item in site.json()["items"]}
    every = bob.get("/v1/company/named-lists").json()
    assert {"site", "department", "title"} <= {lst["name"] for lst in every}
    assert bob.get("/v1/company/named-lists/nope").status_code == 404


def test_dotted_work_fields_are_refused(bob: httpx.Client) -> None:
    body = new_hire()
    body["work.title"] = "Recruiter"
    response = bob.post("/v1/people", json=body)
    assert response.status_code == 400
    assert "work.title" in response.json()["error"]


def test_a_create_with_an_email_already_taken_is_refused_in_any_case(bob: httpx.Client) -> None:
    first = bob.post("/v1/people", json=new_hire())
    assert first.status_code == 200
    second = bob.post("/v1/people", json=new_hire(email="ADA@example.com"))
    assert second.status_code == 400
    assert second.json()["key"] == "email_already_exists"
    assert [e["id"] for e in search_email(bob, "ada@example.com", showInactive=True).json()["employees"]] == [
        first.json()["id"]
    ]


def test_an_update_that_changes_nothing_is_304(bob: httpx.Client) -> None:
    created = bob.post("/v1/people", json=new_hire()).json()
    path = f"/v1/people/{created['id']}"
    assert bob.put(path, json={"firstName": "Augusta"}).status_code == 200
    unchanged = bob.put(path, json={"firstName": "Augusta"})
    assert unchanged.status_code == 304
    assert unchanged.content == b""


# auth -------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [("SERVICE-USER", "wrong-token"), ("OTHER-USER", "sandbox-token"), None])
def test_wrong_or_missing_credentials_are_401_with_an_empty_body(bob: httpx.Client, auth: Any) -> None:
    response = httpx.post(f"{bob.base_url}/v1/people", json=new_hire(), auth=auth)
    assert response.status_code == 401
    assert response.content == b""
    assert records(bob) == []


# reads --------------------------------------------------------------------------------------------------------------


def test_a_new_employee_is_found_only_after_the_read_lag(lagging_bob: httpx.Client) -> None:
    created = lagging_bob.post("/v1/people", json=new_hire()).json()

    assert search_email(lagging_bob, "ada@example.com", showInactive=True).json() == {"employees": []}
    assert lagging_bob.post(f"/v1/people/{created['id']}", json={}).status_code == 404

    found = wait_until(lambda: search_email(lagging_bob, "ada@example.com", showInactive=True).json()["employees"])
    assert [e["id"] for e in found] == [created["id"]]
    assert lagging_bob.post(f"/v1/people/{created['id']}", json={}).json()["email"] == "ada@example.com"


def test_an_update_shows_the_old_value_until_the_lag_passes(lagging_bob: httpx.Client) -> None:
    created = lagging_bob.post("/v1/people", json=new_hire()).json()
    path = f"/v1/people/{created['id']}"
    wait_until(lambda: lagging_bob.post(path, json={}).status_code == 200)

    assert lagging_bob.put(path, json={"firstName": "Augusta"}).status_code == 200

    assert lagging_bob.post(path, json={}).json()["firstName"] == "Ada"
    wait_until(lambda: lagging_bob.post(path, json={}).json()["firstName"] == "Augusta")


def test_a_future_hire_is_inactive_and_needs_show_inactive(bob: httpx.Client) -> None:
    bob.post("/v1/people", json=new_hire(work={"site": "London", "startDate": "2099-03-01"}))

    assert search_email(bob, "ada@example.com").json()["employees"] == []
    found = search_email(bob, "ada@example.com", showInactive=True).json()["employees"]
    assert len(found) == 1


def test_search_answers_slash_keys_and_nested_values_and_omits_unknown_fields(bob: httpx.Client) -> None:
    created = bob.post("/v1/people", json=new_hire()).json()
    body = {
        "fields": ["root.id", "root.email", "work.department", "work.noSuchField"],
        "filters": [{"fieldPath": "root.id", "operator": "equals", "values": [created["id"]]}],
        "humanReadable": "APPEND",
    }

    [employee] = bob.post("/v1/people/search", json=body).json()["employees"]

    assert employee["/root/email"] == {"value": "ada@example.com"}
    assert employee["email"] == "ada@example.com"
    assert employee["/work/department"] == {"value": created["work"]["department"]}
    assert employee["humanReadable"]["work"]["department"] == "Engineering"
    assert "noSuchField" not in employee["work"]
    assert "/work/noSuchField" not in employee


def test_read_by_email_in_the_path(bob: httpx.Client) -> None:
    created = bob.post("/v1/people", json=new_hire()).json()
    assert bob.post("/v1/people/ada@example.com", json={}).json()["id"] == created["id"]


@pytest.mark.parametrize(
    "filters",
    [
        [],
        {},
        [{"fieldPath": "root.email", "operator": "equals", "values": ["a@x.com"]}] * 2,
        [{"fieldPath": "root.firstName", "operator": "equals", "values": ["Ada"]}],
        [{"fieldPath": "root.email", "operator": "contains", "values": ["a@x.com"]}],
        [{"fieldPath": "root.email", "operator": "equals", "values": []}],
    ],
)
def test_invalid_filters_are_400(bob: httpx.Client, filters: Any) -> None:
    response = bob.post("/v1/people/search", json={"filters": filters, "showInactive": True})
    assert response.status_code == 400
    assert "filter" in response.json()["error"].lower()


def test_search_beyond_its_per_minute_limit_is_429_with_rate_limit_headers(bob: httpx.Client) -> None:
    assert bob.put("/_sandbox/settings", json={"search_limit_per_minute": 3}).status_code == 200
    remaining = [int(bob.post("/v1/people/search", json={}).headers["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [2, 1, 0]

    refused = bob.post("/v1/people/search", json={})

    assert refused.status_code == 429
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.headers["X-RateLimit-Reset"]) >= int(time.time())
    assert bob.post("/v1/people", json=new_hire()).status_code == 200  # the limit is per endpoint


# updates --------------------------------------------------------------------------------------------------------------


def test_update_changes_only_the_fields_sent(bob: httpx.Client) -> None:
    created = bob.post("/v1/people", json=new_hire()).json()
    path = f"/v1/people/{created['id']}"

    response = bob.put(path, json={"firstName": "Augusta", "work": {"title": "Recruiter"}})

    assert response.status_code == 200
    employee = bob.post(path, json={"humanReadable": "APPEND"}).json()
    assert employee["firstName"] == "Augusta"
    assert employee["surname"] == "Lovelace"
    assert employee["displayName"] == "Augusta Lovelace"
    assert employee["humanReadable"]["work"]["title"] == "Recruiter"
    assert employee["work"]["site"] == "New York"
    assert bob.put(path, json={"work": {"department": "Alchemy"}}).status_code == 400
    assert bob.put("/v1/people/1234567890123456789", json={"firstName": "X"}).status_code == 404


# faults and admin --------------------------------------------------------------------------------------------------


def test_throttle_switch_answers_429_with_rate_limit_headers(bob: httpx.Client) -> None:
    bob.put("/_sandbox/faults", json={"throttle_rate": 1})
    response = bob.post("/v1/people", json=new_hire())
    assert response.status_code == 429
    assert int(response.headers["X-RateLimit-Remaining"]) == 0
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert records(bob) == []


def test_error_switch_answers_5xx_without_writing(bob: httpx.Client) -> None:
    bob.put("/_sandbox/faults", json={"error_rate": 1})
    statuses = {bob.post("/v1/people", json=new_hire()).status_code for _ in range(5)}
    assert statuses <= {500, 502, 503}
    assert records(bob) == []


def test_dropped_response_after_commit_leaves_the_employee_created(bob: httpx.Client) -> None:
    bob.put("/_sandbox/faults", json={"drop_after_commit_rate": 1})

    with pytest.raises(httpx.TransportError):
        bob.post("/v1/people", json=new_hire())

    assert [r["email"] for r in records(bob)] == ["ada@example.com"]


def test_reset_forgets_employees_settings_and_faults(bob: httpx.Client) -> None:
    bob.post("/v1/people", json=new_hire())
    bob.post("/_sandbox/named-lists/site", json={"name": "Mars"})
    bob.put("/_sandbox/settings", json={"read_lag_seconds": 5})
    bob.put("/_sandbox/faults", json={"error_rate": 0.5})

    assert bob.post("/_sandbox/reset").status_code == 200

    assert records(bob) == []
    assert bob.get("/_sandbox/settings").json()["read_lag_seconds"] == 0
    assert bob.get("/_sandbox/faults").json()["switches"]["error_rate"] == 0
    assert "Mars" not in {i["name"] for i in bob.get("/v1/company/named-lists/site").json()["items"]}
