"""Ashby's objects as Ashby publishes them: every served Ashby operation and every webhook event we emit, validated
against the JSON Schemas derived from Ashby's OpenAPI document (``tests.ats.conformance``, which also checks every
other ATS test's answers); Ashby's offer flow; and the request fields Ashby documents that change results
(``createdAfter``, ``openedAfter``..., ``interviewStageId``, ``createdAt``), honoured or refused, never ignored."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from hirebridge.ats import ashby_schemas
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.conformance import CHECKED, check_webhook
from tests.ats.helpers import error, make_candidate, make_job, results
from tests.ats.hris_helpers import ats, bob_connection, simulator, wait_for
from tests.ats.hris_helpers import make_application as hiring_record

__all__ = ["ats", "simulator"]


class Receiver:
    """A webhook receiver on a real socket; every body it gets is validated against Ashby's payload schema."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.app = FastAPI()

        self.violations: list[str] = []

        @self.app.post("/ashby")
        async def hook(request: Request) -> Response:
            try:
                payload = check_webhook(await request.body())
            except AssertionError as exc:
                with self.lock:
                    self.violations.append(str(exc))
                return Response("outside Ashby's schema", status_code=410)  # 410: not retried
            with self.lock:
                self.payloads.append(payload)
            return Response("ok")

    def find(self, action: str, **where: str) -> dict[str, Any] | None:
        with self.lock:
            for payload in self.payloads:
                if payload["action"] == action and all(_get(payload, path) == value for path, value in where.items()):
                    return payload
        return None


def _get(payload: dict[str, Any], path: str) -> Any:
    value: Any = payload
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    from tests.support.servers import serve

    rec = Receiver()
    with serve(rec.app) as url:
        yield rec, f"{url}/ashby"


