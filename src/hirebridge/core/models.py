"""Core hiring records, owned by an organization.

Both API surfaces read and write these same rows: a candidate created by Workday through the partner API is
the candidate that ``candidate.info`` returns and that ``candidate.pushToHris`` sends to an HRIS.
Statuses are stored in one vocabulary; each API surface maps them to its own words.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e])


class JobStatus(enum.StrEnum):
    """Partner API: draft/active/closed. ATS API: Draft/Open/Closed/Archived."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class ApplicationStatus(enum.StrEnum):
    ACTIVE = "Active"
    HIRED = "Hired"
    ARCHIVED = "Archived"
    LEAD = "Lead"


class OfferStatus(enum.StrEnum):
    WAITING_ON_APPROVAL_START = "WaitingOnApprovalStart"
    WAITING_ON_OFFER_APPROVAL = "WaitingOnOfferApproval"
    WAITING_ON_APPROVAL_DEFINITION = "WaitingOnApprovalDefinition"
    WAITING_ON_CANDIDATE_RESPONSE = "WaitingOnCandidateResponse"
    CANDIDATE_REJECTED = "CandidateRejected"
    CANDIDATE_ACCEPTED = "CandidateAccepted"
    OFFER_CANCELLED = "OfferCancelled"


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    employment_type: Mapped[str] = mapped_column(String(40), nullable=False, default="FullTime")
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"), nullable=False)
    # The assessment candidates of this job take: [{"id", "text", "dimension", "options": [{"label", "score"}]}]
    questionnaire: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Candidate(IdMixin, TimestampMixin, Base):
    __tablename__ = "candidates"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    phone: Mapped[str | None] = mapped_column(String(64))
    location: Mapped[str | None] = mapped_column(String(255))
    work_experiences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Application(IdMixin, TimestampMixin, Base):
    __tablename__ = "applications"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    candidate_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("candidates.id", ondelete="CASCADE"), index=True, nullable=False
    )
    job_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("jobs.id", ondelete="CASCADE"), index=True, nullable=False
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        _enum(ApplicationStatus, "application_status"), nullable=False, default=ApplicationStatus.ACTIVE
    )
    current_stage: Mapped[str] = mapped_column(String(255), nullable=False, default="Application Review")
    archive_reason: Mapped[str | None] = mapped_column(String(255))

    candidate: Mapped[Candidate] = relationship(lazy="joined")
    job: Mapped[Job] = relationship(lazy="joined")


class Offer(IdMixin, TimestampMixin, Base):
    __tablename__ = "offers"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    application_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("applications.id", ondelete="CASCADE"), index=True, nullable=False
    )
    status: Mapped[OfferStatus] = mapped_column(
        _enum(OfferStatus, "offer_status"), nullable=False, default=OfferStatus.WAITING_ON_APPROVAL_START
    )
    version_id: Mapped[str] = mapped_column(UUIDString(), nullable=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    salary_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    salary_currency: Mapped[str | None] = mapped_column(String(3))
    salary_period: Mapped[str] = mapped_column(String(20), nullable=False, default="Year")
    job_title: Mapped[str | None] = mapped_column(String(255))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ExternalId(IdMixin, TimestampMixin, Base):
    """An id a record carries in another system (e.g. the Workday ids the partner API is called with)."""

    __tablename__ = "external_ids"
    __table_args__ = (UniqueConstraint("organization_id", "system", "kind", "external_id"),)

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    system: Mapped[str] = mapped_column(String(40), nullable=False)  # "workday", "bamboohr", ...
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # "job", "candidate", "application"
    external_id: Mapped[str] = mapped_column(String(255), nullable=False)
    entity_id: Mapped[str] = mapped_column(UUIDString(), nullable=False, index=True)


class StoredFile(IdMixin, TimestampMixin, Base):
    """A candidate's file (a resume). Content lives here or, when a directory is configured, on disk."""

    __tablename__ = "files"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    candidate_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("candidates.id", ondelete="CASCADE"), index=True, nullable=False
    )
    purpose: Mapped[str] = mapped_column(String(20), nullable=False, default="resume")
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    path: Mapped[str | None] = mapped_column(String(1024))


Index("ix_applications_org_created", Application.organization_id, Application.created_at)
