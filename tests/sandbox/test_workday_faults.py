"""The Workday simulator's WS-Security check and the shared fault switches, over a real socket."""

# ruff: noqa: F401, F811 - ``workday`` is the fixture imported from test_workday_simulator

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.test_workday_simulator import (
    STAFFING,
    applicant_data,
    call,
    envelope,
    fault,
    get_by_email,
    put_applicant,
    records,
    workday,
)

AUTH_FAULT = ("SOAP-ENV:Client.authenticationError", "invalid username or password", [])
DIGEST = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest"


@pytest.mark.parametrize(
    ("user", "password", "kind"),
    [
        ("ISU_HIREBRIDGE@demo", "wrong-password", None),
        ("ISU_HIREBRIDGE@other_tenant", "sandbox-password", None),
        ("ISU_HIREBRIDGE", "sandbox-password", None),
        ("SOMEONE_ELSE@demo", "sandbox-password", None),
        ("ISU_HIREBRIDGE@demo", "sandbox-password", DIGEST),
    ],
)
def test_bad_credentials_are_an_authentication_fault_and_write_nothing(
    workday: httpx.Client, user: str, password: str, kind: str | None
) -> None:
    extra = {"kind": kind} if kind else {}
    response = call(workday, put_applicant(applicant_data()), user=user, password=password, **extra)

    assert fault(response) == AUTH_FAULT
    assert records(workday, "pre_hire") == []


def test_a_call_without_the_security_header_or_to_another_tenant_is_refused(workday: httpx.Client) -> None:
    no_header = envelope(put_applicant(applicant_data())).split("<soapenv:Header>")[0] + (
        "<soapenv:Body>" + put_applicant(applicant_data()) + "</soapenv:Body></soapenv:Envelope>"
    )
    response = workday.post(STAFFING, content=no_header, headers={"Content-Type": "text/xml"})
    assert fault(response) == AUTH_FAULT

    other_tenant = call(workday, put_applicant(applicant_data()), path="/ccx/service/acme/Staffing/v31.2")
    assert fault(other_tenant) == AUTH_FAULT
    assert records(workday, "pre_hire") == []


def test_not_xml_and_a_doctype_are_client_faults(workday: httpx.Client) -> None:
    broken = workday.post(STAFFING, content=b"<soapenv:Envelope", headers={"Content-Type": "text/xml"})
    code, text, _ = fault(broken)
    assert code == "SOAP-ENV:Client"
    assert text.startswith("The request is not well-formed XML")

    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    code, text, _ = fault(workday.post(STAFFING, content=entity, headers={"Content-Type": "text/xml"}))
    assert (code, text) == ("SOAP-ENV:Client", "A DOCTYPE is not allowed in a SOAP message")


def test_another_version_is_not_served(workday: httpx.Client) -> None:
    response = call(workday, get_by_email("a@example.com"), path="/ccx/service/demo/Staffing/v44.0")
    assert response.status_code == 404


# fault switches ---------------------------------------------------------------------------------------------------


def test_throttle_answers_429_with_retry_after_and_writes_nothing(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"throttle_rate": 1, "retry_after_seconds": 7})

    response = call(workday, put_applicant(applicant_data()))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert workday.get("/_sandbox/faults").json()["counters"]["throttle"] == 1
    assert records(workday, "pre_hire") == []


def test_throttle_status_503_is_a_setting(workday: httpx.Client) -> None:
    assert workday.put("/_sandbox/settings", json={"throttle_status": 503}).json()["throttle_status"] == 503
    workday.put("/_sandbox/faults", json={"throttle_rate": 1, "retry_after_seconds": 2})

    response = call(workday, get_by_email("a@example.com"))

    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")
    workday.post("/_sandbox/reset")
    assert workday.get("/_sandbox/settings").json()["throttle_status"] == 429


def test_rate_limit_bucket_throttles_the_call_beyond_it(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"rate_limit_per_second": 0.01})

    statuses = [call(workday, get_by_email("a@example.com")).status_code for _ in range(2)]

    assert statuses == [200, 429]
    assert workday.get("/_sandbox/faults").json()["counters"]["rate_limited"] == 1


def test_error_switch_answers_5xx_without_writing(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"error_rate": 1})

    responses = [call(workday, put_applicant(applicant_data())) for _ in range(8)]

    assert {r.status_code for r in responses} <= {500, 502, 503}
    for response in responses:
        if response.status_code == 500:
            code, _text, _ = fault(response)
            assert code == "SOAP-ENV:Server"
            assert "Processing_Fault" in response.text
    assert records(workday, "pre_hire") == []


def test_timeout_switch_writes_nothing_and_answers_504(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"timeout_rate": 1, "timeout_seconds": 0})

    assert call(workday, put_applicant(applicant_data())).status_code == 504
    assert records(workday, "pre_hire") == []


def test_dropped_response_after_commit_leaves_the_pre_hire_created(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"drop_after_commit_rate": 1})

    with pytest.raises(httpx.TransportError):
        call(workday, put_applicant(applicant_data(applicant_id="HB-LOST")))

    assert [r["applicantId"] for r in records(workday, "pre_hire")] == ["HB-LOST"]
    assert workday.get("/_sandbox/faults").json()["counters"]["dropped_after_commit"] == 1


def test_reads_are_never_dropped(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"drop_after_commit_rate": 1})

    assert call(workday, get_by_email("a@example.com")).status_code == 200


def test_latency_delays_but_still_answers(workday: httpx.Client) -> None:
    workday.put("/_sandbox/faults", json={"latency_ms": 20, "latency_jitter_ms": 10})

    assert call(workday, put_applicant(applicant_data())).status_code == 200
    assert len(records(workday, "pre_hire")) == 1


def test_reset_forgets_pre_hires_workers_and_faults(workday: httpx.Client) -> None:
    call(workday, put_applicant(applicant_data()))
    workday.put("/_sandbox/faults", json={"error_rate": 0.5})

    assert workday.post("/_sandbox/reset").status_code == 200

    assert workday.get("/_sandbox/records").json() == {"count": 0, "records": []}
    assert workday.get("/_sandbox/faults").json()["switches"]["error_rate"] == 0
    tenant = workday.get("/_sandbox/tenant").json()
    assert not any(p["filled"] for p in tenant["positions"])
