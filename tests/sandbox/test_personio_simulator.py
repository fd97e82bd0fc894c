"""The Personio simulator on a real socket: auth and its limit, stable expiring tokens, employee create and look-up,
custom attributes and the fault switches, with requests written from Personio's API docs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hirebridge.sandbox.personio.app import create_app
from tests.support.servers import serve

CREDENTIALS = {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret"}


@pytest.fixture
def personio() -> Iterator[httpx.Client]:
    with serve(create_app(seed=5)) as url, httpx.Client(base_url=url) as client:
        yield client


def token(client: httpx.Client) -> str:
    response = client.post("/v1/auth", json=CREDENTIALS)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["token"])


def bearer(client: httpx.Client) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(client)}"}


def employee(email: str = "ada@example.com", **extra: Any) -> dict[str, Any]:
    return {
        "employee": {"email": email, "first_name": "Ada", "last_name": "Lovelace", "hire_date": "2026-01-15", **extra}
    }


def counters(client: httpx.Client) -> dict[str, int]:
    return dict(client.get("/_sandbox/tokens").json())


def records(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/_sandbox/records").json()["records"])


def error(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert body["success"] is False
    return body["error"]["code"], body["error"]["message"]


# auth ---------------------------------------------------------------------------------------------------------------


def test_auth_answers_a_stable_papi_token_by_json_form_or_query(personio: httpx.Client) -> None:
    as_json = personio.post("/v1/auth", json=CREDENTIALS)
    as_form = personio.post("/v1/auth", data=CREDENTIALS)
    as_query = personio.post("/v1/auth", params=CREDENTIALS)

    assert {r.status_code for r in (as_json, as_form, as_query)} == {200}
    data = as_json.json()["data"]
    assert as_json.json()["success"] is True
    assert data["token"].startswith("papi-")
    assert 86_000 < data["expires_in"] <= 86_400
    assert {r.json()["data"]["token"] for r in (as_form, as_query)} == {data["token"]}
    assert counters(personio) == {
        "auth_requests": 3,
        "auth_requests_refused": 0,
        "tokens_issued": 1,
        "active_tokens": 1,
    }


def test_wrong_or_missing_credentials_are_refused(personio: httpx.Client) -> None:
    wrong = personio.post("/v1/auth", json={**CREDENTIALS, "client_secret": "nope"})
    missing = personio.post("/v1/auth", json={})

    assert wrong.status_code == missing.status_code == 401
    assert error(wrong)[0] == 401
    assert counters(personio)["auth_requests_refused"] == 2
    assert counters(personio)["tokens_issued"] == 0


def test_the_auth_endpoint_limit_then_cool_down(personio: httpx.Client) -> None:
    personio.put("/_sandbox/settings", json={"auth_limit_per_minute": 2})

    statuses = [personio.post("/v1/auth", json=CREDENTIALS).status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 429]
    assert error(personio.post("/v1/auth", json=CREDENTIALS)) == (429, "Too Many Requests")
    assert counters(personio)["auth_requests"] == 5
    personio.put("/_sandbox/settings", json={"auth_cool_down_seconds": 0, "auth_limit_per_minute": 60})
    assert personio.post("/v1/auth", json=CREDENTIALS).status_code == 200


def test_the_documented_limit_is_60_a_minute(personio: httpx.Client) -> None:
    statuses = [personio.post("/v1/auth", json=CREDENTIALS).status_code for _ in range(61)]

    assert statuses.count(200) == 60
    assert statuses[-1] == 429


def test_calls_need_a_token_and_successful_ones_send_it_back(personio: httpx.Client) -> None:
    assert error(personio.get("/v1/company/employees")) == (401, "Authorization is not provided")
    unknown = personio.get("/v1/company/employees", headers={"Authorization": "Bearer papi-unknown"})
    assert error(unknown) == (403, "Provided authorization is not valid")

    headers = bearer(personio)
    ok = personio.get("/v1/company/employees", headers=headers)
    assert ok.status_code == 200
    assert ok.headers["Authorization"] == headers["Authorization"]


def test_an_expired_token_is_refused_and_auth_gives_a_new_one(personio: httpx.Client) -> None:
    old = token(personio)
    assert personio.post("/_sandbox/tokens/expire").json() == {"expired": True}

    refused = personio.get("/v1/company/employees", headers={"Authorization": f"Bearer {old}"})
    assert refused.status_code == 401
    new = token(personio)
    assert new != old
    assert personio.get("/v1/company/employees", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert counters(personio)["tokens_issued"] == 2


def test_the_token_lifetime_is_a_setting(personio: httpx.Client) -> None:
    personio.put("/_sandbox/settings", json={"token_lifetime_seconds": 3})

    assert personio.post("/v1/auth", json=CREDENTIALS).json()["data"]["expires_in"] <= 3


# create ---------------------------------------------------------------------------------------------------------------


def test_create_answers_success_with_the_new_id(personio: httpx.Client) -> None:
    response = personio.post("/v1/company/employees", json=employee(), headers=bearer(personio))

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["message"] == "success"
    assert isinstance(body["data"]["id"], int)
    assert [r["id"] for r in records(personio)] == [body["data"]["id"]]


def test_create_by_form_fields(personio: httpx.Client) -> None:
    form = {
        "employee[email]": "grace@example.com",
        "employee[first_name]": "Grace",
        "employee[last_name]": "Hopper",
        "employee[custom_attributes][dynamic_1001]": "DE98 8989 9898 0000 8989 00",
    }
    response = personio.post("/v1/company/employees", data=form, headers=bearer(personio))

    assert response.status_code == 200
    assert records(personio)[0]["dynamic_1001"] == "DE98 8989 9898 0000 8989 00"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("email", "The email field is required."),
        ("first_name", "The first name field is required."),
        ("last_name", "The last name field is required."),
    ],
)
def test_missing_required_fields_are_422(personio: httpx.Client, field: str, message: str) -> None:
    body = employee()
    del body["employee"][field]

    response = personio.post("/v1/company/employees", json=body, headers=bearer(personio))

    assert response.status_code == 422
    assert error(response) == (422, message)
    assert records(personio) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"supervisor_id": 1}, "Supervisor with ID 1 not found"),
        ({"gender": "robot"}, "The selected gender is invalid."),
        ({"status": "retired"}, "The selected status is invalid."),
        ({"hire_date": "15.01.2026"}, "The hire date does not match the format Y-m-d."),
        ({"email": "not-an-email"}, "The email must be a valid email address."),
    ],
)
def test_invalid_values_are_422_with_the_message(personio: httpx.Client, extra: dict[str, Any], message: str) -> None:
    response = personio.post("/v1/company/employees", json=employee(**extra), headers=bearer(personio))

    assert error(response) == (422, message)


def test_a_duplicate_email_is_refused_in_any_case(personio: httpx.Client) -> None:
    headers = bearer(personio)
    assert personio.post("/v1/company/employees", json=employee(), headers=headers).status_code == 200

    again = personio.post("/v1/company/employees", json=employee("ADA@example.com"), headers=headers)

    assert error(again) == (422, "The email has already been taken.")
    assert len(records(personio)) == 1


def test_a_supervisor_that_exists_is_accepted(personio: httpx.Client) -> None:
    headers = bearer(personio)
    boss = personio.post("/v1/company/employees", json=employee("boss@example.com"), headers=headers).json()
    response = personio.post("/v1/company/employees", json=employee(supervisor_id=boss["data"]["id"]), headers=headers)
    assert response.status_code == 200


def test_status_follows_the_hire_date_unless_given(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.post("/v1/company/employees", json=employee("past@example.com", hire_date="2020-01-31"), headers=headers)
    personio.post("/v1/company/employees", json=employee("future@example.com", hire_date="2099-01-31"), headers=headers)
    personio.post(
        "/v1/company/employees",
        json=employee("x@example.com", hire_date="2099-01-31", status="active"),
        headers=headers,
    )

    assert [r["status"] for r in records(personio)] == ["active", "onboarding", "active"]


def test_unknown_office_or_department_is_ignored_with_a_meta_error(personio: httpx.Client) -> None:
    response = personio.post(
        "/v1/company/employees", json=employee(office="Atlantis", department="IT"), headers=bearer(personio)
    )

    assert response.status_code == 200
    assert any("Atlantis" in m for m in response.json()["meta"])
    stored = records(personio)[0]
    assert (stored["office"], stored["department"]) == (None, "IT")


# custom attributes ----------------------------------------------------------------------------------------------------


def test_configured_custom_attributes_are_accepted_and_others_refused(personio: httpx.Client) -> None:
    headers = bearer(personio)
    accepted = personio.post(
        "/v1/company/employees",
        json=employee(custom_attributes={"dynamic_1001": "DE12", "dynamic_1002": "single"}),
        headers=headers,
    )
    assert accepted.status_code == 200

    unknown = personio.post(
        "/v1/company/employees",
        json=employee("b@example.com", custom_attributes={"dynamic_9999": "x"}),
        headers=headers,
    )
    assert error(unknown) == (422, "The custom attribute dynamic_9999 is not allowed for these API credentials.")
    bad_option = personio.post(
        "/v1/company/employees",
        json=employee("c@example.com", custom_attributes={"dynamic_1002": "x"}),
        headers=headers,
    )
    assert error(bad_option) == (422, "The selected dynamic_1002 is invalid.")

    added = personio.post("/_sandbox/attributes", json={"uid": 9999, "label": "Shirt size"})
    assert added.json()["key"] == "dynamic_9999"
    retry = personio.post(
        "/v1/company/employees",
        json=employee("b@example.com", custom_attributes={"dynamic_9999": "x"}),
        headers=headers,
    )
    assert retry.status_code == 200


def test_patch_changes_the_sent_attributes_and_keeps_the_rest(personio: httpx.Client) -> None:
    # PATCH /v1/company/employees/{id} {"employee": {...}} -> {"success": true, "data": {"id", "message": "success"}};
    # only the sent attributes change and email cannot be updated (hub.windmill.dev/scripts/personio/17733).
    headers = bearer(personio)
    created = personio.post("/v1/company/employees", json=employee(position="Analyst"), headers=headers)
    employee_id = created.json()["data"]["id"]
    change = {"employee": {"first_name": "Augusta", "email": "other@example.com"}}
    change["employee"]["custom_attributes"] = {"dynamic_1002": "married"}

    response = personio.patch(f"/v1/company/employees/{employee_id}", json=change, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"success": True, "data": {"id": employee_id, "message": "success"}}
    assert response.headers["Authorization"] == headers["Authorization"]
    read = personio.get(f"/v1/company/employees/{employee_id}", headers=headers).json()["data"]["attributes"]
    assert read["first_name"]["value"] == "Augusta"
    assert read["last_name"]["value"] == "Lovelace"
    assert read["position"]["value"] == "Analyst"
    assert read["email"]["value"] == "ada@example.com"
    assert read["dynamic_1002"]["value"] == "married"


def test_patch_of_an_unknown_id_is_404_and_bad_data_is_422(personio: httpx.Client) -> None:
    headers = bearer(personio)
    employee_id = personio.post("/v1/company/employees", json=employee(), headers=headers).json()["data"]["id"]

    unknown = personio.patch("/v1/company/employees/1", json={"employee": {"first_name": "A"}}, headers=headers)
    invalid = personio.patch(
        f"/v1/company/employees/{employee_id}", json={"employee": {"gender": "robot"}}, headers=headers
    )
    anonymous = personio.patch(f"/v1/company/employees/{employee_id}", json={"employee": {"first_name": "A"}})

    assert unknown.status_code == 404
    assert error(unknown)[0] == 404
    assert invalid.status_code == 422
    assert error(invalid) == (422, "The selected gender is invalid.")
    assert anonymous.status_code == 401
    assert [r["first_name"] for r in records(personio)] == ["Ada"]


def test_patch_is_refused_by_the_throttle_switch_without_writing(personio: httpx.Client) -> None:
    headers = bearer(personio)
    employee_id = personio.post("/v1/company/employees", json=employee(), headers=headers).json()["data"]["id"]
    personio.put("/_sandbox/faults", json={"throttle_rate": 1, "retry_after_seconds": 3})

    response = personio.patch(
        f"/v1/company/employees/{employee_id}", json={"employee": {"first_name": "Augusta"}}, headers=headers
    )

    assert response.status_code == 429
    assert [r["first_name"] for r in records(personio)] == ["Ada"]


def test_attributes_lists_standard_and_custom_keys(personio: httpx.Client) -> None:
    headers = bearer(personio)
    for path in ("/v1/company/employees/attributes", "/v1/company/employees/custom-attributes"):
        keys = [a["key"] for a in personio.get(path, headers=headers).json()["data"]]
        assert {"first_name", "email", "dynamic_1001", "dynamic_1003"} <= set(keys)


# look-up ------------------------------------------------------------------------------------------------------------


def test_lookup_by_email_is_still_a_list(personio: httpx.Client) -> None:
    headers = bearer(personio)
    created = personio.post(
        "/v1/company/employees", json=employee(custom_attributes={"dynamic_1001": "DE12"}), headers=headers
    ).json()
    personio.post("/v1/company/employees", json=employee("grace@example.com"), headers=headers)

    found = personio.get("/v1/company/employees", params={"email": "Ada@Example.com"}, headers=headers).json()

    assert found["success"] is True
    assert found["metadata"]["total_elements"] == 1
    attributes = found["data"][0]["attributes"]
    assert found["data"][0]["type"] == "Employee"
    assert attributes["id"]["value"] == created["data"]["id"]
    assert attributes["email"] == {
        "label": "Email",
        "value": "ada@example.com",
        "type": "standard",
        "universal_id": "email",
    }
    assert attributes["hire_date"]["value"].startswith("2026-01-15T00:00:00+01:00")
    assert attributes["dynamic_1001"]["value"] == "DE12"
    none = personio.get("/v1/company/employees", params={"email": "nobody@example.com"}, headers=headers).json()
    assert (none["data"], none["metadata"]["total_elements"]) == ([], 0)


def test_list_pagination_projection_and_single_read(personio: httpx.Client) -> None:
    headers = bearer(personio)
    ids = [
        personio.post("/v1/company/employees", json=employee(f"p{i}@example.com"), headers=headers).json()["data"]["id"]
        for i in range(3)
    ]

    page = personio.get("/v1/company/employees", params={"limit": 2, "offset": 2}, headers=headers).json()
    assert [e["attributes"]["id"]["value"] for e in page["data"]] == ids[2:]
    assert page["metadata"]["total_elements"] == 3
    assert page["limit"] == 2
    projected = personio.get("/v1/company/employees", params={"attributes[]": ["first_name"]}, headers=headers).json()
    assert set(projected["data"][0]["attributes"]) == {"id", "first_name"}
    assert personio.get("/v1/company/employees", params={"limit": 500}, headers=headers).json()["limit"] == 100

    one = personio.get(f"/v1/company/employees/{ids[0]}", headers=headers).json()
    assert one["data"]["attributes"]["email"]["value"] == "p0@example.com"
    assert error(personio.get("/v1/company/employees/1", headers=headers))[0] == 404


def test_updated_since_ignores_the_email_filter(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.post("/v1/company/employees", json=employee(), headers=headers)
    personio.post("/v1/company/employees", json=employee("grace@example.com"), headers=headers)

    found = personio.get(
        "/v1/company/employees", params={"updated_since": "2020-01-01", "email": "nobody@example.com"}, headers=headers
    ).json()
    assert len(found["data"]) == 2


def test_the_employees_list_has_its_own_rate_limit(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/settings", json={"employees_limit_per_minute": 1})

    first = personio.get("/v1/company/employees", headers=headers)
    second = personio.get("/v1/company/employees", headers=headers)

    assert (first.status_code, second.status_code) == (200, 429)
    assert personio.post("/v1/company/employees", json=employee(), headers=headers).status_code == 200


# fault switches -----------------------------------------------------------------------------------------------------


def test_throttle_answers_429_with_retry_after_and_writes_nothing(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"throttle_rate": 1, "retry_after_seconds": 4})

    response = personio.post("/v1/company/employees", json=employee(), headers=headers)
    auth = personio.post("/v1/auth", json=CREDENTIALS)

    assert (response.status_code, response.headers["Retry-After"]) == (429, "4")
    assert (auth.status_code, auth.headers["Retry-After"]) == (429, "4")
    assert counters(personio)["auth_requests"] == 2
    assert records(personio) == []


def test_rate_limit_bucket_throttles_the_call_beyond_it(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"rate_limit_per_second": 0.01})

    statuses = [personio.get("/v1/company/employees", headers=headers).status_code for _ in range(2)]

    assert statuses == [200, 429]


def test_error_switch_answers_5xx_without_writing(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"error_rate": 1})

    responses = [personio.post("/v1/company/employees", json=employee(), headers=headers) for _ in range(6)]

    assert {r.status_code for r in responses} <= {500, 502, 503}
    assert all(r.json()["success"] is False for r in responses)
    assert records(personio) == []


def test_timeout_switch_answers_504_or_outlasts_the_client(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 0})
    assert personio.post("/v1/company/employees", json=employee(), headers=headers).status_code == 504

    personio.put("/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 3})
    with pytest.raises(httpx.ReadTimeout):
        personio.get("/v1/company/employees", headers=headers, timeout=0.5)
    assert records(personio) == []


def test_dropped_response_after_commit_leaves_the_employee_created(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"drop_after_commit_rate": 1})

    with pytest.raises(httpx.TransportError):
        personio.post("/v1/company/employees", json=employee(), headers=headers)

    personio.put("/_sandbox/faults", json={})
    found = personio.get("/v1/company/employees", params={"email": "ada@example.com"}, headers=headers).json()
    assert len(found["data"]) == 1


def test_latency_delays_but_still_answers(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.put("/_sandbox/faults", json={"latency_ms": 20, "latency_jitter_ms": 10})
    assert personio.post("/v1/company/employees", json=employee(), headers=headers).status_code == 200

    personio.put("/_sandbox/faults", json={"latency_ms": 3000})
    with pytest.raises(httpx.ReadTimeout):
        personio.get("/v1/company/employees", headers=headers, timeout=0.5)


def test_reset_forgets_employees_tokens_settings_and_attributes(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.post("/v1/company/employees", json=employee(), headers=headers)
    personio.post("/_sandbox/attributes", json={"uid": 7, "label": "Extra"})
    personio.put("/_sandbox/settings", json={"auth_limit_per_minute": 1})

    assert personio.post("/_sandbox/reset").status_code == 200

    assert records(personio) == []
    assert counters(personio)["auth_requests"] == 0
    assert personio.get("/_sandbox/settings").json()["auth_limit_per_minute"] == 60
    assert "dynamic_7" not in [a["key"] for a in personio.get("/_sandbox/attributes").json()]
    assert personio.get("/v1/company/employees", headers=headers).status_code == 403


def test_calls_are_journaled_with_the_authorization_redacted(personio: httpx.Client) -> None:
    headers = bearer(personio)
    personio.post("/v1/company/employees", json=employee(), headers=headers)

    calls = personio.get("/_sandbox/requests").json()["requests"]
    assert [(c["method"], c["path"]) for c in calls] == [("POST", "/v1/auth"), ("POST", "/v1/company/employees")]
    assert calls[1]["headers"]["authorization"] == "[redacted]"
    assert '"ada@example.com"' in calls[1]["body"]
