"""candidate.create/info/search over real HTTP, including candidates that arrived through the partner API and
candidates found by the id an HRIS gave them."""

from __future__ import annotations

import httpx

from hirebridge.core.models import Candidate
from hirebridge.hris.models import HrisConnection, RemoteRecord
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, client_for, error, make_candidate, results
from tests.conftest import PartnerSession
from tests.partner.helpers import candidate_body, create_job, post_candidate, unique

__all__ = ["ats"]


def test_create_splits_the_name_and_answers_ashbys_candidate(ats: httpx.Client, runtime: Runtime) -> None:
    created = make_candidate(
        ats,
        name="  Ada   King Lovelace ",
        email="ada@example.com",
        phoneNumber="+44 20 7946 0000",
        location={"city": "London", "country": "United Kingdom"},
    )
    assert created["name"] == "Ada King Lovelace"
    assert created["primaryEmailAddress"] == {"value": "ada@example.com", "type": "Personal", "isPrimary": True}
    assert created["emailAddresses"] == [created["primaryEmailAddress"]]
    assert created["primaryPhoneNumber"]["value"] == "+44 20 7946 0000"
    assert created["location"]["locationSummary"] == "United Kingdom, London"
    for field in ("socialLinks", "tags", "applicationIds", "fileHandles", "customFields"):
        assert created[field] == []
    with runtime.sessions() as session:
        row = session.get_one(Candidate, created["id"])
        assert (row.first_name, row.last_name, row.email) == ("Ada", "King Lovelace", "ada@example.com")
    assert results(ats, "candidate.info", {"id": created["id"]}) == created


def test_create_accepts_a_past_created_at(ats: httpx.Client) -> None:
    created = make_candidate(ats, name="Old Timer", createdAt="2020-01-02T03:04:05Z")
    assert created["createdAt"] == "2020-01-02T03:04:05.000Z"


def test_create_validation_names_field_and_reason(ats: httpx.Client) -> None:
    info = error(ats, "candidate.create", {"email": "ada@example.com"})
    assert info["code"] == "invalid_input"
    assert info["meta"]["fields"] == [{"field": "name", "reason": "is required"}]
    info = error(ats, "candidate.create", {"name": "Ada", "email": "not-an-email", "phoneNumber": "1" * 65})
    assert sorted(f["field"] for f in info["meta"]["fields"]) == ["email", "phoneNumber"]
    assert {"field": "email", "reason": "must be an email address"} in info["meta"]["fields"]
    info = error(ats, "candidate.create", {"name": "   "})
    assert info["meta"]["fields"][0]["field"] == "name"
    info = error(ats, "candidate.create", {"name": "Ada", "createdAt": "2020-01-02T03:04:05"})
    assert info["meta"]["fields"][0]["field"] == "createdAt"


def test_info_needs_an_id(ats: httpx.Client) -> None:
    info = error(ats, "candidate.info", {})
    assert info["code"] == "invalid_input"
    assert info["meta"]["fields"][0]["field"] == "id"
    info = error(ats, "candidate.info", {"externalMappingId": "nobody"})
    assert info["code"] == "candidate_not_found"
    assert info["meta"]["field"] == "externalMappingId"


def test_other_organizations_candidates_are_not_found(
    ats: httpx.Client, client: httpx.Client, runtime: Runtime
) -> None:
    mine = make_candidate(ats, name="Mine Only")
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with client_for(client, other.api_key) as theirs:
        assert error(theirs, "candidate.info", {"id": mine["id"]})["code"] == "candidate_not_found"
        assert results(theirs, "candidate.search", {"name": "Mine Only"}) == []
        assert results(theirs, "candidate.list") == []


def test_search_by_email_and_name(ats: httpx.Client) -> None:
    ada = make_candidate(ats, name="Ada Lovelace", email="Ada@Example.com")
    make_candidate(ats, name="Ada Byron", email="byron@example.com")
    make_candidate(ats, name="Charles Babbage", email="charles@example.com")
    by_email = results(ats, "candidate.search", {"email": "ada@example.COM"})
    assert [c["id"] for c in by_email] == [ada["id"]]
    by_name = results(ats, "candidate.search", {"name": "ada"})
    assert sorted(c["name"] for c in by_name) == ["Ada Byron", "Ada Lovelace"]
    assert [c["name"] for c in results(ats, "candidate.search", {"name": "lovelace"})] == ["Ada Lovelace"]
    both = results(ats, "candidate.search", {"name": "Ada", "email": "byron@example.com"})
    assert [c["name"] for c in both] == ["Ada Byron"]
    assert results(ats, "candidate.search", {"name": "%"}) == []
    info = error(ats, "candidate.search", {})
    assert info["code"] == "invalid_input"


def test_partner_api_candidate_is_visible_with_its_workday_ids(partner: PartnerSession, ats: httpx.Client) -> None:
    ext_job_id = create_job(partner)
    ext_candidate_id, ext_application_id = unique("WD-CAND"), unique("WD-APP")
    body = candidate_body(
        ext_job_id, ext_candidate_id=ext_candidate_id, ext_application_id=ext_application_id, email="wd@example.com"
    )
    response = post_candidate(partner, body)
    assert response.status_code == 200, response.text

    candidate = results(ats, "candidate.info", {"externalMappingId": ext_candidate_id})
    assert candidate["name"] == "Jane Doe"
    assert candidate["primaryEmailAddress"]["value"] == "wd@example.com"
    assert candidate["position"] == "Engineer"
    assert candidate["company"] == "Acme"
    external = {f["title"]: f["value"] for f in candidate["customFields"]}
    assert external["workday candidate id"] == ext_candidate_id
    assert results(ats, "candidate.info", {"id": candidate["id"]}) == candidate

    [application_id] = candidate["applicationIds"]
    application = results(ats, "application.info", {"applicationId": application_id})
    assert {f["title"]: f["value"] for f in application["customFields"]}["workday application id"] == ext_application_id
    assert application["candidate"]["id"] == candidate["id"]
    assert application["job"]["title"] == "Backend Engineer"
    job = results(ats, "job.info", {"id": application["job"]["id"]})
    assert job["status"] == "Open"
    assert {f["title"]: f["value"] for f in job["customFields"]}["workday job id"] == ext_job_id


def test_candidate_found_by_its_hris_record_id(ats: httpx.Client, org: IssuedCredentials, runtime: Runtime) -> None:
    created = make_candidate(ats, name="Hired Person")
    remote_id = unique("EMP")
    with runtime.transaction() as session:
        connection = HrisConnection(
            organization_id=org.organization_id,
            system="bob",
            name="Bob",
            base_url="http://127.0.0.1:9",
            credentials_encrypted=runtime.cipher.encrypt_json({}),
        )
        session.add(connection)
        session.flush()
        session.add(
            RemoteRecord(
                organization_id=org.organization_id,
                connection_id=connection.id,
                candidate_id=created["id"],
                remote_id=remote_id,
            )
        )
    found = results(ats, "candidate.info", {"externalMappingId": remote_id})
    assert found["id"] == created["id"]
    assert {"title": "bob employee id", "value": remote_id} in [
        {"title": f["title"], "value": f["value"]} for f in found["customFields"]
    ]


def test_create_with_an_idempotency_key_creates_once(ats: httpx.Client) -> None:
    headers = {"Idempotency-Key": unique("create")}
    first = ats.post("/candidate.create", json={"name": "Once Only"}, headers=headers)
    second = ats.post("/candidate.create", json={"name": "Once Only"}, headers=headers)
    assert first.json()["results"]["id"] == second.json()["results"]["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(results(ats, "candidate.search", {"name": "Once Only"})) == 1
