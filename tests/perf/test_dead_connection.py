"""Without a ping at every checkout, a pooled connection the server has dropped is found by the statement that uses
it: the candidate create runs its transaction again once on a fresh connection (the pool has discarded the dead
ones) and answers 200, with one invitation. PostgreSQL only: SQLite has no server to lose."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from sqlalchemy import func, select

from hirebridge.assessments.models import Invitation
from hirebridge.db.engine import make_engine, make_session_factory
from hirebridge.orgs.service import create_organization
from hirebridge.runtime import Runtime
from tests.conftest import PartnerSession
from tests.partner.helpers import CANDIDATES, candidate_body, create_job
from tests.support.databases import backend
from tests.support.servers import serve

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs a database server whose connections can drop")


@pytest.fixture
def marked(runtime: Runtime) -> Iterator[tuple[Runtime, str]]:
    """A runtime whose connections carry an application_name of their own, so the test can end just those."""
    name = f"hb-dead-{uuid.uuid4().hex[:8]}"
    engine = make_engine(runtime.settings.database_url, pool_size=4, connect_args={"application_name": name})
    yield dataclasses.replace(runtime, engine=engine, sessions=make_session_factory(engine)), name
    engine.dispose()


def _terminate(database_url: str, application_name: str) -> int:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (application_name,)
        ).fetchall()
    return len(rows)


def test_a_create_on_a_dropped_connection_is_run_again_and_answers_once(marked: tuple[Runtime, str]) -> None:
    from hirebridge.app import create_app

    runtime, name = marked
    with serve(create_app(runtime)) as url, httpx.Client(base_url=url, timeout=30) as client:
        runtime.public_url = url
        with runtime.transaction() as session:
            org = create_organization(session, "Dropped Connections Org")
        token = client.post(
            "/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(org.client_id, org.client_secret)
        ).json()["access_token"]
        partner = PartnerSession(client, org, token)
        ext_job_id = create_job(partner)
        assert client.post(CANDIDATES, json=candidate_body(ext_job_id), headers=partner.headers).status_code == 200

        assert _terminate(runtime.settings.database_url, name) >= 1  # the pooled connections are gone
        body = candidate_body(ext_job_id)
        response = client.post(CANDIDATES, json=body, headers=partner.headers)

    assert response.status_code == 200, response.text
    assert response.json()["ext_application_id"] == body["ext_application_id"]
    with runtime.transaction() as session:
        invitations = session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.organization_id == org.organization_id)
        )
    assert invitations == 2
