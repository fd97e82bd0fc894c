"""The contract every HRIS connector passes against its vendor's simulator, over real sockets.

``CASES`` is the contract; ``test_contract.py`` runs every case for every kit (``kits.py``) in one parametrised
test. Cases about the wire call the connector directly; cases about exactly-once push through the real service
(``candidate.pushToHris`` on the ATS API, its delivery workers, the database), because that is where a retry, a lost
answer or a race is made safe. The simulators were written from the vendors' docs independently of the connectors,
so agreement here is evidence, not an echo.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from hirebridge.connectors.base import Connector
from hirebridge.connectors.errors import AuthError, RejectedError, RetryableError
from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import make_http_client
from hirebridge.core.models import Candidate
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import Hiring, call, make_application, wait_for
from tests.hris.helpers import a_hire
from tests.hris.kits import Kit, Record

SETTLED = ("succeeded", "failed")


@dataclasses.dataclass
class Simulator:
    kit: Kit
    url: str
    admin: httpx.Client

    @property
    def base_url(self) -> str:
        return self.url + self.kit.base_path

    @contextlib.contextmanager
    def connector(self, *, credentials: dict[str, str] | None = None) -> Iterator[Connector]:
        with make_http_client(timeout=5.0, on_exchange=None, allow_private_network=True) as http:
            yield make_connector(
                self.kit.system,
                base_url=self.base_url,
                credentials=credentials or self.kit.credentials,
                field_mapping={},
                settings=self.kit.settings,
                http=http,
            )

    def faults(self, **switches: Any) -> None:
        self.admin.put("/_sandbox/faults", json=switches).raise_for_status()

    def hires(self) -> list[Record]:
        answer = self.admin.get("/_sandbox/records")
        answer.raise_for_status()
        return self.kit.hires_only(answer.json()["records"])


@contextlib.contextmanager
def running(kit: Kit) -> Iterator[Simulator]:
    with kit.serve(kit.make_app()) as url, httpx.Client(base_url=url, timeout=10, verify=kit.admin_verify) as admin:
        kit.prepare(admin)
        yield Simulator(kit, url, admin)


@dataclasses.dataclass
class Service:
    """The real service, for the cases about exactly-once: an organization's ATS API client and its database."""

    ats: httpx.Client
    runtime: Runtime
    org: IssuedCredentials

    def connect(self, sim: Simulator) -> None:
        body = {
            "system": sim.kit.system,
            "name": f"{sim.kit.system} contract",
            "baseUrl": sim.base_url,
            "credentials": sim.kit.credentials,
            "settings": sim.kit.settings,
            "rateLimitPerSecond": 50,
        }
        answer = call(self.ats, "hrisConnection.create", body)
        assert answer["success"] is True, answer

    def hiring(self) -> Hiring:
        return make_application(self.runtime, self.org.organization_id)

    def start(self, sim: Simulator, hiring: Hiring) -> str:
        """Ask for the push; its id (the call answers when the push settles or the wait runs out)."""
        body = {"applicationId": hiring.application_id, "externalSystem": sim.kit.system}
        answer = call(self.ats, "candidate.pushToHris", body)
        return str(answer["results"]["id"] if answer["success"] else answer["errorInfo"]["meta"]["pushId"])

    def info(self, push_id: str) -> dict[str, Any]:
        results: dict[str, Any] = call(self.ats, "hrisPush.info", {"pushId": push_id})["results"]
        return results

    def settled(self, push_id: str) -> dict[str, Any]:
        return wait_for(lambda: (p := self.info(push_id))["state"] in SETTLED and p, timeout=60)

    def attempted(self, push_id: str, matches: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Wait for an attempt of the push that ``matches``; that attempt."""
        return wait_for(lambda: next((a for a in self.info(push_id)["attemptLog"] if matches(a)), None), timeout=60)


@dataclasses.dataclass
class Case:
    sim: Simulator
    service: Callable[[], Service]  # started on first use: the wire cases do not need it


# -- the wire ---------------------------------------------------------------------------------------------------------


def create(case: Case) -> None:
    hire = a_hire()
    with case.sim.connector() as connector:
        ref = connector.create(connector.build_payload(hire))
    assert ref.remote_id
    [record] = case.sim.hires()
    assert case.sim.kit.first_name_of(record) == "Ada"
    assert (case.sim.kit.email_of(record) or "").lower() == (hire.email or "").lower()


def look_up(case: Case) -> None:
    hire = a_hire()
    with case.sim.connector() as connector:
        assert connector.find_existing(hire) is None
        created = connector.create(connector.build_payload(hire))
        shouted = dataclasses.replace(hire, email=(hire.email or "").upper())
        found = connector.find_existing(shouted)
        assert found is not None
        assert found.remote_id == created.remote_id
        assert connector.find_existing(a_hire()) is None


def refused_with_the_vendors_words(case: Case) -> None:
    with case.sim.connector() as connector, pytest.raises(RejectedError) as caught:
        connector.create(connector.build_payload(case.sim.kit.refused_hire()))
    assert not isinstance(caught.value, AuthError | RetryableError)  # final, and about the data
    assert caught.value.http_status is not None  # the HRIS said it, not our pre-flight check
    assert case.sim.kit.refusal_says in caught.value.message
    assert "refused the data (HTTP" not in caught.value.message  # the vendor's text, not our fallback
    assert case.sim.hires() == []


def bad_credentials(case: Case) -> None:
    with case.sim.connector(credentials=case.sim.kit.bad_credentials) as connector:
        with pytest.raises(AuthError):
            connector.create(connector.build_payload(a_hire()))
        with pytest.raises(AuthError):
            connector.find_existing(a_hire())
    assert case.sim.hires() == []


def expired_token_refresh(case: Case) -> None:
    """A token the HRIS expired is fetched again once, and the call it failed is sent again."""
    if case.sim.kit.no_tokens:
        pytest.skip(case.sim.kit.no_tokens)
    sim = case.sim
    with sim.connector() as connector:
        first = connector.create(connector.build_payload(a_hire()))
        assert sim.admin.get("/_sandbox/tokens").json()["tokens_issued"] == 1
        sim.admin.post("/_sandbox/tokens/expire").raise_for_status()
        hire = a_hire()
        second = connector.create(connector.build_payload(hire))
        assert sim.admin.get("/_sandbox/tokens").json()["tokens_issued"] == 2
        assert connector.find_existing(hire) == second
    assert first != second
    assert len(sim.hires()) == 2


def throttling_honoured(case: Case) -> None:
    """The connector reads the vendor's wait; the push domain waits at least that long before trying again."""
    sim = case.sim
    sim.faults(throttle_rate=1, retry_after_seconds=7)
    with sim.connector() as connector, pytest.raises(RetryableError) as caught:
        connector.create(connector.build_payload(a_hire()))
    assert type(caught.value) is RetryableError  # nothing was written, so the outcome is known
    assert caught.value.retry_after is not None
    assert 5.5 <= caught.value.retry_after <= 8.5  # 7 s, as seconds or as a reset time rounded to the second
    assert sim.hires() == []

    service = case.service()
    service.connect(sim)
    sim.faults(throttle_rate=1, retry_after_seconds=2)
    push_id = service.start(sim, service.hiring())
    throttled = service.attempted(push_id, lambda a: a["httpStatus"] in (429, 503) and a["finishedAt"])
    sim.faults()
    push = service.settled(push_id)
    assert push["state"] == "succeeded", push["errorMessage"]
    after = next(a for a in push["attemptLog"] if a["number"] == throttled["number"] + 1)
    waited = datetime.fromisoformat(after["startedAt"]) - datetime.fromisoformat(throttled["finishedAt"])
    assert waited.total_seconds() >= 1.9  # Retry-After: 2 (timestamps are kept to the millisecond)
    assert len(sim.hires()) == 1


# -- exactly once, through the service -------------------------------------------------------------------------------


def update_on_re_push(case: Case) -> None:
    if case.sim.kit.no_updates:
        pytest.skip(case.sim.kit.no_updates)
    sim, service = case.sim, case.service()
    service.connect(sim)
    hiring = service.hiring()
    first = service.settled(service.start(sim, hiring))
    assert first["state"] == "succeeded", first["errorMessage"]
    with service.runtime.transaction() as session:
        session.execute(update(Candidate).where(Candidate.id == hiring.candidate_id).values(first_name="Augusta"))
    second = service.settled(service.start(sim, hiring))
    assert second["state"] == "succeeded", second["errorMessage"]
    assert (second["operation"], second["remoteId"]) == ("update", first["remoteId"])
    [record] = sim.hires()
    assert sim.kit.first_name_of(record) == "Augusta"


def server_errors_retried(case: Case) -> None:
    sim, service = case.sim, case.service()
    service.connect(sim)
    sim.faults(error_rate=1, retry_after_seconds=1)
    push_id = service.start(sim, service.hiring())
    service.attempted(push_id, lambda a: (a["httpStatus"] or 0) >= 500 and a["finishedAt"])
    sim.faults()
    push = service.settled(push_id)
    assert push["state"] == "succeeded", push["errorMessage"]
    assert len(sim.hires()) == 1


def lost_answer_no_duplicate(case: Case) -> None:
    sim, service = case.sim, case.service()
    service.connect(sim)
    hiring = service.hiring()
    sim.faults(drop_after_commit_rate=1)
    push_id = service.start(sim, hiring)
    service.attempted(push_id, lambda a: a["outcome"] == "unknown")
    assert len(sim.hires()) == 1  # the create was committed; its answer was lost
    sim.faults()
    push = service.settled(push_id)
    assert push["state"] == "succeeded", push["errorMessage"]
    [record] = sim.hires()
    assert (sim.kit.email_of(record) or "").lower() == hiring.email.lower()


def concurrent_pushes_one_record(case: Case) -> None:
    sim, service = case.sim, case.service()
    service.connect(sim)
    hiring = service.hiring()
    sim.faults(latency_ms=300)  # every call arrives while the first push is still active
    barrier = threading.Barrier(8)
    push_ids: list[str] = []

    def one() -> None:
        barrier.wait()
        push_ids.append(service.start(sim, hiring))

    threads = [threading.Thread(target=one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(push_ids) == 8
    for push_id in set(push_ids):
        assert service.settled(push_id)["state"] == "succeeded"
    assert len(sim.hires()) == 1


CASES: list[Callable[[Case], None]] = [
    create,
    look_up,
    update_on_re_push,
    refused_with_the_vendors_words,
    bad_credentials,
    expired_token_refresh,
    throttling_honoured,
    server_errors_retried,
    lost_answer_no_duplicate,
    concurrent_pushes_one_record,
]
