"""offer.* over real HTTP: Ashby's offer object, the offerStatus path to a decision with decidedAt and
acceptanceStatus, refused moves, one offer in progress per application, filters and organization isolation."""

from __future__ import annotations

import httpx

from hirebridge.orgs.service import create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, client_for, error, make_application, results

__all__ = ["ats"]


def _offer(ats: httpx.Client, application_id: str, **extra: object) -> dict[str, object]:
    body = {
        "applicationId": application_id,
        "startDate": "2025-03-01",
        "salary": {"currencyCode": "EUR", "value": 85000.5},
        **extra,
    }
    offer: dict[str, object] = results(ats, "offer.create", body)
    return offer


def test_offer_create_and_info(ats: httpx.Client) -> None:
    application = make_application(ats)
    offer = _offer(ats, application["id"], jobTitle="Senior Analyst", customFields={"bonus": 5000})
    assert offer["applicationId"] == application["id"]
    assert (offer["offerStatus"], offer["acceptanceStatus"]) == ("WaitingOnApprovalStart", "Created")
    assert "decidedAt" not in offer  # undecided: Ashby's schema has no null for it
    version = offer["latestVersion"]
    assert isinstance(version, dict)
    assert version["startDate"] == "2025-03-01T00:00:00.000Z"  # Ashby's date-time: midnight UTC of the day
    assert version["salary"] == {"currencyCode": "EUR", "value": 85000.5}
    assert [(f["title"], f["value"]) for f in version["customFields"]] == [("bonus", 5000)]
    assert results(ats, "offer.info", {"offerId": offer["id"]}) == offer


def test_offer_path_to_acceptance(ats: httpx.Client) -> None:
    offer = _offer(ats, make_application(ats)["id"])
    steps = [
        ("WaitingOnOfferApproval", "Pending", "WaitingOnApprovals"),
        ("WaitingOnCandidateResponse", "WaitingOnResponse", "Approved"),
        ("CandidateAccepted", "Accepted", "Approved"),
    ]
    for status, acceptance, approval in steps:
        moved = results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": status})
        assert (moved["offerStatus"], moved["acceptanceStatus"]) == (status, acceptance)
        assert moved["latestVersion"]["approvalStatus"] == approval
    assert moved["decidedAt"] is not None
    again = results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "CandidateAccepted"})
    assert again["decidedAt"] == moved["decidedAt"]
    info = error(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "CandidateRejected"})
    assert info["code"] == "offer_status_transition_not_allowed"
    assert info["meta"] == {
        "currentStatus": "CandidateAccepted",
        "requestedStatus": "CandidateRejected",
        "allowedStatuses": ["OfferCancelled"],
    }
    assert info["message"].endswith("it can move to OfferCancelled.")
    cancelled = results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "OfferCancelled"})
    assert cancelled["acceptanceStatus"] == "Cancelled"


def test_offer_rejection_and_refused_moves(ats: httpx.Client) -> None:
    offer = _offer(ats, make_application(ats)["id"])
    info = error(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "CandidateAccepted"})
    assert info["code"] == "offer_status_transition_not_allowed"
    results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "WaitingOnCandidateResponse"})
    rejected = results(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "CandidateRejected"})
    assert (rejected["acceptanceStatus"], rejected["decidedAt"] is not None) == ("Declined", True)
    info = error(ats, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "Accepted"})
    assert info["code"] == "invalid_input"
    assert info["meta"]["fields"][0]["field"] == "offerStatus"


def test_one_offer_in_progress_per_application(ats: httpx.Client) -> None:
    application = make_application(ats)
    first = _offer(ats, application["id"])
    info = error(ats, "offer.create", {"applicationId": application["id"]})
    assert info["code"] == "offer_already_in_progress"
    assert info["meta"] == {"offerId": first["id"]}
    results(ats, "offer.setStatus", {"offerId": first["id"], "offerStatus": "OfferCancelled"})
    second = _offer(ats, application["id"])
    listed = results(ats, "offer.list", {"applicationId": application["id"]})
    assert [o["id"] for o in listed] == [first["id"], second["id"]]
    undecided = results(ats, "offer.list", {"applicationId": application["id"], "acceptanceStatus": ["Created"]})
    assert [o["id"] for o in undecided] == [second["id"]]
    cancelled = results(ats, "offer.list", {"offerStatus": ["OfferCancelled"]})
    assert [o["id"] for o in cancelled] == [first["id"]]
    mine = {"applicationId": application["id"]}
    assert results(ats, "offer.list", {**mine, "approvalStatus": ["WaitingOnApprovals"]}) == []
    results(ats, "offer.setStatus", {"offerId": second["id"], "offerStatus": "WaitingOnOfferApproval"})
    waiting = results(ats, "offer.list", {**mine, "approvalStatus": ["WaitingOnApprovals", "Declined"]})
    assert [o["id"] for o in waiting] == [second["id"]]
    assert results(ats, "offer.list", {**mine, "approvalStatus": ["Approved"]}) == []
    assert error(ats, "offer.list", {"approvalStatus": []})["meta"]["fields"][0]["field"] == "approvalStatus"


def test_offer_validation(ats: httpx.Client) -> None:
    application = make_application(ats)
    info = error(
        ats,
        "offer.create",
        {
            "applicationId": application["id"],
            "startDate": "next week",
            "salary": {"currencyCode": "usd", "value": -1},
            "customFields": {"": 1},
        },
    )
    fields = {f["field"] for f in info["meta"]["fields"]}
    assert fields == {"startDate", "salary.currencyCode", "salary.value", "customFields"}
    info = error(ats, "offer.create", {"applicationId": "00000000-0000-4000-8000-000000000000"})
    assert (info["code"], info["meta"]["field"]) == ("application_not_found", "applicationId")
    info = error(ats, "offer.info", {"offerId": "00000000-0000-4000-8000-000000000000"})
    assert info["code"] == "offer_not_found"


def test_offers_are_per_organization(ats: httpx.Client, client: httpx.Client, runtime: Runtime) -> None:
    application = make_application(ats)
    offer = _offer(ats, application["id"])
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    with client_for(client, other.api_key) as theirs:
        assert error(theirs, "offer.info", {"offerId": offer["id"]})["code"] == "offer_not_found"
        info = error(theirs, "offer.setStatus", {"offerId": offer["id"], "offerStatus": "OfferCancelled"})
        assert info["code"] == "offer_not_found"
        assert error(theirs, "offer.create", {"applicationId": application["id"]})["code"] == "application_not_found"
        assert results(theirs, "offer.list") == []
    assert results(ats, "offer.info", {"offerId": offer["id"]})["offerStatus"] == "WaitingOnApprovalStart"
