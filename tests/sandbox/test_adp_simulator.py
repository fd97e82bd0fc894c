"""The ADP Workforce Now simulator over real TLS sockets: mutual TLS, OAuth client credentials, applicant onboarding,
the workers look-up and the fault switches, with requests written from ADP's documentation and samples."""

# ruff: noqa: F401, F811 - the fixtures are imported from adp_support

from __future__ import annotations

import base64
import ssl

import httpx
import pytest

from hirebridge.sandbox.adp.certs import TestPki
from tests.sandbox.adp_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEMPLATE,
    Adp,
    adp,
    applicant,
    messages_v03,
    other_pki,
    pki,
    tls_context,
)

TOKEN_FORM = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


# mutual TLS --------------------------------------------------------------------------------------------------------


def test_a_token_call_without_the_client_certificate_is_401_and_counted(adp: Adp) -> None:
    response = adp.bare.post("/auth/oauth/v2/token", data=TOKEN_FORM)

    assert response.status_code == 401
    assert response.json()["error_description"] == "proper client ssl certificate was not presented"
    assert adp.counters()["token_requests"] == 1
    assert adp.counters()["tokens_issued"] == 0


def test_an_api_call_without_the_client_certificate_is_401_even_with_a_valid_token(adp: Adp) -> None:
    token = adp.token()

    for method, path in (("GET", "/hcm/v2/applicant.onboard/meta"), ("GET", "/hr/v2/workers")):
        response = adp.bare.request(method, path, headers=adp.authed(token))
        assert response.status_code == 401
        assert "certificate" in response.json()["error_description"]
    posted = adp.bare.post("/hcm/v2/applicant.onboard", json=applicant(), headers=adp.authed(token))
    assert posted.status_code == 401
    assert adp.admin("GET", "/_sandbox/records").json()["count"] == 0


def test_a_certificate_from_another_ca_is_refused_at_the_handshake(adp: Adp, other_pki: TestPki) -> None:
    with (
        httpx.Client(base_url=adp.url, verify=tls_context(adp.pki, other_pki)) as stranger,
        pytest.raises((httpx.TransportError, ssl.SSLError)),
    ):
        stranger.post("/auth/oauth/v2/token", data=TOKEN_FORM)
    assert adp.counters()["token_requests"] == 0


def test_the_server_certificate_is_the_test_cas(adp: Adp, other_pki: TestPki) -> None:
    with (
        httpx.Client(base_url=adp.url, verify=tls_context(other_pki, adp.pki)) as wrong_trust,
        pytest.raises(httpx.ConnectError),
    ):
        wrong_trust.get("/hr/v2/workers")


# token --------------------------------------------------------------------------------------------------------------


def test_client_credentials_grant_answers_a_bearer_token_for_an_hour(adp: Adp) -> None:
    response = adp.client.post("/auth/oauth/v2/token", data=TOKEN_FORM)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert adp.counters() == {"token_requests": 1, "tokens_issued": 1, "token_requests_refused": 0, "active_tokens": 1}


def test_the_client_pair_may_come_as_http_basic(adp: Adp) -> None:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = adp.client.post(
        "/auth/oauth/v2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error", "description"),
    [
        (
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
            400,
            "invalid_request",
            "Missing or duplicate parameters",
        ),
        ({**TOKEN_FORM, "grant_type": "password"}, 400, "unsupported_grant_type", "Invalid grant_type"),
        (
            {**TOKEN_FORM, "client_secret": "wrong"},
            401,
            "invalid_client",
            "The given client credentials were not valid",
        ),
        ({"grant_type": "client_credentials"}, 401, "invalid_client", "The given client credentials were not valid"),
    ],
)
def test_token_errors_are_adps(adp: Adp, form: dict[str, str], status: int, error: str, description: str) -> None:
    response = adp.client.post("/auth/oauth/v2/token", data=form)

    assert response.status_code == status
    assert response.json() == {"error": error, "error_description": description}
    assert adp.counters()["token_requests_refused"] == 1


