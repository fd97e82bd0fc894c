"""``hrisConnection.request`` over real HTTP against the real simulators: a read of the employee a push made and a
create, for every connector; paths that would leave the vendor's API base refused before anything is sent; its own
permission; another organization's connection not found; every call on record without credentials; the outbound
address guard and the connection's rate limit applied as to a push."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from lxml import etree

from hirebridge.app import create_app
from hirebridge.connectors.workday.mapping import get_applicants_request, put_applicant_request
from hirebridge.orgs.models import Organization
from hirebridge.orgs.permissions import ALL_PERMISSIONS
from hirebridge.orgs.service import IssuedCredentials, create_organization, issue_api_key
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.ats.hris_helpers import call, error_code
from tests.hris.contract import Service, Simulator, running
from tests.hris.helpers import a_hire
from tests.hris.kits import Kit, kits
from tests.support.servers import serve

ENDPOINT = "hrisConnection.request"


@pytest.fixture(params=kits(), ids=lambda make: make().system)
def sim(request: pytest.FixtureRequest) -> Iterator[Simulator]:
    make: Callable[[], Kit] = request.param
    with running(make()) as simulator:
        yield simulator


def _connection_id(ats: httpx.Client, sim: Simulator, **changes: Any) -> str:
    body = {
        "system": sim.kit.system,
        "name": f"{sim.kit.system} passthrough",
        "baseUrl": sim.base_url,
        "credentials": sim.kit.credentials,
        "settings": sim.kit.settings,
        "rateLimitPerSecond": 50,
        **changes,
    }
    answer = call(ats, "hrisConnection.create", body)
    assert answer["success"] is True, answer
    return str(answer["results"]["id"])


def _journal(sim: Simulator) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = sim.admin.get("/_sandbox/requests").json()["requests"]
    return calls


def _secrets(kit: Kit) -> list[str]:
    return [
        value
        for key, value in kit.credentials.items()
        if key in ("apiKey", "token", "password", "clientSecret", "privateKeyPem")
    ]


def _xml(element: etree._Element) -> str:
    return bytes(etree.tostring(element)).decode()


# What each vendor's read of an employee and create of one look like as passthrough calls.


def _read_call(system: str, remote_id: str) -> dict[str, Any]:
    if system == "bamboohr":
        return {"method": "GET", "path": f"/employees/{remote_id}?fields=firstName,lastName,workEmail"}
    if system == "bob":  # Bob reads one employee with a POST (its GET form is deprecated)
        return {"method": "POST", "path": f"/people/{remote_id}", "body": {"fields": ["root.firstName", "root.email"]}}
    if system == "workday":
        return {
            "method": "POST",
            "path": "/Staffing/v31.2",
            "body": _xml(get_applicants_request(applicant_id=remote_id)),
        }
    if system == "adp":
        return {"method": "GET", "path": f"/hr/v2/workers/{remote_id}"}
    if system == "personio":
        return {"method": "GET", "path": f"/company/employees/{remote_id}"}
    raise AssertionError(f"no read call for {system}")


def _create_call(sim: Simulator, ats: httpx.Client, connection_id: str) -> dict[str, Any]:
    hire = a_hire(first_name="Grace", last_name="Hopper")
    with sim.connector() as connector:
        payload = connector.build_payload(hire)
    if sim.kit.system == "bamboohr":
        return {"method": "POST", "path": "/employees/", "body": payload}
    if sim.kit.system == "bob":
        return {"method": "POST", "path": "/people", "body": payload}
    if sim.kit.system == "workday":
        return {"method": "POST", "path": "/Staffing/v31.2", "body": _xml(put_applicant_request(payload))}
    if sim.kit.system == "adp":  # the onboarding template, read first with a passthrough GET as the connector does
        from hirebridge.connectors.adp.mapping import with_template

        meta = {"hrisConnectionId": connection_id, "method": "GET", "path": "/hcm/v2/applicant.onboard/meta"}
        answer = call(ats, ENDPOINT, meta)["results"]
        assert answer["status"] == 200, answer
        items = answer["body"]["meta"]["/applicantOnboarding/onboardingTemplateCode"]["codeList"]["listItems"]
        body = with_template(payload, str(items[0]["code"]))
        return {"method": "POST", "path": "/hcm/v2/applicant.onboard", "body": body}
    if sim.kit.system == "personio":
        return {"method": "POST", "path": "/company/employees", "body": payload}
    raise AssertionError(f"no create call for {sim.kit.system}")


def test_reads_what_a_push_made_and_creates_through_the_connection(
    sim: Simulator, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials
) -> None:
    service = Service(ats, runtime, org)
    connection_id = _connection_id(ats, sim)
    hiring = service.hiring()
    push = service.settled(service.start(sim, hiring))
    assert push["state"] == "succeeded", push["errorMessage"]
    seen = len(_journal(sim))

    read = call(ats, ENDPOINT, {"hrisConnectionId": connection_id, **_read_call(sim.kit.system, push["remoteId"])})
    assert read["success"] is True, read
    results = read["results"]
    assert results["status"] == 200
    assert results["hrisConnectionId"] == connection_id
    assert results["system"] == sim.kit.system
    assert results["url"].startswith(sim.base_url)
    shown = json.dumps(results["body"]) if results["bodyFormat"] == "json" else results["body"]
    assert "Ada" in shown
    assert hiring.email.lower() in shown.lower()
    assert results["bodyTruncated"] is False
    assert "content-type" in results["headers"]
    [sent] = _journal(sim)[seen:]  # exactly one call reached the HRIS, with the connection's credentials
    assert sent["method"] == read["results"]["method"]
    if sim.kit.system != "workday":
        assert sent["headers"]["authorization"] == "[redacted]"  # sent, and hidden by the journal

    before = {sim.kit.first_name_of(record) for record in sim.hires()}
    create = _create_call(sim, ats, connection_id)
    created = call(ats, ENDPOINT, {"hrisConnectionId": connection_id, **create})
    assert created["success"] is True, created
    assert created["results"]["status"] in (200, 201), created["results"]
    assert "Grace" not in before
    assert "Grace" in {sim.kit.first_name_of(record) for record in sim.hires()}

    log = call(ats, "hrisConnection.requestLog", {"hrisConnectionId": connection_id})
    assert log["success"] is True, log
    entries = log["results"]
    assert entries[0]["requestId"] == created["results"]["requestId"]
    assert entries[-1]["requestId"] == results["requestId"]
    assert {entry["outcome"] for entry in entries} == {"answered"}
    assert entries[-1]["httpStatus"] == 200
    assert entries[-1]["exchanges"][-1]["url"] == results["url"]
    assert entries[0]["requestedBy"].startswith("apiKey:")
    recorded = json.dumps(log)
    for secret in _secrets(sim.kit):
        assert secret not in recorded
        assert secret not in json.dumps(read) + json.dumps(created)


def test_bob_reads_a_named_list_with_a_get(ats: httpx.Client) -> None:
    kit = next(make() for make in kits() if make().system == "bob")
    with running(kit) as sim:
        connection_id = _connection_id(ats, sim)
        answer = call(
            ats, ENDPOINT, {"hrisConnectionId": connection_id, "method": "get", "path": "/company/named-lists"}
        )
        assert answer["success"] is True, answer
        assert answer["results"]["status"] == 200
        assert answer["results"]["method"] == "GET"
        assert isinstance(answer["results"]["body"], list)


def test_an_hris_refusal_is_answered_as_data(ats: httpx.Client) -> None:
    kit = next(make() for make in kits() if make().system == "bamboohr")
    with running(kit) as sim:
        connection_id = _connection_id(ats, sim)
        answer = call(ats, ENDPOINT, {"hrisConnectionId": connection_id, "method": "GET", "path": "/employees/999999"})
        assert answer["success"] is True, answer
        assert answer["results"]["status"] == 404
        assert answer["results"]["bodyFormat"] in ("json", "text", "empty")


ESCAPES = [
    "/../../_sandbox/records",
    "/employees/../../../_sandbox/records",
    "//evil.example/x",
    "https://evil.example/employees/",
    "employees/1",
    "/%2e%2e/%2e%2e/_sandbox/records",
    "/employees/..%2f..%2f_sandbox",
    "/employees/%252e%252e/x",
    "/employees\\..\\x",
    "/employees/1#fragment",
    "/employees/%00",
    "/employees//1",
    "/employees/1 HTTP/1.1",
    "/employees/..;/..;/_sandbox/records",
    "/employees/%c0%ae%c0%ae/x",
    "/employees/%u002e%u002e/x",
]


def test_a_path_that_leaves_the_api_base_is_refused_before_anything_is_sent(ats: httpx.Client) -> None:
    kit = next(make() for make in kits() if make().system == "bamboohr")
    with running(kit) as sim:
        connection_id = _connection_id(ats, sim)
        for path in ESCAPES:
            answer = call(ats, ENDPOINT, {"hrisConnectionId": connection_id, "method": "GET", "path": path})
            assert error_code(answer) == "invalid_input", path
            assert [f["field"] for f in answer["errorInfo"]["meta"]["fields"]] == ["path"], path
        bad_method = {"hrisConnectionId": connection_id, "method": "TRACE", "path": "/employees/1"}
        answer = call(ats, ENDPOINT, bad_method)
        assert error_code(answer) == "invalid_input"
        assert answer["errorInfo"]["meta"]["fields"][0]["field"] == "method"
        get_with_body = {"hrisConnectionId": connection_id, "method": "GET", "path": "/employees/1", "body": {"a": 1}}
        answer = call(ats, ENDPOINT, get_with_body)
        assert error_code(answer) == "invalid_input"
        assert answer["errorInfo"]["meta"]["fields"][0]["field"] == "body"
        assert _journal(sim) == []


def test_workday_takes_a_request_element_not_an_envelope(ats: httpx.Client) -> None:
    kit = next(kit for kit in (make() for make in kits()) if kit.system == "workday")
    with running(kit) as sim:
        connection_id = _connection_id(ats, sim)
        envelope = '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/>'
        envelope += "</soapenv:Envelope>"
        for method, body in (("POST", envelope), ("POST", "<not xml"), ("POST", {"a": 1}), ("GET", None)):
            answer = call(
                ats,
                ENDPOINT,
                {"hrisConnectionId": connection_id, "method": method, "path": "/Staffing/v31.2", "body": body},
            )
            assert error_code(answer) == "invalid_input", body
            assert answer["errorInfo"]["meta"]["fields"][0]["field"] in ("body", "method")
        assert _journal(sim) == []


def test_the_endpoint_has_a_permission_of_its_own(ats: httpx.Client, runtime: Runtime, org: IssuedCredentials) -> None:
    with runtime.transaction() as session:
        organization = session.get(Organization, org.organization_id)
        assert organization is not None
        ashby_only = [p for p in ALL_PERMISSIONS if p != "hrisPassthroughWrite"]
        key = issue_api_key(session, organization, "every Ashby permission", ashby_only)
    body = {"hrisConnectionId": org.organization_id, "method": "GET", "path": "/employees/1"}
    with httpx.Client(base_url=str(ats.base_url), auth=(key, ""), timeout=30) as limited:
        response = limited.post(f"/{ENDPOINT}", json=body)
    assert response.status_code == 403
    answer = response.json()
    assert error_code(answer) == "missing_endpoint_permission"
    assert answer["errorInfo"]["meta"]["permission"] == "hrisPassthroughWrite"


def test_another_organizations_connection_is_not_found(ats: httpx.Client, runtime: Runtime) -> None:
    kit = next(make() for make in kits() if make().system == "bamboohr")
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with running(kit) as sim:
        with httpx.Client(base_url=str(ats.base_url), auth=(other.api_key, ""), timeout=30) as theirs:
            connection_id = _connection_id(theirs, sim)
        body = {"hrisConnectionId": connection_id, "method": "GET", "path": "/employees/1"}
        assert error_code(call(ats, ENDPOINT, body)) == "hris_connection_not_found"
        log = call(ats, "hrisConnection.requestLog", {"hrisConnectionId": connection_id})
        assert error_code(log) == "hris_connection_not_found"
        assert _journal(sim) == []


def test_a_private_address_is_refused_when_private_networks_are_not_allowed(
    ats: httpx.Client, settings: Settings
) -> None:
    kit = next(make() for make in kits() if make().system == "bamboohr")
    guarded = Runtime.from_settings(settings.model_copy(update={"allow_private_network": False}))
    try:
        with running(kit) as sim, serve(create_app(guarded)) as guarded_url:
            connection_id = _connection_id(ats, sim)  # made where private networks are allowed (the test service)
            api_key = ats.auth
            with httpx.Client(base_url=guarded_url, auth=api_key, timeout=30) as client:
                body = {"hrisConnectionId": connection_id, "method": "GET", "path": "/employees/1"}
                answer = call(client, ENDPOINT, body)
            assert error_code(answer) == "hris_request_failed"
            assert "refused to connect" in answer["errorInfo"]["message"]
            assert _journal(sim) == []
            [entry] = call(ats, "hrisConnection.requestLog", {"hrisConnectionId": connection_id})["results"]
            assert entry["requestId"] == answer["errorInfo"]["meta"]["requestId"]
            assert entry["outcome"] == "failed"
            assert "refused to connect" in entry["message"]
    finally:
        guarded.close()


def test_the_connections_rate_limit_applies(ats: httpx.Client) -> None:
    kit = next(make() for make in kits() if make().system == "bamboohr")
    with running(kit) as sim:
        # One call a minute: the first takes the bucket's only token, the next slot is beyond the 10 s wait.
        connection_id = _connection_id(ats, sim, rateLimitPerSecond=1 / 60)
        body = {"hrisConnectionId": connection_id, "method": "GET", "path": "/employees/directory"}
        assert call(ats, ENDPOINT, body)["success"] is True
        answer = call(ats, ENDPOINT, body)
        assert error_code(answer) == "hris_rate_limited"
        assert len(_journal(sim)) == 1
        entries = call(ats, "hrisConnection.requestLog", {"hrisConnectionId": connection_id})["results"]
        assert [entry["outcome"] for entry in entries] == ["retry", "answered"]


def test_no_answer_is_an_error_with_a_clear_code(ats: httpx.Client) -> None:
    kit = next(make() for make in kits() if make().system == "bob")
    with running(kit) as sim:
        url = sim.base_url
        connection_id = _connection_id(ats, sim)
    # The simulator has stopped: nothing listens at its address any more.
    assert url
    answer = call(ats, ENDPOINT, {"hrisConnectionId": connection_id, "method": "GET", "path": "/company/named-lists"})
    assert error_code(answer) == "hris_request_failed"
    assert "could not connect" in answer["errorInfo"]["message"]
