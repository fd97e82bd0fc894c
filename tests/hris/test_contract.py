"""The connector contract (``contract.CASES``) for every kit, in one parametrised test; then what is particular to one
vendor, against the same simulators."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from hirebridge.connectors.errors import RejectedError, RetryableError
from hirebridge.connectors.registry import CONNECTORS
from tests.hris.contract import CASES, Case, Service, Simulator, bad_credentials, create, look_up, running
from tests.hris.helpers import a_hire
from tests.hris.kits import Kit, _bamboohr, _bob, bamboohr_v1, kits


@pytest.fixture(params=kits(), ids=lambda make: make().system + make().base_path.replace("/", "-"))
def kit(request: pytest.FixtureRequest) -> Kit:
    make: Callable[[], Kit] = request.param
    return make()


@pytest.fixture
def sim(kit: Kit) -> Iterator[Simulator]:
    with running(kit) as simulator:
        yield simulator


def test_every_connector_has_a_kit() -> None:
    assert {make().system for make in kits()} == set(CONNECTORS)


@pytest.mark.parametrize("contract_case", CASES, ids=lambda case: case.__name__)
def test_contract(sim: Simulator, contract_case: Callable[[Case], None], request: pytest.FixtureRequest) -> None:
    def service() -> Service:
        return Service(
            ats=request.getfixturevalue("ats"),
            runtime=request.getfixturevalue("runtime"),
            org=request.getfixturevalue("org"),
        )

    contract_case(Case(sim, service))


# -- BambooHR ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("wire_case", [create, look_up, bad_credentials], ids=lambda case: case.__name__)
def test_bamboohr_wire_cases_through_the_api_v1_url_form(wire_case: Callable[[Case], None]) -> None:
    with running(bamboohr_v1()) as sim:
        wire_case(Case(sim, service=lambda: pytest.fail("a wire case needs no service")))
        journal = sim.admin.get("/_sandbox/requests").json()["requests"]
    assert journal
    assert all(call["path"].startswith("/api/v1/") for call in journal)


def test_bamboohr_updates_through_the_api_v1_url_form_and_never_touch_employee_0() -> None:
    with running(bamboohr_v1()) as sim, sim.connector() as connector:
        hire = a_hire()
        ref = connector.create(connector.build_payload(hire))
        connector.update(ref.remote_id, connector.build_payload(dataclasses.replace(hire, first_name="Augusta")))
        [record] = sim.hires()
        with pytest.raises(RejectedError, match="not a BambooHR employee id"):
            connector.update("0", connector.build_payload(hire))
    assert record["firstName"] == "Augusta"


def test_bamboohr_refuses_a_second_employee_with_the_same_work_email_in_its_own_words() -> None:
    with running(_bamboohr()) as sim, sim.connector() as connector:
        first = a_hire()
        connector.create(connector.build_payload(first))
        with pytest.raises(RejectedError) as caught:
            connector.create(connector.build_payload(a_hire(email=(first.email or "").upper())))
        assert len(sim.hires()) == 1
    assert caught.value.http_status == 409
    assert "BambooHR refused a duplicate" not in caught.value.message  # the header's text, not our fallback
    assert caught.value.endpoint == "POST /api/gateway.php/acme/v1/employees/"


def test_bamboohr_throttling_is_a_429_whose_retry_after_is_honoured_and_503_is_retried_too() -> None:
    with running(_bamboohr()) as sim, sim.connector() as connector:
        sim.faults(throttle_rate=1, retry_after_seconds=7)
        with pytest.raises(RetryableError) as throttled:
            connector.find_existing(a_hire())
        sim.faults(error_rate=1, retry_after_seconds=3)
        statuses = set()
        for _ in range(12):
            with pytest.raises(RetryableError) as failed:
                connector.find_existing(a_hire())
            statuses.add(failed.value.http_status)
            if failed.value.http_status == 503:
                assert (type(failed.value), failed.value.retry_after) == (RetryableError, 3.0)
    assert (throttled.value.http_status, throttled.value.retry_after) == (429, 7.0)
    assert 503 in statuses


def test_bamboohr_employee_limit_is_final_with_bamboohrs_words_even_in_the_typo_header() -> None:
    with running(_bamboohr()) as sim, sim.connector() as connector:
        sim.admin.put(
            "/_sandbox/settings", json={"employee_limit": 0, "error_header_spelling": "typo"}
        ).raise_for_status()
        with pytest.raises(RejectedError) as caught:
            connector.create(connector.build_payload(a_hire()))
        assert sim.hires() == []
    assert type(caught.value) is RejectedError
    assert caught.value.http_status == 429
    assert "employee limit" in caught.value.message
    assert "(HTTP 429)" not in caught.value.message  # read from X-BambooHR-Error-Messsage, not our fallback


# -- Bob --------------------------------------------------------------------------------------------------------------


def test_bob_reads_lag_writes_so_a_look_up_right_after_create_misses() -> None:
    kit = dataclasses.replace(_bob(), prepare=lambda admin: None)  # keep the simulator's 20 s lag
    with running(kit) as sim, sim.connector() as connector:
        hire = a_hire()
        created = connector.create(connector.build_payload(hire))
        assert connector.find_existing(hire) is None
        assert len(sim.hires()) == 1
    assert type(connector).read_lag_seconds > 20
    assert created.remote_id


def test_bob_update_that_changes_nothing_is_a_success() -> None:
    with running(_bob()) as sim, sim.connector() as connector:
        hire = a_hire()
        ref = connector.create(connector.build_payload(hire))
        again = dataclasses.replace(hire, first_name="Augusta")
        assert connector.update(ref.remote_id, connector.build_payload(again)) == 200
        assert connector.update(ref.remote_id, connector.build_payload(again)) == 304


def test_bob_create_with_a_taken_email_adopts_that_employee_and_brings_it_up_to_date() -> None:
    with running(_bob()) as sim, sim.connector() as connector:
        hire = a_hire()
        first = connector.create(connector.build_payload(hire))
        twin = dataclasses.replace(hire, first_name="Augusta", email=(hire.email or "").upper())
        adopted = connector.create(connector.build_payload(twin))
        [record] = sim.hires()
    assert adopted.remote_id == first.remote_id
    assert record["firstName"] == "Augusta"
