"""Core records and HRIS connections for the push tests: one hire per call, a connection per simulator."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from hirebridge.core.models import Application, Candidate, Job, JobStatus, Offer, OfferStatus
from hirebridge.hris.models import HrisConnection, HrisPush
from hirebridge.hris.push import enqueue_push
from hirebridge.runtime import Runtime


@dataclass(frozen=True)
class HireRecords:
    organization_id: str
    candidate_id: str
    application_id: str
    email: str


def make_hire(
    runtime: Runtime,
    organization_id: str,
    *,
    location: str = "New York",
    department: str = "Engineering",
    title: str = "Software Engineer",
) -> HireRecords:
    email = f"ada.{uuid.uuid4().hex[:12]}@example.com"
    with runtime.transaction() as session:
        job = Job(
            organization_id=organization_id,
            title=title,
            location=location,
            department=department,
            status=JobStatus.OPEN,
        )
        candidate = Candidate(organization_id=organization_id, first_name="Ada", last_name="Lovelace", email=email)
        session.add_all([job, candidate])
        session.flush()
        application = Application(organization_id=organization_id, candidate_id=candidate.id, job_id=job.id)
        session.add(application)
        session.flush()
        session.add(
            Offer(
                organization_id=organization_id,
                application_id=application.id,
                status=OfferStatus.CANDIDATE_ACCEPTED,
                version_id=str(uuid.uuid4()),
                start_date=date(2027, 1, 4),
                salary_value=Decimal("120000.00"),
                salary_currency="USD",
                job_title=title,
            )
        )
        return HireRecords(organization_id, candidate.id, application.id, email)


def make_connection(
    runtime: Runtime,
    organization_id: str,
    *,
    system: str,
    base_url: str,
    credentials: dict[str, Any],
    settings: dict[str, Any] | None = None,
    rate_limit_per_second: float = 50.0,
) -> str:
    with runtime.transaction() as session:
        connection = HrisConnection(
            organization_id=organization_id,
            system=system,
            name=f"{system} test",
            base_url=base_url,
            credentials_encrypted=runtime.cipher.encrypt_json(credentials),
            credential_fields=sorted(credentials),
            rate_limit_per_second=rate_limit_per_second,
            settings=settings or {},
        )
        session.add(connection)
        session.flush()
        return connection.id


def start_push(runtime: Runtime, hire: HireRecords, connection_id: str) -> str:
    """What candidate.pushToHris does: a push row and its job, in one transaction."""
    with runtime.transaction() as session:
        push = HrisPush(
            organization_id=hire.organization_id,
            application_id=hire.application_id,
            candidate_id=hire.candidate_id,
            connection_id=connection_id,
        )
        session.add(push)
        session.flush()
        enqueue_push(session, push)
        return push.id
