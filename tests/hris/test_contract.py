"""The connector contract, run against each vendor's simulator over a real socket."""

from __future__ import annotations

import dataclasses
import functools
import importlib
from typing import Any

import pytest

from hirebridge.connectors.errors import AuthError, OutcomeUnknownError, RejectedError, RetryableError
from tests.hris.contract import Simulator, Vendor, running
from tests.hris.helpers import a_hire


def _bob() -> Vendor:
    from hirebridge.sandbox.bob.app import create_app

    return Vendor(
        system="bob",
        make_app=create_app,
        credentials={"serviceUserId": "SERVICE-USER", "token": "sandbox-token"},
        bad_credentials={"serviceUserId": "SERVICE-USER", "token": "wrong-token"},
        settings={},
        refused_hire=lambda: a_hire(location="Atlantis"),
        refusal_says="Atlantis",
        first_name_of=lambda record: record.get("firstName"),
        lags=True,
    )


def _bamboohr() -> Vendor:
    app = importlib.import_module("hirebridge.sandbox.bamboohr.app")
    return Vendor(
        system="bamboohr",
        make_app=functools.partial(app.create_app, company_domain="acme", api_key="sandbox-api-key"),
        credentials={"companyDomain": "acme", "apiKey": "sandbox-api-key"},
        bad_credentials={"companyDomain": "acme", "apiKey": "wrong-key"},
        settings={},
        refused_hire=lambda: a_hire(email="not-an-email"),
        refusal_says="workEmail",
        first_name_of=lambda record: record.get("firstName"),
    )


def _vendor_params() -> list[Any]:
    params = [pytest.param(_bob, id="bob")]
    try:
        importlib.import_module("hirebridge.sandbox.bamboohr.app")
    except ImportError:
        params.append(
            pytest.param(_bamboohr, id="bamboohr", marks=pytest.mark.skip(reason="no BambooHR simulator yet"))
        )
    else:
        params.append(pytest.param(_bamboohr, id="bamboohr"))
    return params


@pytest.fixture(params=_vendor_params())
def vendor(request: pytest.FixtureRequest) -> Vendor:
    make: Any = request.param
    made: Vendor = make()
    return made


@pytest.fixture
def sim(vendor: Vendor) -> Any:
    options = {"read_lag_seconds": 0} if vendor.lags else {}
    with running(vendor, **options) as simulator:
        yield simulator


def test_create_returns_the_remote_id_and_the_record_holds_the_hire(sim: Simulator) -> None:
    connector, http = sim.connector()
    with http:
        ref = connector.create(connector.build_payload(a_hire()))
    assert ref.remote_id
    assert ref.kind == "employee"
    assert sim.vendor.first_name_of(sim.record(ref.remote_id)) == "Ada"


def test_find_existing_finds_a_future_hire_by_email_in_any_case(sim: Simulator) -> None:
    hire = a_hire()
    connector, http = sim.connector()
    with http:
        assert connector.find_existing(hire) is None
        created = connector.create(connector.build_payload(hire))
        shouted = dataclasses.replace(hire, email=(hire.email or "").upper())
        assert connector.find_existing(shouted) == created
        assert connector.find_existing(a_hire()) is None


def test_update_changes_the_remote_record(sim: Simulator) -> None:
    hire = a_hire()
    connector, http = sim.connector()
    with http:
        ref = connector.create(connector.build_payload(hire))
        connector.update(ref.remote_id, connector.build_payload(dataclasses.replace(hire, first_name="Augusta")))
    assert sim.vendor.first_name_of(sim.record(ref.remote_id)) == "Augusta"


def test_a_vendor_refusal_is_rejected_with_the_vendors_own_words(sim: Simulator) -> None:
    connector, http = sim.connector()
    with http, pytest.raises(RejectedError) as caught:
        connector.create(connector.build_payload(sim.vendor.refused_hire()))
    assert type(caught.value) is RejectedError
    assert caught.value.http_status is not None
    assert 400 <= caught.value.http_status < 500
    assert sim.vendor.refusal_says in caught.value.message
    assert "refused the data (HTTP" not in caught.value.message  # the vendor's text, not our fallback
    assert sim.records() == []


def test_bad_credentials_are_an_auth_failure_on_every_call(sim: Simulator) -> None:
    connector, http = sim.connector(credentials=sim.vendor.bad_credentials)
    with http:
        with pytest.raises(AuthError):
            connector.create(connector.build_payload(a_hire()))
        with pytest.raises(AuthError):
            connector.find_existing(a_hire())
    assert sim.records() == []