def test_a_duplicated_grant_type_is_invalid_request(adp: Adp) -> None:
    response = adp.client.post(
        "/auth/oauth/v2/token",
        content=f"grant_type=client_credentials&grant_type=client_credentials&client_id={CLIENT_ID}"
        f"&client_secret={CLIENT_SECRET}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_api_calls_need_a_valid_bearer_token(adp: Adp) -> None:
    missing = adp.client.get("/hr/v2/workers")
    unknown = adp.client.get("/hr/v2/workers", headers={"Authorization": "Bearer not-a-token"})

    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert unknown.json()["error"] == "invalid_token"
    assert adp.client.get("/hr/v2/workers", headers=adp.authed()).status_code == 204


def test_expired_tokens_are_refused_until_a_new_one_is_fetched(adp: Adp) -> None:
    token = adp.token()
    assert adp.admin("POST", "/_sandbox/tokens/expire").json() == {"expired": 1}

    refused = adp.client.get("/hcm/v2/applicant.onboard/meta", headers=adp.authed(token))
    assert refused.status_code == 401
    assert refused.json()["error_description"] == "expired token"
    assert adp.client.get("/hcm/v2/applicant.onboard/meta", headers=adp.authed()).status_code == 200
    assert adp.counters()["token_requests"] == 2


def test_the_token_lifetime_can_be_shortened_for_tests(adp: Adp) -> None:
    settings = adp.admin("PUT", "/_sandbox/settings", json={"token_lifetime_seconds": 5})
    assert settings.json()["token_lifetime_seconds"] == 5

    assert adp.client.post("/auth/oauth/v2/token", data=TOKEN_FORM).json()["expires_in"] == 5


def test_a_bad_token_can_answer_the_documented_400_validation_error(adp: Adp) -> None:
    adp.admin("PUT", "/_sandbox/settings", json={"bad_token_status": 400})

    response = adp.client.get("/hr/v2/workers", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request", "error_description": "Validation error"}


# meta and onboarding ------------------------------------------------------------------------------------------------


def test_meta_lists_the_template_codes_and_required_fields(adp: Adp) -> None:
    meta = adp.client.get("/hcm/v2/applicant.onboard/meta", headers=adp.authed()).json()["meta"]

    codes = [i["code"] for i in meta["/applicantOnboarding/onboardingTemplateCode"]["codeList"]["listItems"]]
    assert TEMPLATE in codes
    assert len(codes) >= 2
    assert meta["/applicantOnboarding/applicantPersonalProfile/birthName/givenName"]["optional"] is False
    assert meta["/applicantOnboarding/applicantWorkerProfile/hireDate"]["shortLabelName"] == "Hire Date"


def test_meta_filtered_by_template_code(adp: Adp) -> None:
    headers = adp.authed()
    one = adp.client.get(
        "/hcm/v2/applicant.onboard/meta",
        params={"$filter": "meta/applicantOnboarding/onboardingTemplateCode/code eq '14495_6403'"},
        headers=headers,
    ).json()["meta"]
    items = one["/applicantOnboarding/onboardingTemplateCode"]["codeList"]["listItems"]
    assert [i["name"] for i in items] == ["HR + Payroll (System)"]
    assert one["/applicantOnboarding/applicantPayrollProfile/payrollGroupCode"]["optional"] is False

    bad = adp.client.get("/hcm/v2/applicant.onboard/meta", params={"$filter": "nonsense"}, headers=headers)
    assert bad.status_code == 400


def test_onboard_answers_201_location_and_the_confirm_message_with_the_applicant_id(adp: Adp) -> None:
    response = adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=adp.authed())

    assert response.status_code == 201
    confirm = response.json()["_confirmMessage"]
    assert confirm["requestStatus"] == "success"
    ids = {m["messageCode"]: m["resourceID"] for m in confirm["messages"]}
    assert ids["applicantID"].split("_")[0].isdigit()
    assert ids["AssociateOID"].startswith("G3")
    assert len(ids["AssociateOID"]) == 16
    assert response.headers["Location"].endswith(ids["applicantID"])
    records = adp.admin("GET", "/_sandbox/records").json()["records"]
    assert [r["applicantID"] for r in records] == [ids["applicantID"]]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("applicantPersonalProfile", "birthName", "givenName"), "First Name is required."),
        (("applicantPersonalProfile", "birthName", "familyName"), "Last Name is required."),
        (("applicantWorkerProfile", "hireDate"), "Hire Date is required."),
    ],
)
def test_missing_required_fields_are_400_with_adps_message(adp: Adp, path: tuple[str, ...], message: str) -> None:
    body = applicant()
    node = body["applicantOnboarding"]
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = ""

    response = adp.client.post("/hcm/v2/applicant.onboard", json=body, headers=adp.authed())

    assert response.status_code == 400
    assert messages_v03(response) == [message]
    assert response.json()["confirmMessage"]["requestStatusCode"] == {"codeValue": "failed"}
    assert adp.admin("GET", "/_sandbox/records").json()["count"] == 0


