"""job.* and application.* over real HTTP: Ashby's job status transitions, drafts listed only on request,
applications filtered by job and status, the status extension's archive-reason rule, and organization isolation."""

from __future__ import annotations

import uuid

import httpx

from hirebridge.orgs.service import create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, client_for, error, make_application, make_candidate, make_job, results

__all__ = ["ats"]


def test_job_create_is_a_draft_with_ashbys_fields(ats: httpx.Client) -> None:
    job = results(
        ats,
        "job.create",
        {"title": "Data Engineer", "employmentType": "Contract", "location": "Berlin", "department": "Data"},
    )
    assert job["status"] == "Draft"
    assert (job["title"], job["employmentType"]) == ("Data Engineer", "Contract")
    assert (job["locationName"], job["departmentName"]) == ("Berlin", "Data")
    # Ashby's schema has no null for these: a draft never opened or closed leaves them out.
    assert "openedAt" not in job
    assert "closedAt" not in job
    assert job["defaultInterviewPlanId"] in job["interviewPlanIds"]
    assert results(ats, "job.info", {"id": job["id"]}) == job


def test_job_create_warns_that_team_and_location_ids_are_not_stored(ats: httpx.Client) -> None:
    answer = ats.post(
        "/job.create",
        json={"title": "X", "teamId": "11111111-1111-4111-8111-111111111111", "locationId": None},
    ).json()
    assert answer["success"] is True
    assert answer["warnings"] == ["team_and_location_ids_not_stored"]


def test_job_validation(ats: httpx.Client) -> None:
    info = error(ats, "job.create", {"employmentType": "Forever"})
    fields = {f["field"]: f["reason"] for f in info["meta"]["fields"]}
    assert fields["title"] == "is required"
    assert fields["employmentType"].startswith("must be one of")


def test_job_status_transitions(ats: httpx.Client) -> None:
    job = make_job(ats, status="Draft")
    opened = results(ats, "job.setStatus", {"jobId": job["id"], "status": "Open"})
    assert opened["status"] == "Open"
    assert opened["openedAt"] is not None
    assert results(ats, "job.setStatus", {"jobId": job["id"], "status": "Open"})["status"] == "Open"
    info = error(ats, "job.setStatus", {"jobId": job["id"], "status": "Draft"})
    assert info["code"] == "job_status_transition_not_allowed"
    assert info["meta"] == {"currentStatus": "Open", "requestedStatus": "Draft"}
    closed = results(ats, "job.setStatus", {"jobId": job["id"], "status": "Closed"})
    assert closed["status"] == "Closed"
    assert closed["closedAt"] is not None
    assert results(ats, "job.setStatus", {"jobId": job["id"], "status": "Archived"})["status"] == "Archived"
    assert results(ats, "job.setStatus", {"jobId": job["id"], "status": "Draft"})["status"] == "Draft"
    info = error(ats, "job.setStatus", {"jobId": job["id"], "status": "Paused"})
    assert info["code"] == "invalid_input"
    assert info["meta"]["fields"][0]["field"] == "status"


def test_job_list_shows_drafts_only_when_asked(ats: httpx.Client) -> None:
    draft = make_job(ats, "Draft job", status="Draft")
    open_job = make_job(ats, "Open job")
    closed = make_job(ats, "Closed job")
    results(ats, "job.setStatus", {"jobId": closed["id"], "status": "Closed"})
    assert [j["id"] for j in results(ats, "job.list")] == [open_job["id"], closed["id"]]
    assert [j["id"] for j in results(ats, "job.list", {"status": ["Draft"]})] == [draft["id"]]
    assert [j["id"] for j in results(ats, "job.list", {"status": ["Open", "Draft"]})] == [draft["id"], open_job["id"]]


