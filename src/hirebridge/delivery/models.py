"""The job table, each attempt's record, and the shared per-destination rate limit.

A job is claimed with a lease (``lease_owner``, ``lease_expires_at``); every state change after the claim is
fenced on the lease owner, so a worker whose lease was taken over cannot overwrite the new owner's work.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString, utcnow


class JobState(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at
    RUNNING = "running"  # leased by a worker
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # rejected by the destination, or dead-lettered after max attempts
    CANCELLED = "cancelled"


ACTIVE_JOB_STATES = (JobState.PENDING, JobState.RUNNING)


class DeliveryJob(IdMixin, TimestampMixin, Base):
    __tablename__ = "delivery_jobs"
    __table_args__ = (
        Index("ix_delivery_jobs_due", "state", "next_attempt_at"),
        # At most one active job per dedupe key (e.g. one push of an application to a connection at a time).
        Index(
            "uq_delivery_jobs_active_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("state IN ('pending', 'running')"),
            postgresql_where=text("state IN ('pending', 'running')"),
        ),
    )

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    kind: Mapped[str] = mapped_column(String(40), nullable=False)  # "hris_push", "partner_webhook", ...
    subject_id: Mapped[str | None] = mapped_column(UUIDString(), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    rate_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, name="job_state", native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        nullable=False,
        default=JobState.PENDING,
    )
    # Claims of the job (the lease's fence token and each attempt row's number); ``waits`` of them were re-checks
    # that spent nothing (the HRIS's read lag, a concurrent push, a throttle). Spent attempts: attempts - waits.
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    waits: Mapped[int] = mapped_column(Integer, nullable=False, default=0, server_default="0")
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    # The retry schedule: {"kind": "exponential" | "ashby", "base_seconds", "cap_seconds"} (see delivery.backoff).
    backoff: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(IdMixin, Base):
    """One try at a job: what was sent and what came back, secrets redacted."""

    __tablename__ = "delivery_attempts"

    job_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("delivery_jobs.id", ondelete="CASCADE"), index=True, nullable=False
    )
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    worker: Mapped[str] = mapped_column(String(100), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(20))  # succeeded, retry, rejected, auth, unknown, waited
    http_status: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    # [{"method", "url", "status", "request_body", "response_body", "elapsed_ms"}], redacted
    exchanges: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)


class RateLimitBucket(Base):
    """A token bucket per destination (an HRIS connection), shared by every worker through the database."""

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    rate_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    burst: Mapped[float] = mapped_column(Float, nullable=False)
    tokens: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class WorkerHeartbeat(Base):
    """One row per worker process (``host:pid``), touched every second or so while it runs.

    A running job whose lease owner's process has stopped beating is taken over before its lease ends, and shown
    as "worker lost" meanwhile (see ``delivery.heartbeat``)."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    threads: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
