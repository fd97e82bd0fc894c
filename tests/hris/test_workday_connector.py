"""The Workday connector against the Workday simulator over a real socket; every SOAP request it sends is checked
against the pinned v31.2 XSDs (the envelope with SOAP 1.1 + WS-Security, the Body's element with Staffing.xsd)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from lxml import etree

from hirebridge.connectors.base import Hire, RemoteRef
from hirebridge.connectors.errors import AuthError, OutcomeUnknownError, RejectedError, RetryableError
from hirebridge.connectors.workday.mapping import applicant_id, employee_id
from hirebridge.connectors.workday.soap import WorkdayValidationError
from hirebridge.sandbox.workday.app import create_app
from tests.hris.workday_helpers import HIRE_SETTINGS, SOAP_ENV, Recorder, connector, records, schema_errors
from tests.support.servers import serve


@dataclass
class Workday:
    base_url: str
    app: Any
    recorder: Recorder

    def connector(self, **kwargs: Any) -> Any:
        made, _ = connector(self.base_url, self.recorder, **kwargs)
        return made

    def faults(self, **switches: Any) -> None:
        assert httpx.put(f"{self.base_url}/_sandbox/faults", json=switches, timeout=10).status_code == 200


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    kept = Recorder()
    yield kept
    kept.close()


@pytest.fixture
def workday() -> Iterator[Workday]:
    recorder = Recorder()
    app = create_app(seed=7)
    try:
        with serve(app) as base_url:
            yield Workday(base_url, app, recorder)
    finally:
        recorder.close()
    # Every request any test sent must be one Workday's schema accepts.
    assert recorder.bodies, "the test sent nothing"
    for body in recorder.bodies:
        assert schema_errors(body) == [], body.decode()[:3000]


def hire(n: int = 1, **changes: Any) -> Hire:
    values: dict[str, Any] = {
        "candidate_id": f"00000000-0000-4000-8000-{n:012d}",
        "application_id": f"10000000-0000-4000-8000-{n:012d}",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"ada.{n}@example.com",
        "phone": "+1 555 0100",
        "job_title": "Staff Engineer",
        "start_date": datetime.date(2030, 1, 6),
    }
    return Hire(**(values | changes))


def test_create_puts_one_pre_hire_under_our_applicant_id_and_a_replay_updates_it(workday: Workday) -> None:
    wd = workday.connector()
    ada = hire()
    first = wd.create(wd.build_payload(ada))
    assert first == RemoteRef(applicant_id(ada.candidate_id), kind="pre_hire")
    again = wd.create(wd.build_payload(ada))  # a replayed create (its answer was lost, say)
    assert again == first
    [pre_hire] = records(workday.base_url)
    assert pre_hire["kind"] == "pre_hire"
    assert pre_hire["applicantId"] == first.remote_id
    assert (pre_hire["firstName"], pre_hire["lastName"], pre_hire["emails"]) == (
        "Ada",
        "Lovelace",
        ["ada.1@example.com"],
    )
    assert workday.recorder.urls[0] == f"{workday.base_url}/ccx/service/demo/Staffing/v31.2"


def test_a_re_push_updates_the_pre_hire(workday: Workday) -> None:
    wd = workday.connector()
    made = wd.create(wd.build_payload(hire()))
    status = wd.update(made.remote_id, wd.build_payload(hire(last_name="Byron", email="ada.byron@example.com")))
    assert status == 200
    [pre_hire] = records(workday.base_url)
    assert (pre_hire["lastName"], pre_hire["emails"]) == ("Byron", ["ada.byron@example.com"])


def test_look_up_after_a_lost_put_applicant_finds_the_pre_hire_instead_of_adding_another(workday: Workday) -> None:
    wd = workday.connector()
    ada = hire()
    workday.faults(drop_after_commit_rate=1)
    with pytest.raises(OutcomeUnknownError):
        wd.create(wd.build_payload(ada))
    workday.faults()
    assert wd.can_find(hire(email=None))  # our Applicant_ID is a key even without an email
    assert wd.find_existing(ada) == RemoteRef(applicant_id(ada.candidate_id), kind="pre_hire")
    assert len(records(workday.base_url)) == 1
    assert wd.find_existing(hire(2)) is None


def test_look_up_by_email_finds_a_pre_hire_made_in_workday_by_someone_else(workday: Workday) -> None:
    wd = workday.connector()
    other = wd.create(wd.build_payload(hire(9, email="grace@example.com")))
    found = wd.find_existing(hire(3, email="GRACE@example.com"))
    assert found == RemoteRef(other.remote_id, kind="pre_hire")
    # An update of that pre-hire goes by its reference and keeps its Applicant_ID.
    assert wd.update(other.remote_id, wd.build_payload(hire(3, first_name="Grace"))) == 200
    [pre_hire] = records(workday.base_url)
    assert (pre_hire["applicantId"], pre_hire["firstName"]) == (other.remote_id, "Grace")


def test_hire_on_push_hires_the_pre_hire_and_the_ref_keeps_both_ids(workday: Workday) -> None:
    wd = workday.connector(settings=HIRE_SETTINGS)
    ada = hire()
    made = wd.create(wd.build_payload(ada))
    assert made == RemoteRef(employee_id(ada.candidate_id), kind="employee", pre_hire_id=applicant_id(ada.candidate_id))
    [worker] = records(workday.base_url, "worker")
    [pre_hire] = records(workday.base_url, "pre_hire")
    assert worker["employeeId"] == made.remote_id
    assert worker["applicantId"] == made.pre_hire_id
    assert (worker["positionId"], worker["employeeTypeId"], worker["hireDate"]) == ("P-00101", "Regular", "2030-01-06")
    assert pre_hire["hired"] is True
    assert workday.recorder.operations() == ["Put_Applicant_Request", "Hire_Employee_Request"]


def test_a_re_push_after_the_hire_updates_the_pre_hire_and_hires_no_one_again(workday: Workday) -> None:
    wd = workday.connector(settings=HIRE_SETTINGS)
    made = wd.create(wd.build_payload(hire()))
    updated = wd.update(made.remote_id, wd.build_payload(hire(first_name="Augusta")))
    assert updated == made
    assert len(records(workday.base_url, "pre_hire")) == 1
    assert len(records(workday.base_url, "worker")) == 1
    assert records(workday.base_url, "pre_hire")[0]["firstName"] == "Augusta"
    assert "Hire_Employee_Request" not in workday.recorder.operations()[2:]


def test_a_pre_hire_is_hired_by_the_re_push_once_the_connection_hires(workday: Workday) -> None:
    pre_hire = workday.connector().create(workday.connector().build_payload(hire()))
    wd = workday.connector(settings=HIRE_SETTINGS)
    hired = wd.update(pre_hire.remote_id, wd.build_payload(hire()))
    assert isinstance(hired, RemoteRef)
    assert (hired.kind, hired.pre_hire_id) == ("employee", pre_hire.remote_id)
    assert len(records(workday.base_url, "worker")) == 1


def test_after_a_lost_hire_employee_the_look_up_adopts_the_worker(workday: Workday) -> None:
    wd = workday.connector(settings=HIRE_SETTINGS)
    ada = hire()
    drops = iter([False, True])  # Put_Applicant answers; Hire_Employee commits and loses its answer
    workday.app.state.faults.drop_this_write = lambda: next(drops, False)
    with pytest.raises(OutcomeUnknownError):
        wd.create(wd.build_payload(ada))
    expected = RemoteRef(employee_id(ada.candidate_id), kind="employee", pre_hire_id=applicant_id(ada.candidate_id))
    assert wd.find_existing(ada) == expected
    # A replayed create instead: Workday says "already hired", and the worker is adopted.
    assert wd.create(wd.build_payload(ada)) == expected
    assert len(records(workday.base_url, "worker")) == 1
    assert len(records(workday.base_url, "pre_hire")) == 1


def test_with_hire_on_push_a_found_pre_hire_not_yet_hired_is_created_again_which_hires_it(workday: Workday) -> None:
    wd = workday.connector(settings=HIRE_SETTINGS)
    ada = hire()
    workday.faults(drop_after_commit_rate=1)
    with pytest.raises(OutcomeUnknownError):
        wd.create(wd.build_payload(ada))  # the Put_Applicant is committed, its answer lost: no hire yet
    workday.faults()
    assert wd.find_existing(ada) is None  # so the push creates again: same Applicant_ID, then the hire
    assert wd.create(wd.build_payload(ada)).kind == "employee"
    assert len(records(workday.base_url, "pre_hire")) == 1


def test_a_validation_fault_is_rejected_with_workdays_message_and_xpath(workday: Workday) -> None:
    wd = workday.connector()
    with pytest.raises(WorkdayValidationError) as refused:
        wd.create(wd.build_payload(hire(email="ada-at-example")))
    assert "Email addresses must be in the format" in refused.value.message
    assert "(at /wd:Put_Applicant_Request[1]/" in refused.value.message
    assert refused.value.problems[0].xpath is not None
    assert refused.value.http_status == 500
    assert records(workday.base_url) == []


def test_a_hire_into_an_unknown_position_names_the_reference(workday: Workday) -> None:
    wd = workday.connector(settings=HIRE_SETTINGS | {"positionId": "P-99999"})
    with pytest.raises(RejectedError) as refused:
        wd.create(wd.build_payload(hire()))
    assert "Invalid ID value. 'P-99999' is not a valid ID value for type = 'Position_ID'" in refused.value.message
    assert "Position_Reference" in refused.value.message


def test_a_wrong_password_is_an_auth_failure(workday: Workday) -> None:
    wd = workday.connector(credentials={"tenant": "demo", "username": "ISU_HIREBRIDGE", "password": "wrong"})
    with pytest.raises(AuthError):
        wd.find_existing(hire())
    with pytest.raises(AuthError):
        wd.create(wd.build_payload(hire()))
    other_tenant = workday.connector(credentials={"tenant": "acme", "username": "ISU_HIREBRIDGE", "password": "x"})
    with pytest.raises(AuthError):
        other_tenant.create(other_tenant.build_payload(hire()))


def test_credentials_missing_a_field_fail_as_auth_without_a_call(recorder: Recorder) -> None:
    wd, _ = connector("http://127.0.0.1:9", recorder, credentials={"tenant": "demo", "username": "x"})
    with pytest.raises(AuthError) as refused:
        wd.create(wd.build_payload(hire()))
    assert "password" in refused.value.message
    assert recorder.bodies == []


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_is_retryable_after_retry_after(workday: Workday, status: int) -> None:
    assert httpx.put(f"{workday.base_url}/_sandbox/settings", json={"throttle_status": status}).status_code == 200
    workday.faults(throttle_rate=1, retry_after_seconds=7)
    wd = workday.connector()
    with pytest.raises(RetryableError) as throttled:
        wd.create(wd.build_payload(hire()))
    assert not isinstance(throttled.value, OutcomeUnknownError)
    assert (throttled.value.http_status, throttled.value.retry_after) == (status, 7.0)
    workday.faults()
    assert wd.create(wd.build_payload(hire())).kind == "pre_hire"


def test_server_errors_are_retryable_and_a_write_answered_500_may_have_been_applied(workday: Workday) -> None:
    workday.faults(error_rate=1)
    wd = workday.connector()
    seen: set[int | None] = set()
    for _ in range(12):
        with pytest.raises(RetryableError) as failed:
            wd.find_existing(hire())
        assert not isinstance(failed.value, OutcomeUnknownError)  # a read is simply retried
        seen.add(failed.value.http_status)
        with pytest.raises(RetryableError) as failed:
            wd.create(wd.build_payload(hire()))
        # A SOAP Server fault (500) may come after a write: the outcome is unknown. 502/503 applied nothing.
        assert isinstance(failed.value, OutcomeUnknownError) == (failed.value.http_status == 500)
    assert 500 in seen
    workday.faults()
    assert wd.create(wd.build_payload(hire())).kind == "pre_hire"


def test_a_timeout_after_sending_a_write_leaves_its_outcome_unknown(workday: Workday) -> None:
    workday.faults(timeout_rate=1, timeout_seconds=3)
    wd = workday.connector(timeout=0.5)
    with pytest.raises(OutcomeUnknownError):
        wd.create(wd.build_payload(hire()))
    with pytest.raises(RetryableError) as read:
        wd.find_existing(hire())
    assert not isinstance(read.value, OutcomeUnknownError)
    workday.faults()


def test_the_preview_is_the_put_applicant_with_the_password_redacted(workday: Workday) -> None:
    wd = workday.connector()
    prepared = wd.preview(hire())
    assert prepared is not None
    assert (prepared.method, prepared.url) == ("POST", f"{workday.base_url}/ccx/service/demo/Staffing/v31.2")
    assert "sandbox-password" not in prepared.body
    assert "[redacted]" in prepared.body
    assert schema_errors(prepared.body.encode()) == []
    wd.find_existing(hire())  # the fixture wants one real call to check
    assert etree.fromstring(prepared.body.encode()).find(f"{{{SOAP_ENV}}}Body") is not None


def test_settings_missing_a_hire_reference_are_refused_before_anything_is_sent(recorder: Recorder) -> None:
    wd, _ = connector("http://127.0.0.1:9", recorder, settings={"hireOnPush": True, "employeeTypeId": "Regular"})
    with pytest.raises(RejectedError) as refused:
        wd.build_payload(hire())
    assert "positionId or jobRequisitionId" in refused.value.message
    wd, _ = connector("http://127.0.0.1:9", recorder, settings=HIRE_SETTINGS)
    with pytest.raises(RejectedError, match="start date"):
        wd.build_payload(hire(start_date=None))
    assert recorder.bodies == []