def test_an_unknown_template_and_a_missing_body(adp: Adp) -> None:
    headers = adp.authed()
    body = applicant(onboardingTemplateCode={"code": "nope"})
    response = adp.client.post("/hcm/v2/applicant.onboard", json=body, headers=headers)
    assert messages_v03(response) == ["Onboarding Template Code is invalid."]

    empty = adp.client.post("/hcm/v2/applicant.onboard", json={}, headers=headers)
    assert messages_v03(empty) == ["Applicant Onboarding Data is required."]


def test_errors_in_the_nextgen_shape_when_switched(adp: Adp) -> None:
    adp.admin("PUT", "/_sandbox/settings", json={"error_style": "nextgen"})
    body = applicant()
    body["applicantOnboarding"]["applicantPersonalProfile"]["birthName"]["familyName"] = ""

    response = adp.client.post("/hcm/v2/applicant.onboard", json=body, headers=adp.authed())

    assert response.status_code == 400
    confirm = response.json()["_confirmMessage"]
    assert confirm["requestStatus"] == "failed"
    assert [m["messageText"] for m in confirm["messages"]] == ["Last Name is required."]


def test_a_complete_hire_needs_more_and_a_template_may_need_the_company_code(adp: Adp) -> None:
    headers = adp.authed()
    complete = applicant(onboardingStatus={"statusCode": {"code": "complete"}})
    texts = messages_v03(adp.client.post("/hcm/v2/applicant.onboard", json=complete, headers=headers))
    assert "Legal Address - Address 1 is required" in texts
    assert "Company Code is required." in texts

    payroll = applicant(onboardingTemplateCode={"code": "14495_6403"})
    assert messages_v03(adp.client.post("/hcm/v2/applicant.onboard", json=payroll, headers=headers)) == [
        "Company Code is required."
    ]
    payroll["applicantOnboarding"]["applicantPayrollProfile"] = {"payrollGroupCode": "938"}
    assert adp.client.post("/hcm/v2/applicant.onboard", json=payroll, headers=headers).status_code == 201


def test_a_pre_hire_needs_the_minimum_fields(adp: Adp) -> None:
    body = applicant(preHireIndicator=True)
    texts = messages_v03(adp.client.post("/hcm/v2/applicant.onboard", json=body, headers=adp.authed()))
    assert texts == [
        "You cannot ask the new hire until you complete these minimum required fields: "
        "Associate ID,Hire Date,First Name,Personal Email,Company Code,Last Name"
    ]


def test_a_file_number_in_use_is_refused_and_the_same_email_is_not(adp: Adp) -> None:
    headers = adp.authed()
    first = applicant(workerID={"id": "HB0000001"})
    assert adp.client.post("/hcm/v2/applicant.onboard", json=first, headers=headers).status_code == 201

    again = adp.client.post("/hcm/v2/applicant.onboard", json=first, headers=headers)
    assert again.status_code == 400
    assert messages_v03(again) == ["The new hire's file number must be unique within the company."]
    assert adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers).status_code == 201
    assert adp.admin("GET", "/_sandbox/records").json()["count"] == 2


