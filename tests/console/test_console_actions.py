"""The console's actions and lists over HTTP: cancel a queued push, the filters and pages of the push list, resend
and extend an invitation, and the charts' numbers."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from hirebridge.assessments.invitations import create_invitation
from hirebridge.assessments.models import Invitation, InvitationStatus
from hirebridge.console import health
from hirebridge.core.models import Application
from hirebridge.db.types import utcnow
from hirebridge.delivery.models import DeliveryJob, JobState
from hirebridge.hris.models import HrisConnection, HrisPush, PushState
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from hirebridge.security import Cipher
from tests.ats.hris_helpers import make_application
from tests.console.helpers import Console

ROW = re.compile(r'href="/console/pushes/([0-9a-f-]{36})"')
OLDER = re.compile(r'href="(/console/pushes\?[^"]+)" rel="next"')


def _connection(runtime: Runtime, organization_id: str, cipher: Cipher) -> str:
    with runtime.transaction() as session:
        connection = HrisConnection(
            organization_id=organization_id,
            system="bamboohr",
            name="Bamboo " + uuid.uuid4().hex[:6],
            base_url="http://127.0.0.1:9",
            credentials_encrypted=cipher.encrypt_json({"companyDomain": "acme", "apiKey": "k" * 20}),
            credential_fields=["apiKey", "companyDomain"],
        )
        session.add(connection)
        session.flush()
        return connection.id


def _push(
    runtime: Runtime,
    organization_id: str,
    connection_id: str,
    *,
    state: PushState,
    age: timedelta,
    last: str = "Lovelace",
) -> str:
    """A push row as the push domain writes it; a queued one gets a pending job due in an hour (no worker takes it)."""
    hiring = make_application(runtime, organization_id, last_name=last)
    created = utcnow() - age
    with runtime.transaction() as session:
        push = HrisPush(
            organization_id=organization_id,
            application_id=hiring.application_id,
            candidate_id=hiring.candidate_id,
            connection_id=connection_id,
            state=state,
            created_at=created,
            finished_at=None if state == PushState.QUEUED else created,
            error_message="refused" if state == PushState.FAILED else None,
        )
        session.add(push)
        session.flush()
        if state == PushState.QUEUED:
            session.add(
                DeliveryJob(
                    organization_id=organization_id,
                    kind="hris_push",
                    subject_id=push.id,
                    dedupe_key=f"hris_push:{push.id}",
                    rate_key=f"hris:{connection_id}",
                    payload={"push_id": push.id},
                    state=JobState.PENDING,
                    next_attempt_at=utcnow() + timedelta(hours=1),
                    created_at=created,
                )
            )
        return push.id


def test_cancel_a_queued_push(console: Console, runtime: Runtime, org: IssuedCredentials) -> None:
    connection = _connection(runtime, org.organization_id, runtime.cipher)
    push_id = _push(runtime, org.organization_id, connection, state=PushState.QUEUED, age=timedelta(0))
    page = f"/console/pushes/{push_id}"
    assert "Cancel push" in console.client.get(page).text
    answer = console.client.post(f"{page}/cancel", data={"csrf": console.csrf(page)})
    assert answer.status_code == 303
    shown = console.client.get(answer.headers["location"]).text
    assert "The push was cancelled before a worker took it." in shown
    with runtime.sessions() as session:
        push = session.get_one(HrisPush, push_id)
        job = session.scalars(select(DeliveryJob).where(DeliveryJob.subject_id == push_id)).one()
        assert (push.state, job.state) == (PushState.FAILED, JobState.CANCELLED)
    # Cancelling again is refused with the reason, on the push's page.
    again = console.client.post(f"{page}/cancel", data={"csrf": console.csrf(page)})
    assert again.status_code == 409
    assert "failed" in again.text


def test_the_push_list_filters_and_pages(console: Console, runtime: Runtime, org: IssuedCredentials) -> None:
    first = _connection(runtime, org.organization_id, runtime.cipher)
    second = _connection(runtime, org.organization_id, runtime.cipher)
    old = _push(runtime, org.organization_id, first, state=PushState.FAILED, age=timedelta(days=3), last="Hopper")
    recent = [
        _push(runtime, org.organization_id, second, state=PushState.SUCCEEDED, age=timedelta(minutes=i))
        for i in range(26)
    ]

    def listed(**params: str) -> list[str]:
        answer = console.client.get("/console/pushes", params=params)
        assert answer.status_code == 200, answer.text
        return list(dict.fromkeys(ROW.findall(answer.text)))

    assert listed(state="failed") == [old]
    assert listed(candidate="HOPPER") == [old]
    assert listed(connection=first) == [old]
    day = (utcnow() - timedelta(days=3)).date().isoformat()
    assert listed(since=day, until=day) == [old]
    first_page = console.client.get("/console/pushes", params={"state": "succeeded"}).text
    assert list(dict.fromkeys(ROW.findall(first_page))) == recent[:25]
    older = OLDER.search(first_page)
    assert older is not None, "no link to the older pushes"
    second_page = console.client.get(html.unescape(older.group(1))).text
    assert list(dict.fromkeys(ROW.findall(second_page))) == recent[25:]
    assert OLDER.search(second_page) is None
    assert "Not a date" not in console.client.get("/console/pushes", params={"since": "2020-01-01"}).text
    assert "From: not a date" in console.client.get("/console/pushes", params={"since": "yesterday"}).text


def test_resend_and_extend_an_invitation(console: Console, runtime: Runtime, org: IssuedCredentials) -> None:
    hiring = make_application(runtime, org.organization_id)
    with runtime.transaction() as session:
        application = session.get_one(Application, hiring.application_id)
        invitation = create_invitation(session, application, session.get_one(Organization, org.organization_id))
        invitation.expires_at = utcnow() - timedelta(days=1)  # past its deadline
        invitation_id, old_token = invitation.id, invitation.token
    listed = console.client.get("/console/invitations").text
    assert "expired" in listed
    csrf = console.csrf("/console/invitations")
    resent = console.client.post(f"/console/invitations/{invitation_id}/resend", data={"csrf": csrf})
    assert resent.status_code == 303
    shown = console.client.get(resent.headers["location"]).text
    with runtime.sessions() as session:
        fresh = session.get_one(Invitation, invitation_id)
        assert fresh.token != old_token
        assert fresh.token in shown
        assert fresh.status == InvitationStatus.INVITED
        assert fresh.expires_at > utcnow() + timedelta(days=20)
        before = fresh.expires_at
    extended = console.client.post(f"/console/invitations/{invitation_id}/extend", data={"csrf": csrf})
    assert extended.status_code == 303
    with runtime.sessions() as session:
        assert session.get_one(Invitation, invitation_id).expires_at == before + timedelta(days=7)


def test_charts_count_pushes_by_outcome_and_queue_depth(runtime: Runtime, org: IssuedCredentials) -> None:
    connection = _connection(runtime, org.organization_id, runtime.cipher)
    _push(runtime, org.organization_id, connection, state=PushState.FAILED, age=timedelta(hours=2))
    _push(runtime, org.organization_id, connection, state=PushState.SUCCEEDED, age=timedelta(0))
    _push(runtime, org.organization_id, connection, state=PushState.QUEUED, age=timedelta(0))
    _push(runtime, org.organization_id, connection, state=PushState.QUEUED, age=timedelta(0))
    with runtime.sessions() as session:
        _starts, counts = health.pushes_per_hour(session, org.organization_id)
        _hours, depth, now = health.queue_depth(session, org.organization_id)
    assert {name: sum(values) for name, values in counts.items()} == {"succeeded": 1, "failed": 1, "in progress": 2}
    assert counts["succeeded"][-1] == 1
    assert now == 2
    assert depth[-1] == 2
