"""ADP's access token is fetched once for every worker process, not once per push or per process: two `hirebridge
worker` processes push to the ADP simulator at once and the simulator counts one token request; once ADP has expired
that token, the next pushes fetch exactly one more between them (the token store in ``hris.tokens``)."""

from __future__ import annotations

import ssl
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hirebridge.db.migrate import upgrade
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
from hirebridge.hris.models import HrisPush, PushState
from hirebridge.orgs.service import create_organization
from hirebridge.sandbox.adp.app import create_app
from hirebridge.sandbox.adp.tls import serve_tls
from tests.ats.hris_helpers import make_application
from tests.fault.cluster import Cluster
from tests.hris.kits import adp_credentials, adp_pki
from tests.support.databases import fresh_database

PUSHES = 8


def _settled(cluster: Cluster, connection_id: str, expected: int) -> list[HrisPush]:
    deadline = time.monotonic() + 120
    while True:
        with cluster.runtime.sessions() as session:
            pushes = list(session.scalars(select(HrisPush).where(HrisPush.connection_id == connection_id)))
            session.expunge_all()
        if len(pushes) >= expected and all(p.state in (PushState.SUCCEEDED, PushState.FAILED) for p in pushes):
            return pushes
        assert time.monotonic() < deadline, "the pushes did not settle within 120 s"
        time.sleep(0.2)


def _push_all(client: httpx.Client, cluster: Cluster, organization_id: str) -> None:
    for _ in range(PUSHES):
        hiring = make_application(cluster.runtime, organization_id)
        body = {"applicationId": hiring.application_id, "externalSystem": "adp"}
        answer = client.post("/candidate.pushToHris", json=body).json()
        assert answer["success"] is True or answer["errorInfo"]["code"] == "hris_push_pending", answer


@pytest.mark.slow
def test_two_worker_processes_share_one_adp_token_and_refresh_it_once(tmp_path: Path) -> None:
    pki = adp_pki()
    trust = ssl.create_default_context(cafile=str(pki.ca_cert))
    with fresh_database() as url:
        upgrade(url)
        cluster = Cluster(url, tmp_path, lease_seconds=5.0, push_wait_seconds=0.1)
        try:
            cluster.start_api()
            with cluster.runtime.transaction() as session:
                org = create_organization(session, "ADP token sharing")
            with (
                serve_tls(create_app(ca_cert=pki.ca_cert), pki) as sim_url,
                httpx.Client(base_url=sim_url, verify=trust, timeout=10) as admin,
                httpx.Client(base_url=cluster.api_url, auth=(org.api_key, ""), timeout=60) as client,
            ):
                # Every call takes 300 ms, so the second process asks while the first one's token call is under way.
                admin.put("/_sandbox/faults", json={"latency_ms": 300}).raise_for_status()
                body: dict[str, Any] = {
                    "system": "adp",
                    "name": "ADP",
                    "baseUrl": sim_url,
                    "credentials": adp_credentials(pki),
                    "settings": {"serverCaPem": pki.ca_cert.read_text()},
                    "rateLimitPerSecond": 100,
                }
                created = client.post("/hrisConnection.create", json=body).json()
                assert created["success"] is True, created
                connection_id = created["results"]["id"]

                _push_all(client, cluster, org.organization_id)  # queued: no worker runs yet
                for _ in range(2):
                    cluster.start_worker(4)
                first = _settled(cluster, connection_id, PUSHES)
                after_first = admin.get("/_sandbox/tokens").json()

                admin.post("/_sandbox/tokens/expire").raise_for_status()
                _push_all(client, cluster, org.organization_id)
                second = _settled(cluster, connection_id, 2 * PUSHES)
                after_expiry = admin.get("/_sandbox/tokens").json()
                held = admin.get("/_sandbox/records").json()["records"]
            with cluster.runtime.sessions() as session:
                workers = set(
                    session.scalars(
                        select(DeliveryAttempt.worker)
                        .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
                        .join(HrisPush, HrisPush.id == DeliveryJob.subject_id)
                        .where(HrisPush.connection_id == connection_id)
                    )
                )
        finally:
            cluster.stop_workers()
            cluster.close()
    assert {p.state for p in first} == {PushState.SUCCEEDED}
    assert {p.state for p in second} == {PushState.SUCCEEDED}
    assert len(held) == 2 * PUSHES
    assert len({worker.split(":")[1] for worker in workers}) == 2  # both processes pushed
    assert (after_first["token_requests"], after_first["tokens_issued"]) == (1, 1)
    # ADP expired the token: the first push to be refused fetched a new one, and every other push used it.
    assert (after_expiry["token_requests"], after_expiry["tokens_issued"]) == (2, 2)