def ms(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def stage(ats: httpx.Client, title: str) -> dict[str, Any]:
    plan = results(ats, "interviewPlan.list")[0]
    stages: list[dict[str, Any]] = results(ats, "interviewStage.list", {"interviewPlanId": plan["id"]})
    return next(s for s in stages if s["title"] == title)


def test_every_ashby_operation_and_webhook_event_answers_in_ashbys_schema(
    ats: httpx.Client,
    runtime: Runtime,
    org: IssuedCredentials,
    receiver: tuple[Receiver, str],
    simulator: Callable[[Any], str],
) -> None:
    from hirebridge.sandbox.bob.app import create_app

    before = CHECKED.copy()
    rec, url = receiver
    hooks = {
        t: results(ats, "webhook.create", {"webhookType": t, "requestUrl": url, "secretToken": f"s-{t}"})
        for t in ("candidateHire", "offerUpdate", "pushToHRIS")
    }
    results(ats, "webhook.info", {"webhookId": hooks["offerUpdate"]["id"]})
    results(ats, "webhook.update", {"webhookId": hooks["offerUpdate"]["id"], "secretToken": "s-rotated"})
    results(ats, "webhook.list")
    results(ats, "apiKey.info")

    person = make_candidate(
        ats, "Grace Hopper", email="grace@example.com", phoneNumber="+1 555 0100", location={"city": "Arlington"}
    )
    results(ats, "candidate.info", {"id": person["id"]})
    results(ats, "candidate.list", {"limit": 1})
    results(ats, "candidate.search", {"email": "grace@example.com"})
    job = make_job(ats, "Rear Admiral")
    results(ats, "job.info", {"id": job["id"]})
    results(ats, "job.list")
    application = results(ats, "application.create", {"candidateId": person["id"], "jobId": job["id"]})
    results(ats, "application.info", {"applicationId": application["id"]})
    results(ats, "application.list", {"jobId": job["id"]})
    assert [p["id"] for p in results(ats, "interviewPlan.list")] == [job["defaultInterviewPlanId"]]
    results(ats, "interviewStage.list", {"interviewPlanId": job["defaultInterviewPlanId"]})

    process = results(ats, "offerProcess.start", {"applicationId": application["id"]})
    form = results(ats, "offer.start", {"offerProcessId": process["id"]})
    submissions = [
        {"path": "startDate", "value": "2031-02-03"},
        {"path": "salary", "value": {"currencyCode": "USD", "value": 150000}},
    ]
    offer = results(
        ats,
        "offer.create",
        {"offerProcessId": process["id"], "offerFormId": form["id"], "offerForm": {"fieldSubmissions": submissions}},
    )
    results(ats, "offer.info", {"offerId": offer["id"]})
    results(ats, "offer.list", {"applicationId": application["id"]})
    for status in ("WaitingOnCandidateResponse", "CandidateAccepted"):
        results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": status})
    results(ats, "application.changeStatus", {"applicationId": application["id"], "status": "Hired"})

    other = results(ats, "application.create", {"candidateId": person["id"], "jobId": make_job(ats)["id"]})
    moved = results(
        ats,
        "application.changeStage",
        {"applicationId": other["id"], "interviewStageId": stage(ats, "Interview")["id"]},
    )
    assert (moved["status"], moved["currentInterviewStage"]["title"]) == ("Active", "Interview")
    archived = results(
        ats, "application.changeStatus", {"applicationId": other["id"], "status": "Archived", "archiveReasonId": "x"}
    )
    assert archived["archiveReason"]["text"] == "x"

    bob_connection(ats, simulator(create_app(read_lag_seconds=0)))
    hiring = hiring_record(runtime, org.organization_id)
    push = results(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bob"})
    results(ats, "job.setStatus", {"jobId": job["id"], "status": "Closed"})

    def delivered(action: str, **where: str) -> None:
        wait_for(lambda: rec.violations or rec.find(action, **where))
        assert rec.violations == []

    delivered("offerUpdate", data__offer__offerStatus="CandidateAccepted")
    delivered("candidateHire", data__application__id=application["id"])
    delivered("pushToHRIS", data__hrisPush__id=push["id"])
    results(ats, "webhook.delete", {"webhookId": hooks["candidateHire"]["id"]})
    hired = rec.find("candidateHire", data__application__id=application["id"])
    assert hired is not None
    assert hired["data"]["offer"]["id"] == offer["id"]

    checked = CHECKED - before
    ashby = {name for name, entry in ashby_schemas.document()["operations"].items() if entry["ashby"]}
    assert ashby - set(checked) == set(), "Ashby operations not validated"
    # The 19 of the issue, plus offerProcess.start, offer.start, interviewPlan.list, interviewStage.list and
    # application.changeStage.
    assert len(ashby) == 24
    assert {f"webhook:{a}" for a in ("candidateHire", "offerUpdate", "pushToHRIS")} <= set(checked)


def test_ashbys_offer_flow(ats: httpx.Client) -> None:
    person = make_candidate(ats)
    application = results(ats, "application.create", {"candidateId": person["id"], "jobId": make_job(ats)["id"]})
    process = results(ats, "offerProcess.start", {"applicationId": application["id"]})
    assert (process["applicationId"], process["status"]) == (application["id"], "WaitingOnOfferCreation")
    assert results(ats, "offerProcess.start", {"applicationId": application["id"]})["id"] == process["id"]

    form = results(ats, "offer.start", {"offerProcessId": process["id"]})
    fields = {f["field"]["path"]: f["field"] for f in form["formDefinition"]["sections"][0]["fields"]}
    assert {p: f["type"] for p, f in fields.items()} == {
        "startDate": "Date",
        "salary": "Currency",
        "salaryPeriod": "ValueSelect",
        "jobTitle": "String",
    }

    def create(form_id: str, *submissions: dict[str, Any]) -> dict[str, Any]:
        body = {"offerProcessId": process["id"], "offerFormId": form_id, "offerForm": {"fieldSubmissions": submissions}}
        return ats.post("/offer.create", json=body).json()  # type: ignore[no-any-return]

    stale = results(ats, "offer.start", {"offerProcessId": process["id"]})["id"]
    form = results(ats, "offer.start", {"offerProcessId": process["id"]})
    assert create(stale)["errorInfo"]["code"] == "offer_form_not_found"
    refused = create(form["id"], {"path": "bonus", "value": "1"})["errorInfo"]
    assert (refused["code"], refused["meta"]["fields"][0]["field"]) == (
        "invalid_input",
        "offerForm.fieldSubmissions[0].path",
    )
    refused = create(form["id"], {"path": "startDate", "value": "soon"})["errorInfo"]
    assert refused["meta"]["fields"][0]["field"] == "offerForm.fieldSubmissions[0].value"
    mixed = error(ats, "offer.create", {"offerProcessId": process["id"], "applicationId": application["id"]})
    assert mixed["meta"]["fields"][0]["field"] == "offerFormId"

    answer = create(
        form["id"],
        {"path": "startDate", "value": "2031-02-03"},
        {"path": "salary", "value": {"currencyCode": "EUR", "value": 90000}},
        {"path": "salaryPeriod", "value": "Month"},
        {"path": "jobTitle", "value": "Analyst"},
    )
    assert answer["success"] is True, answer
    offer = answer["results"]
    assert offer["latestVersion"]["id"] == form["id"]
    assert offer["latestVersion"]["startDate"] == "2031-02-03T00:00:00.000Z"
    assert offer["latestVersion"]["salary"] == {"currencyCode": "EUR", "value": 90000}
    assert offer["formDefinition"] == form["formDefinition"]
    again = results(ats, "offerProcess.start", {"applicationId": application["id"]})
    assert (again["id"], again["status"]) == (process["id"], "WaitingOnApprovalStart")
    assert error(ats, "offer.start", {"offerProcessId": process["id"]})["code"] == "offer_already_created"

    # The simple shape (hirebridge's extension) still works, and the two exclude each other.
    simple = make_candidate(ats, "Ada")
    other = results(ats, "application.create", {"candidateId": simple["id"], "jobId": make_job(ats)["id"]})
    created = results(ats, "offer.create", {"applicationId": other["id"], "startDate": "2031-01-01"})
    assert created["applicationId"] == other["id"]
    assert error(ats, "offerProcess.start", {"applicationId": other["id"]})["code"] == "offer_already_in_progress"
    assert error(ats, "offer.create", {"startDate": "2031-01-01"})["meta"]["fields"][0]["field"] == "applicationId"


def test_created_after_filters_every_list(ats: httpx.Client) -> None:
    first = make_candidate(ats, "First")
    second = make_candidate(ats, "Second")
    job = make_job(ats)
    early = results(ats, "application.create", {"candidateId": first["id"], "jobId": job["id"]})
    late = results(ats, "application.create", {"candidateId": second["id"], "jobId": job["id"]})
    offer = results(ats, "offer.create", {"applicationId": late["id"]})
    cut = ms(first["createdAt"])
    assert second["id"] in {c["id"] for c in results(ats, "candidate.list", {"createdAfter": cut})}
    assert first["id"] not in {c["id"] for c in results(ats, "candidate.list", {"createdAfter": cut})}
    listed = results(ats, "application.list", {"jobId": job["id"], "createdAfter": ms(early["createdAt"])})
    assert [a["id"] for a in listed] == [late["id"]]
    assert results(ats, "offer.list", {"createdAfter": ms(offer["latestVersion"]["createdAt"])}) == []
    assert [o["id"] for o in results(ats, "offer.list", {"createdAfter": cut})] == [offer["id"]]
    assert job["id"] not in {j["id"] for j in results(ats, "job.list", {"createdAfter": ms(late["createdAt"])})}
    assert job["id"] in {j["id"] for j in results(ats, "job.list", {"createdAfter": cut})}
    # A cursor belongs to the createdAfter it was issued for.
    page = ats.post("/candidate.list", json={"limit": 1, "createdAfter": 0}).json()
    assert page["moreDataAvailable"] is True
    moved = error(ats, "candidate.list", {"limit": 1, "createdAfter": 1, "cursor": page["nextCursor"]})
    assert moved["meta"]["fields"][0]["field"] == "cursor"
    assert error(ats, "candidate.list", {"createdAfter": -1})["meta"]["fields"][0]["field"] == "createdAfter"


def test_job_list_opened_and_closed_filters(ats: httpx.Client) -> None:
    still_open = make_job(ats, "Open one")
    closed = make_job(ats, "Closed one")
    closed = results(ats, "job.setStatus", {"jobId": closed["id"], "status": "Closed"})
    draft = make_job(ats, "Never opened", status="Draft")

    def ids(**body: int) -> set[str]:
        listed = results(ats, "job.list", {"status": ["Draft", "Open", "Closed"], **body})
        return {j["id"] for j in listed} & {still_open["id"], closed["id"], draft["id"]}

    assert ids() == {still_open["id"], closed["id"], draft["id"]}
    assert ids(openedAfter=ms(still_open["openedAt"]) - 1) == {still_open["id"], closed["id"]}
    assert ids(openedAfter=ms(closed["openedAt"])) == set()
    assert ids(openedBefore=ms(closed["openedAt"])) == {still_open["id"]}
    assert ids(closedAfter=ms(closed["closedAt"]) - 1) == {closed["id"]}
    assert ids(closedAfter=ms(closed["closedAt"])) == set()
    assert ids(closedBefore=ms(closed["closedAt"]) + 1) == {closed["id"]}
    assert error(ats, "job.list", {"openedAfter": "yesterday"})["meta"]["fields"][0]["field"] == "openedAfter"


def test_application_create_places_dates_and_refuses_what_it_cannot_keep(ats: httpx.Client) -> None:
    person = make_candidate(ats)
    job = make_job(ats)

    def create(**extra: Any) -> dict[str, Any]:
        return ats.post("/application.create", json={"candidateId": person["id"], "jobId": job["id"], **extra}).json()  # type: ignore[no-any-return]

    default = create()["results"]
    assert (default["status"], default["currentInterviewStage"]["type"]) == ("Active", "PreInterviewScreen")
    assert default["currentInterviewStage"]["interviewPlanId"] == job["defaultInterviewPlanId"]
    first = create(interviewStageId="FirstPreInterviewScreen")["results"]
    assert first["currentInterviewStage"] == default["currentInterviewStage"]
    lead = create(interviewStageId=stage(ats, "Lead")["id"], interviewPlanId=job["defaultInterviewPlanId"])
    assert (lead["results"]["status"], lead["results"]["currentInterviewStage"]["title"]) == ("Lead", "Lead")
    offer_stage = create(interviewStageId=stage(ats, "Offer")["id"])["results"]
    assert (offer_stage["status"], offer_stage["currentInterviewStage"]["type"]) == ("Active", "Offer")
    assert create(interviewStageId=stage(ats, "Hired")["id"])["results"]["status"] == "Hired"
    archived = create(interviewStageId=stage(ats, "Archived")["id"])["errorInfo"]
    assert (archived["code"], archived["meta"]["fields"][0]["field"]) == ("invalid_input", "interviewStageId")
    unknown = create(interviewStageId="00000000-0000-4000-8000-000000000000")["errorInfo"]
    assert (unknown["code"], unknown["meta"]["field"]) == ("interview_stage_not_found", "interviewStageId")
    plan = create(interviewPlanId="00000000-0000-4000-8000-000000000000")["errorInfo"]
    assert plan["code"] == "interview_plan_not_found"

    dated = create(createdAt="2020-05-01T09:30:00Z")["results"]
    assert dated["createdAt"] == "2020-05-01T09:30:00.000Z"
    listed = results(ats, "application.list", {"jobId": job["id"], "limit": 1})
    assert listed[0]["id"] == dated["id"]  # ordered by createdAt, so it comes first
    for field in ("sourceId", "creditedToUserId"):
        refused = create(**{field: "00000000-0000-4000-8000-000000000000"})["errorInfo"]
        assert (refused["code"], refused["meta"]["fields"][0]["field"]) == ("invalid_input", field)
        refused = error(ats, "candidate.create", {"name": "X", field: "00000000-0000-4000-8000-000000000000"})
        assert refused["meta"]["fields"][0]["field"] == field
    history = create(applicationHistory=[{"stageId": stage(ats, "Lead")["id"], "stageNumber": 0}])["errorInfo"]
    assert history["meta"]["fields"][0]["field"] == "applicationHistory"


def test_profile_url_is_the_candidate_in_this_service(ats: httpx.Client, service: str) -> None:
    person = make_candidate(ats, "Katherine Johnson", email="kj@example.com")
    assert person["profileUrl"] == f"{service}/candidate.info?id={person['id']}"
    fetched = ats.get(person["profileUrl"])
    assert fetched.status_code == 200
    assert fetched.json()["results"] == results(ats, "candidate.info", {"id": person["id"]})
    with httpx.Client(timeout=30) as anonymous:
        assert anonymous.get(person["profileUrl"]).status_code == 401
    assert json.loads(ats.get(f"{service}/candidate.info").text)["errorInfo"]["code"] == "invalid_input"


def test_optional_fields_without_a_value_are_left_out(ats: httpx.Client) -> None:
    person = make_candidate(ats, "Nobody")
    for absent in (
        "primaryEmailAddress",
        "primaryPhoneNumber",
        "position",
        "company",
        "school",
        "timezone",
        "source",
        "resumeFileHandle",
        "creditedToUser",
        "location",
    ):
        assert absent not in person, absent
    assert person["emailAddresses"] == []
    job = make_job(ats, status="Draft")
    for absent in ("locationId", "departmentId", "openedAt", "closedAt", "customRequisitionId"):
        assert absent not in job, absent
    application = results(ats, "application.create", {"candidateId": person["id"], "jobId": job["id"]})
    for absent in ("source", "archiveReason", "appliedViaJobPostingId", "creditedToUser", "archivedAt"):
        assert absent not in application, absent
    assert application["job"] == {"id": job["id"], "title": job["title"]}
    offer = results(ats, "offer.create", {"applicationId": application["id"]})
    assert "decidedAt" not in offer
    assert "openingId" not in offer["latestVersion"]
    assert "startDate" not in offer["latestVersion"]
    assert datetime.fromisoformat(offer["latestVersion"]["createdAt"]).tzinfo == UTC


def test_fields_ashby_documents_but_hirebridge_does_not_keep_are_named_in_a_warning(ats: httpx.Client) -> None:
    answer = ats.post("/candidate.create", json={"name": "Lin", "linkedInUrl": "https://linkedin.com/in/lin"}).json()
    assert answer["success"] is True
    assert answer["warnings"] == ["fields_not_stored: linkedInUrl"]
    assert "warnings" not in ats.post("/candidate.create", json={"name": "Plain"}).json()
    plan = results(ats, "interviewPlan.list")[0]["id"]
    answer = ats.post("/job.create", json={"title": "T", "defaultInterviewPlanId": plan, "brandId": plan}).json()
    assert answer["results"]["defaultInterviewPlanId"] == plan
    assert answer["warnings"] == ["fields_not_stored: brandId"]
    missing = error(ats, "job.create", {"title": "T", "defaultInterviewPlanId": "00000000-0000-4000-8000-000000000000"})
    assert (missing["code"], missing["meta"]["field"]) == ("interview_plan_not_found", "defaultInterviewPlanId")


def test_change_stage_moves_within_the_default_plan(ats: httpx.Client) -> None:
    person = make_candidate(ats)
    application = results(ats, "application.create", {"candidateId": person["id"], "jobId": make_job(ats)["id"]})

    def move(title: str, **extra: Any) -> dict[str, Any]:
        body = {"applicationId": application["id"], "interviewStageId": stage(ats, title)["id"], **extra}
        return ats.post("/application.changeStage", json=body).json()  # type: ignore[no-any-return]

    offer = move("Offer")["results"]
    assert (offer["status"], offer["currentInterviewStage"]["type"]) == ("Active", "Offer")
    lead = move("Lead")["results"]
    assert (lead["status"], lead["currentInterviewStage"]["orderInInterviewPlan"]) == ("Lead", 0)
    refused = move("Archived")["errorInfo"]
    assert refused["meta"]["fields"][0]["field"] == "archiveReasonId"
    refused = move("Interview", archiveReasonId="no")["errorInfo"]
    assert refused["meta"]["fields"][0]["field"] == "archiveReasonId"
    refused = move("Archived", archiveReasonId="x", archiveEmail={"communicationTemplateId": "t"})["errorInfo"]
    assert refused["meta"]["fields"][0]["field"] == "archiveEmail"
    archived = move("Archived", archiveReasonId="Withdrew")["results"]
    assert (archived["status"], archived["archiveReason"]["text"]) == ("Archived", "Withdrew")
    back = move("Interview")["results"]
    assert (back["status"], back["currentInterviewStage"]["title"]) == ("Active", "Interview")
    assert "archiveReason" not in back
    assert move("Hired")["results"]["status"] == "Hired"
    body = {"applicationId": application["id"], "interviewStageId": "00000000-0000-4000-8000-000000000000"}
    assert error(ats, "application.changeStage", body)["code"] == "interview_stage_not_found"


def test_expand_answers_what_was_asked_for(ats: httpx.Client) -> None:
    job = results(ats, "job.create", {"title": "Geologist", "location": "Oslo"})
    expanded = results(ats, "job.info", {"id": job["id"], "expand": ["location", "openings"]})
    assert expanded["openings"] == []
    assert (expanded["location"]["name"], expanded["location"]["isArchived"]) == ("Oslo", False)
    assert "location" not in results(ats, "job.info", {"id": job["id"]})
    listed = results(ats, "job.list", {"status": ["Draft"], "expand": ["location"]})
    assert next(j for j in listed if j["id"] == job["id"])["location"] == expanded["location"]
    person = make_candidate(ats)
    application = results(ats, "application.create", {"candidateId": person["id"], "jobId": job["id"]})
    info = results(ats, "application.info", {"applicationId": application["id"], "expand": ["openings", "referrals"]})
    assert (info["openings"], info["referrals"]) == ([], [])
    assert "applicationFormSubmissions" not in info
    listed = results(ats, "application.list", {"jobId": job["id"], "expand": ["openings"]})
    assert [a["openings"] for a in listed] == [[]]
    refused = error(ats, "job.info", {"id": job["id"], "expand": ["compensation"]})
    assert refused["meta"]["fields"][0]["field"].startswith("expand")