def test_application_create_info_and_list(ats: httpx.Client) -> None:
    application = make_application(ats, name="Ada Lovelace", email="ada@example.com")
    assert application["status"] == "Active"
    assert application["candidate"]["name"] == "Ada Lovelace"
    assert application["candidate"]["primaryEmailAddress"]["value"] == "ada@example.com"
    assert application["currentInterviewStage"]["title"] == "Application Review"
    assert results(ats, "application.info", {"applicationId": application["id"]}) == application
    candidate = results(ats, "candidate.info", {"id": application["candidate"]["id"]})
    assert candidate["applicationIds"] == [application["id"]]

    other = make_application(ats)
    job_id = application["job"]["id"]
    assert [a["id"] for a in results(ats, "application.list", {"jobId": job_id})] == [application["id"]]
    assert [a["id"] for a in results(ats, "application.list")] == [application["id"], other["id"]]
    results(ats, "application.changeStatus", {"applicationId": other["id"], "status": "Hired"})
    assert [a["id"] for a in results(ats, "application.list", {"status": "Hired"})] == [other["id"]]
    assert results(ats, "application.list", {"status": "Lead"}) == []


def test_application_create_errors(ats: httpx.Client) -> None:
    candidate = make_candidate(ats)
    job = make_job(ats)
    missing = "00000000-0000-4000-8000-000000000000"
    info = error(ats, "application.create", {"candidateId": missing, "jobId": job["id"]})
    assert (info["code"], info["meta"]["field"]) == ("candidate_not_found", "candidateId")
    info = error(ats, "application.create", {"candidateId": candidate["id"], "jobId": missing})
    assert (info["code"], info["meta"]["field"]) == ("job_not_found", "jobId")
    info = error(ats, "application.create", {"candidateId": "nope"})
    assert {f["field"] for f in info["meta"]["fields"]} == {"candidateId", "jobId"}
    results(ats, "job.setStatus", {"jobId": job["id"], "status": "Closed"})
    info = error(ats, "application.create", {"candidateId": candidate["id"], "jobId": job["id"]})
    assert info["code"] == "job_not_open"
    info = error(ats, "application.info", {"applicationId": missing})
    assert info["code"] == "application_not_found"


def test_change_status_and_archive_reason(ats: httpx.Client) -> None:
    application = make_application(ats)
    info = error(ats, "application.changeStatus", {"applicationId": application["id"], "status": "Archived"})
    assert info["meta"]["fields"] == [{"field": "archiveReasonId", "reason": "is required when the status is Archived"}]
    info = error(
        ats,
        "application.changeStatus",
        {"applicationId": application["id"], "status": "Active", "archiveReasonId": "too-early"},
    )
    assert info["meta"]["fields"][0]["field"] == "archiveReasonId"
    archived = results(
        ats,
        "application.changeStatus",
        {"applicationId": application["id"], "status": "Archived", "archiveReasonId": "not-a-fit"},
    )
    assert archived["status"] == "Archived"
    reason = archived["archiveReason"]
    assert reason["text"] == "not-a-fit"
    assert reason["id"] != "not-a-fit"
    uuid.UUID(reason["id"])
    assert (reason["reasonType"], reason["isArchived"], reason["customFields"]) == ("Other", False, [])
    assert archived["currentInterviewStage"]["type"] == "Archived"
    again = results(ats, "application.info", {"applicationId": application["id"]})
    assert again["archiveReason"]["id"] == reason["id"]
    hired = results(ats, "application.changeStatus", {"applicationId": application["id"], "status": "Hired"})
    assert hired["status"] == "Hired"
    assert "archiveReason" not in hired
    assert results(ats, "application.info", {"applicationId": application["id"]})["status"] == "Hired"


def test_jobs_and_applications_are_per_organization(ats: httpx.Client, client: httpx.Client, runtime: Runtime) -> None:
    application = make_application(ats)
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with client_for(client, other.api_key) as theirs:
        job_id = application["job"]["id"]
        assert error(theirs, "job.info", {"id": job_id})["code"] == "job_not_found"
        assert error(theirs, "job.setStatus", {"jobId": job_id, "status": "Closed"})["code"] == "job_not_found"
        info = error(theirs, "application.info", {"applicationId": application["id"]})
        assert info["code"] == "application_not_found"
        info = error(theirs, "application.changeStatus", {"applicationId": application["id"], "status": "Hired"})
        assert info["code"] == "application_not_found"
        their_candidate = make_candidate(theirs)
        info = error(theirs, "application.create", {"candidateId": their_candidate["id"], "jobId": job_id})
        assert info["code"] == "job_not_found"
        assert results(theirs, "application.list") == []
        assert results(theirs, "job.list") == []
    assert results(ats, "application.info", {"applicationId": application["id"]})["status"] == "Active"
