"""How many database round trips a request costs (see tests/perf/counting.py for what is counted), so that a
regression shows as a failing count rather than as a slower benchmark.

The service here runs without delivery workers (nothing else uses its engine while a request is counted) and with
``push_wait_seconds=0``, so ``candidate.pushToHris`` answers as soon as its own API work is done: its push stays
queued, and what is counted is the API side only (the worker's side is counted by the delivery tests).
Each counted request follows a warm-up request of the same kind, so the pool holds a connection already.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from hirebridge.delivery.models import DeliveryJob
from hirebridge.hris.models import HrisPush
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.ats.hris_helpers import bob_connection, call, make_application
from tests.conftest import PartnerSession
from tests.partner.helpers import CANDIDATES, candidate_body, create_job
from tests.perf.counting import RoundTrips, count_round_trips
from tests.support.servers import serve

CREATE_MAX = 8
CREATE_REPLAY_MAX = 8
PUSH_TO_HRIS_MAX = 10
HEALTHZ_MAX = 3


@dataclass
class Quiet:
    """A service whose engine only the counted request uses."""

    runtime: Runtime
    client: httpx.Client
    org: IssuedCredentials
    partner: PartnerSession
    ats: httpx.Client


@pytest.fixture(scope="module")
def quiet(settings: Settings) -> Iterator[Quiet]:
    from hirebridge.app import create_app

    runtime = Runtime.from_settings(settings.model_copy(update={"push_wait_seconds": 0.0}))
    with serve(create_app(runtime)) as url:
        runtime.public_url = url
        with runtime.transaction() as session:
            org = create_organization(session, "Counted Org")
        with (
            httpx.Client(base_url=url, timeout=30) as client,
            httpx.Client(base_url=url, auth=(org.api_key, ""), timeout=30) as ats,
        ):
            token = client.post(
                "/partner/oauth2/token",
                json={"grant_type": "client_credentials"},
                auth=(org.client_id, org.client_secret),
            ).json()["access_token"]
            yield Quiet(runtime, client, org, PartnerSession(client, org, token), ats)
    with runtime.transaction() as session:  # the pushes counted here are never meant to run: leave no due job behind
        session.execute(delete(DeliveryJob).where(DeliveryJob.organization_id == org.organization_id))
        session.execute(delete(HrisPush).where(HrisPush.organization_id == org.organization_id))
    runtime.close()


def _counted(quiet: Quiet, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, RoundTrips]:
    with count_round_trips(quiet.runtime.engine) as trips:
        response = quiet.client.request(method, path, **kwargs)
    return response, trips


def _assert_at_most(trips: RoundTrips, limit: int, what: str) -> None:
    assert trips.count <= limit, f"{what}: {trips.count} round trips, at most {limit} expected:\n{trips.describe()}"
    assert trips.connects == 0, f"{what} opened {trips.connects} new database connection(s) on a warm pool"


def test_candidate_create_costs_at_most_8_round_trips(quiet: Quiet) -> None:
    ext_job_id = create_job(quiet.partner)
    warm = quiet.client.post(CANDIDATES, json=candidate_body(ext_job_id), headers=quiet.partner.headers)
    assert warm.status_code == 200, warm.text
    response, trips = _counted(
        quiet, "POST", CANDIDATES, json=candidate_body(ext_job_id), headers=quiet.partner.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "invited"
    _assert_at_most(trips, CREATE_MAX, "candidate create")


def test_known_candidate_and_replay_cost_at_most_8_round_trips(quiet: Quiet) -> None:
    ext_job_id = create_job(quiet.partner)
    first = candidate_body(ext_job_id)
    assert quiet.client.post(CANDIDATES, json=first, headers=quiet.partner.headers).status_code == 200
    again = candidate_body(ext_job_id, ext_candidate_id=first["ext_candidate_id"], first_name="Janet")
    response, trips = _counted(quiet, "POST", CANDIDATES, json=again, headers=quiet.partner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["first_name"] == "Janet"
    _assert_at_most(trips, CREATE_MAX, "application of a known candidate")
    response, trips = _counted(quiet, "POST", CANDIDATES, json=again, headers=quiet.partner.headers)
    assert response.status_code == 200, response.text
    _assert_at_most(trips, CREATE_REPLAY_MAX, "replayed create")


def test_push_to_hris_api_work_costs_at_most_10_round_trips(quiet: Quiet) -> None:
    bob_connection(quiet.ats, "http://127.0.0.1:9")  # nothing listens; the fixture deletes the queued jobs after
    warm = make_application(quiet.runtime, quiet.org.organization_id)
    answer = call(quiet.ats, "candidate.pushToHris", {"applicationId": warm.application_id, "externalSystem": "bob"})
    assert answer["success"] is True, answer
    hiring = make_application(quiet.runtime, quiet.org.organization_id)
    body = {"applicationId": hiring.application_id, "externalSystem": "bob"}
    response, trips = _counted(quiet, "POST", "/candidate.pushToHris", json=body, auth=(quiet.org.api_key, ""))
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True, response.text
    assert response.json()["results"]["state"] == "queued"
    _assert_at_most(trips, PUSH_TO_HRIS_MAX, "candidate.pushToHris")


def test_healthz_costs_at_most_3_round_trips(quiet: Quiet) -> None:
    assert quiet.client.get("/healthz").status_code == 200
    response, trips = _counted(quiet, "GET", "/healthz")
    assert response.status_code == 200
    _assert_at_most(trips, HEALTHZ_MAX, "/healthz")


def test_the_counter_sees_every_statement_of_a_transaction(quiet: Quiet) -> None:
    """The counter itself: a transaction of one statement is BEGIN, the statement, COMMIT."""
    from sqlalchemy import text

    with count_round_trips(quiet.runtime.engine) as trips, quiet.runtime.transaction() as session:
        session.execute(text("SELECT :x"), {"x": uuid.uuid4().hex})
    assert trips.count == 3, trips.describe()