def test_credentials_missing_a_field_fail_as_auth_without_a_call(sim: Simulator) -> None:
    connector, http = sim.connector(credentials={"unexpected": "x"})
    with http, pytest.raises(AuthError, match="credentials need a valid"):
        connector.create(connector.build_payload(a_hire()))


def test_throttling_is_retryable_with_a_wait(sim: Simulator) -> None:
    sim.faults(throttle_rate=1, retry_after_seconds=7)
    connector, http = sim.connector()
    with http, pytest.raises(RetryableError) as caught:
        connector.create(connector.build_payload(a_hire()))
    assert type(caught.value) is RetryableError
    assert caught.value.retry_after is not None
    assert 0 <= caught.value.retry_after <= 60
    assert sim.records() == []


def test_server_errors_are_retryable(sim: Simulator) -> None:
    sim.faults(error_rate=1)
    connector, http = sim.connector()
    with http:
        for _ in range(3):
            with pytest.raises(RetryableError) as caught:
                connector.find_existing(a_hire())
            assert type(caught.value) is RetryableError  # a read never leaves an outcome unknown
            assert (caught.value.http_status or 0) >= 500
        with pytest.raises(RetryableError):
            connector.create(connector.build_payload(a_hire()))
    assert sim.records() == []


def test_a_create_whose_answer_is_lost_is_outcome_unknown_and_the_look_up_finds_it(sim: Simulator) -> None:
    hire = a_hire()
    sim.faults(drop_after_commit_rate=1)
    connector, http = sim.connector()
    with http:
        with pytest.raises(OutcomeUnknownError):
            connector.create(connector.build_payload(hire))
        sim.faults()
        found = connector.find_existing(hire)
    [record] = sim.records()
    assert found is not None
    assert found.remote_id == str(record["id"])


def test_a_create_that_times_out_is_outcome_unknown(sim: Simulator) -> None:
    sim.faults(timeout_rate=1, timeout_seconds=1)
    connector, http = sim.connector(timeout=0.3)
    with http, pytest.raises(OutcomeUnknownError):
        connector.create(connector.build_payload(a_hire()))


def test_bob_reads_lag_writes_so_a_look_up_right_after_create_misses() -> None:
    vendor = _bob()
    with running(vendor, read_lag_seconds=20) as sim:
        hire = a_hire()
        connector, http = sim.connector()
        with http:
            created = connector.create(connector.build_payload(hire))
            assert connector.find_existing(hire) is None
        assert [str(r["id"]) for r in sim.records()] == [created.remote_id]
    assert type(connector).read_lag_seconds > 20


def test_bamboohr_refuses_a_second_employee_with_the_same_work_email_in_its_own_words() -> None:
    pytest.importorskip("hirebridge.sandbox.bamboohr.app")
    with running(_bamboohr()) as sim:
        first = a_hire()
        connector, http = sim.connector()
        with http:
            connector.create(connector.build_payload(first))
            twin = a_hire(email=(first.email or "").upper())
            with pytest.raises(RejectedError) as caught:
                connector.create(connector.build_payload(twin))
        assert len(sim.records()) == 1
    assert caught.value.http_status == 409
    assert "BambooHR refused a duplicate" not in caught.value.message  # the header's text, not our fallback


def test_bamboohr_throttle_waits_exactly_as_long_as_retry_after_says() -> None:
    pytest.importorskip("hirebridge.sandbox.bamboohr.app")
    with running(_bamboohr()) as sim:
        sim.faults(throttle_rate=1, retry_after_seconds=7)
        connector, http = sim.connector()
        with http, pytest.raises(RetryableError) as caught:
            connector.find_existing(a_hire())
    assert (caught.value.http_status, caught.value.retry_after) == (429, 7.0)


def test_bamboohr_employee_limit_is_final_and_the_typo_header_is_read() -> None:
    pytest.importorskip("hirebridge.sandbox.bamboohr.app")
    with running(_bamboohr()) as sim:
        sim.admin.put(
            "/_sandbox/settings", json={"employee_limit": 0, "error_header_spelling": "typo"}
        ).raise_for_status()
        connector, http = sim.connector()
        with http, pytest.raises(RejectedError) as caught:
            connector.create(connector.build_payload(a_hire()))
        assert sim.records() == []
    assert type(caught.value) is RejectedError
    assert caught.value.http_status == 429
    assert "employee limit (HTTP 429)" not in caught.value.message  # read from X-BambooHR-Error-Messsage
