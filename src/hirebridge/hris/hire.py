"""The hire an HRIS receives, built from our core records: candidate, application, job and the latest offer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.connectors.base import Hire
from hirebridge.core.models import Application, Candidate, Job, Offer


class HireDataMissing(LookupError):
    """The application (or its candidate or job) no longer exists."""


def split_name(first_name: str | None, last_name: str | None) -> tuple[str, str]:
    """First and last name. A whole name kept in ``first_name`` ("Ada Lovelace") is split at its first space."""
    first = (first_name or "").strip()
    last = (last_name or "").strip()
    if not last and " " in first:
        first, last = (part.strip() for part in first.split(" ", 1))
    return first, last


def latest_offer(session: Session, application_id: str) -> Offer | None:
    return session.scalars(
        select(Offer)
        .where(Offer.application_id == application_id)
        .order_by(Offer.created_at.desc(), Offer.id.desc())
        .limit(1)
    ).first()


def build_hire(session: Session, application_id: str) -> Hire:
    application = session.get(Application, application_id)
    if application is None:
        raise HireDataMissing("the application no longer exists")
    candidate: Candidate = application.candidate
    job: Job = application.job
    offer = latest_offer(session, application_id)
    first, last = split_name(candidate.first_name, candidate.last_name)
    custom_fields: dict[str, Any] = dict(candidate.custom_fields or {})
    if offer is not None:
        custom_fields.update(offer.custom_fields or {})
    return Hire(
        candidate_id=candidate.id,
        application_id=application.id,
        first_name=first,
        last_name=last,
        email=candidate.email,
        phone=candidate.phone,
        job_title=(offer.job_title if offer is not None and offer.job_title else job.title),
        department=job.department,
        location=job.location or candidate.location,
        employment_type=job.employment_type,
        start_date=offer.start_date if offer is not None else None,
        salary_value=offer.salary_value if offer is not None else None,
        salary_currency=offer.salary_currency if offer is not None else None,
        salary_period=offer.salary_period if offer is not None else None,
        custom_fields=custom_fields,
    )
