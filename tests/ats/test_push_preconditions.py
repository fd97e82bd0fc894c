"""candidate.pushToHris refuses, with the documented code and a clear message, every call whose preconditions do
not hold, and sends nothing to the HRIS when it does (the simulator's record count stays at zero)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hirebridge.core.models import OfferStatus
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import IssuedCredentials, create_organization, issue_api_key
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import (
    Hiring,
    ats,
    bob_connection,
    call,
    error_code,
    make_application,
    records,
    simulator,
)

__all__ = ["ats", "simulator"]


@pytest.fixture
def bob(ats: httpx.Client, simulator: Callable[[Any], str]) -> tuple[str, str]:
    """A Bob simulator and this organization's connection to it: (simulator url, connection id)."""
    from hirebridge.sandbox.bob.app import create_app

    url = simulator(create_app(read_lag_seconds=0))
    return url, bob_connection(ats, url)


def push(ats: httpx.Client, hiring: Hiring, **extra: Any) -> dict[str, Any]:
    return call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bob", **extra})


def test_offer_not_accepted_blocks_the_push(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    hiring = make_application(runtime, org.organization_id, offer=OfferStatus.WAITING_ON_CANDIDATE_RESPONSE)
    answer = push(ats, hiring)
    assert error_code(answer) == "candidate_hris_push_blocked_by_offer_status"
    assert "WaitingOnCandidateResponse" in answer["errorInfo"]["message"]
    assert answer["errorInfo"]["meta"]["offerStatus"] == "WaitingOnCandidateResponse"
    no_offer = make_application(runtime, org.organization_id, offer=None)
    answer = push(ats, no_offer)
    assert error_code(answer) == "candidate_hris_push_blocked_by_offer_status"
    assert "no offer" in answer["errorInfo"]["message"]
    assert records(bob[0]) == []


def test_a_connection_that_does_not_require_an_accepted_offer_pushes_anyway(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    call(ats, "hrisConnection.update", {"hrisConnectionId": bob[1], "requiresAcceptedOffer": False})
    hiring = make_application(runtime, org.organization_id, offer=OfferStatus.WAITING_ON_CANDIDATE_RESPONSE)
    answer = push(ats, hiring)
    assert answer["success"] is True, answer
    assert answer["results"]["state"] == "succeeded"
    assert len(records(bob[0])) == 1


def test_candidate_without_a_name_is_refused(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    hiring = make_application(runtime, org.organization_id, first_name=None, last_name="  ")
    answer = push(ats, hiring)
    assert error_code(answer) == "candidate_hris_push_missing_name"
    assert "name" in answer["errorInfo"]["message"]
    assert records(bob[0]) == []


def test_unknown_and_missing_application(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    answer = call(ats, "candidate.pushToHris", {"applicationId": str(uuid.uuid4()), "externalSystem": "bob"})
    assert error_code(answer) == "application_not_found"
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    theirs = make_application(runtime, other.organization_id)
    assert error_code(push(ats, theirs)) == "application_not_found"
    answer = call(ats, "candidate.pushToHris", {"externalSystem": "bob"})
    assert error_code(answer) == "invalid_input"
    assert "applicationId" in answer["errorInfo"]["message"]
    answer = call(ats, "candidate.pushToHris", {"applicationId": "nope", "externalSystem": "bob"})
    assert error_code(answer) == "invalid_input"
    assert records(bob[0]) == []


def test_system_is_required_and_checked(
    ats: httpx.Client,
    runtime: Runtime,
    org: IssuedCredentials,
    bob: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every system the seed names has its connector now; a planned one is made up for this test.
    from hirebridge.connectors import registry

    monkeypatch.setitem(registry.PLANNED, "acmehr", "Acme HR")
    hiring = make_application(runtime, org.organization_id)
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id})
    assert error_code(answer) == "invalid_input"
    assert "externalSystem" in answer["errorInfo"]["message"]
    answer = push(ats, hiring, externalSystem="peoplesoft")
    assert error_code(answer) == "invalid_input"
    assert "bamboohr" in answer["errorInfo"]["message"]
    assert "bob" in answer["errorInfo"]["message"]
    answer = push(ats, hiring, externalSystem="acmehr")  # known, no connector yet
    assert error_code(answer) == "hris_system_not_supported"
    answer = push(ats, hiring, externalSystem="bob", hrisSystem="bamboohr")
    assert error_code(answer) == "invalid_input"
    assert records(bob[0]) == []
    # hrisSystem is accepted as the field's other name.
    answer = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "hrisSystem": "bob"})
    assert answer["success"] is True, answer


def test_missing_or_disabled_connection(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    hiring = make_application(runtime, org.organization_id)
    answer = push(ats, hiring, externalSystem="bamboohr")
    assert error_code(answer) == "hris_connection_not_found"
    assert "hrisConnection.create" in answer["errorInfo"]["message"]
    call(ats, "hrisConnection.update", {"hrisConnectionId": bob[1], "isEnabled": False})
    answer = push(ats, hiring)
    assert error_code(answer) == "hris_connection_disabled"
    assert records(bob[0]) == []


def test_selfserve_integration_needs_its_partner_id(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    partner_id = str(uuid.uuid4())
    call(ats, "hrisConnection.update", {"hrisConnectionId": bob[1], "integrationPartnerId": partner_id})
    hiring = make_application(runtime, org.organization_id)
    assert error_code(push(ats, hiring)) == "integration_partner_id_required"
    assert error_code(push(ats, hiring, integrationPartnerId=str(uuid.uuid4()))) == "hris_connection_not_found"
    assert records(bob[0]) == []
    answer = push(ats, hiring, integrationPartnerId=partner_id)
    assert answer["success"] is True, answer
    assert answer["results"]["integrationPartnerId"] == partner_id


@pytest.mark.usefixtures("cli_env")
def test_beta_flag_off_then_on_through_the_cli(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    from typer.testing import CliRunner

    from hirebridge.cli import app as cli

    hiring = make_application(runtime, org.organization_id)
    off = CliRunner().invoke(cli, ["orgs", "configure", org.organization_id, "--no-hris-push"])
    assert off.exit_code == 0, off.output
    assert "hris_push=off" in off.output
    answer = push(ats, hiring)
    assert error_code(answer) == "candidate_hris_push_not_enabled"
    assert "--hris-push" in answer["errorInfo"]["message"]
    assert records(bob[0]) == []

    on = CliRunner().invoke(cli, ["orgs", "configure", org.organization_id, "--hris-push"])
    assert on.exit_code == 0, on.output
    assert push(ats, hiring)["results"]["state"] == "succeeded"
    assert len(records(bob[0])) == 1


def test_permission_and_authentication(
    ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, bob: tuple[str, str]
) -> None:
    hiring = make_application(runtime, org.organization_id)
    with runtime.transaction() as session:
        organization = session.get(Organization, org.organization_id)
        assert organization is not None
        reader = issue_api_key(session, organization, "reader", ["candidatesRead"])
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    with httpx.Client(base_url=str(ats.base_url), auth=(reader, ""), timeout=30) as client:
        refused = client.post("/candidate.pushToHris", json=body)
        assert refused.status_code == 403
        assert refused.json()["errorInfo"]["code"] == "missing_endpoint_permission"
    assert httpx.post(f"{ats.base_url}/candidate.pushToHris", json=body).status_code == 401
    wrong = httpx.post(f"{ats.base_url}/candidate.pushToHris", json=body, auth=("hbk_wrong", ""))
    assert wrong.status_code == 403
    assert records(bob[0]) == []