# workers --------------------------------------------------------------------------------------------------------------


def test_workers_filtered_by_email_find_the_onboarded_applicant(adp: Adp) -> None:
    headers = adp.authed()
    created = adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers).json()
    aoid = {m["messageCode"]: m["resourceID"] for m in created["_confirmMessage"]["messages"]}["AssociateOID"]
    adp.client.post(
        "/hcm/v2/applicant.onboard", json=applicant("Grace", "Hopper", "grace@example.com"), headers=headers
    )

    found = adp.client.get(
        "/hr/v2/workers",
        params={"$filter": "workers/person/communication/emails/emailUri eq 'ada@example.com'"},
        headers=headers,
    )
    assert found.status_code == 200
    workers = found.json()["workers"]
    assert [w["associateOID"] for w in workers] == [aoid]
    assert workers[0]["person"]["legalName"]["familyName1"] == "Lovelace"

    one = adp.client.get(f"/hr/v2/workers/{aoid}", headers=headers)
    assert one.json()["workers"][0]["associateOID"] == aoid
    assert adp.client.get("/hr/v2/workers/G3NOPE", headers=headers).status_code == 404


def test_workers_odata_select_top_skip_and_no_match(adp: Adp) -> None:
    headers = adp.authed()
    for i in range(3):
        adp.client.post("/hcm/v2/applicant.onboard", json=applicant(f"P{i}", "X", f"p{i}@example.com"), headers=headers)

    page = adp.client.get(
        "/hr/v2/workers", params={"$top": "2", "$skip": "1", "$select": "workers/associateOID"}, headers=headers
    ).json()["workers"]
    assert len(page) == 2
    assert all(set(w) == {"associateOID"} for w in page)
    none = adp.client.get(
        "/hr/v2/workers",
        params={"$filter": "workers/person/communication/emails/emailUri eq 'nobody@example.com'"},
        headers=headers,
    )
    assert (none.status_code, none.content) == (204, b"")
    adp.admin("PUT", "/_sandbox/settings", json={"empty_workers_status": 200})
    assert adp.client.get("/hr/v2/workers", params={"$skip": "9"}, headers=headers).json() == {"workers": []}


def test_unsupported_odata_is_a_400_confirm_message(adp: Adp) -> None:
    headers = adp.authed()
    bad_path = adp.client.get("/hr/v2/workers", params={"$filter": "workers/person/birthDate eq '1'"}, headers=headers)
    bad_top = adp.client.get("/hr/v2/workers", params={"$top": "101"}, headers=headers)

    assert bad_path.status_code == bad_top.status_code == 400
    assert "not supported" in messages_v03(bad_path)[0]


def test_inprogress_hires_can_be_hidden_from_the_workers_list(adp: Adp) -> None:
    headers = adp.authed()
    adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=headers)
    adp.admin("PUT", "/_sandbox/settings", json={"list_inprogress_workers": False})

    assert adp.client.get("/hr/v2/workers", headers=headers).status_code == 204


def test_calls_are_journaled_with_the_authorization_redacted(adp: Adp) -> None:
    adp.client.post("/hcm/v2/applicant.onboard", json=applicant(), headers=adp.authed())

    calls = adp.admin("GET", "/_sandbox/requests").json()["requests"]
    assert [(c["method"], c["path"]) for c in calls] == [
        ("POST", "/auth/oauth/v2/token"),
        ("POST", "/hcm/v2/applicant.onboard"),
    ]
    assert calls[1]["headers"]["authorization"] == "[redacted]"
    assert "Lovelace" in calls[1]["body"]


def test_concurrent_token_calls_are_each_counted(adp: Adp) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def call(_: int) -> int:
        with httpx.Client(base_url=adp.url, verify=tls_context(adp.pki, adp.pki)) as client:
            return client.post("/auth/oauth/v2/token", data=TOKEN_FORM).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(call, range(6)))

    assert statuses == [200] * 6
    assert adp.counters()["token_requests"] == 6
    assert adp.counters()["tokens_issued"] == 6
