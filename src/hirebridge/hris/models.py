"""HRIS connections, the pushes made through them, and which remote record each candidate became.

Exactly-once effect rests on two constraints here:
- ``uq_hris_pushes_active``: one active push per (application, connection); concurrent calls join it.
- ``uq_remote_records_connection_candidate``: one remote record per (connection, candidate); a re-push
  updates that record instead of creating another.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString, utcnow


class HrisConnection(IdMixin, TimestampMixin, Base):
    __tablename__ = "hris_connections"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    system: Mapped[str] = mapped_column(String(40), nullable=False)  # the externalSystem value: "bamboohr", "bob"
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    base_url: Mapped[str] = mapped_column(String(2048), nullable=False)
    credentials_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    # Which credential fields were given, so they can be shown without their values.
    credential_fields: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    integration_partner_id: Mapped[str | None] = mapped_column(UUIDString())
    is_self_serve: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    requires_accepted_offer: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    rate_limit_per_second: Mapped[float] = mapped_column(Float, nullable=False, default=5.0)
    field_mapping: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    is_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class PushState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


ACTIVE_PUSH_STATES = (PushState.QUEUED, PushState.RUNNING)


class HrisPush(IdMixin, TimestampMixin, Base):
    __tablename__ = "hris_pushes"
    __table_args__ = (
        Index(
            "uq_hris_pushes_active",
            "application_id",
            "connection_id",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    application_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("applications.id", ondelete="CASCADE"), index=True, nullable=False
    )
    candidate_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("candidates.id", ondelete="CASCADE"), index=True, nullable=False
    )
    connection_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("hris_connections.id", ondelete="CASCADE"), index=True, nullable=False
    )
    state: Mapped[PushState] = mapped_column(
        Enum(
            PushState, name="push_state", native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]
        ),
        nullable=False,
        default=PushState.QUEUED,
    )
    operation: Mapped[str | None] = mapped_column(String(20))  # "create", "update", "adopt"
    remote_id: Mapped[str | None] = mapped_column(String(255))
    # Set when an attempt's outcome is unknown (e.g. a timeout after the request was sent):
    # the next attempt must look the record up before it may create.
    outcome_unknown: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # When the outcome became unknown: the look-up waits out the HRIS's read lag from this moment.
    outcome_unknown_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RemoteRecord(IdMixin, TimestampMixin, Base):
    """The candidate -> HRIS record mapping, per connection."""

    __tablename__ = "remote_records"
    __table_args__ = (UniqueConstraint("connection_id", "candidate_id"),)

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    connection_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("hris_connections.id", ondelete="CASCADE"), nullable=False
    )
    candidate_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False
    )
    remote_id: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    remote_kind: Mapped[str] = mapped_column(String(40), nullable=False, default="employee")
    # The pre-hire this employee was hired from, where the HRIS gives the two different ids (Workday): remote_id is
    # then the employee's id. candidate.info by externalMappingId finds the candidate by either.
    pre_hire_id: Mapped[str | None] = mapped_column(String(255), index=True)
    last_push_id: Mapped[str | None] = mapped_column(UUIDString())


class HrisAccessToken(Base):
    """A connection's cached access token (or another short-lived value its connector learns, such as ADP's
    onboarding template), shared by every worker thread and process; see ``hris.tokens``. The value is encrypted
    like the credentials. ``lease_owner``/``lease_until`` mark the one worker fetching a new value meanwhile."""

    __tablename__ = "hris_access_tokens"

    connection_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("hris_connections.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


def upsert_remote_record(
    session: Session,
    *,
    organization_id: str,
    connection_id: str,
    candidate_id: str,
    remote_id: str,
    remote_kind: str,
    push_id: str,
    pre_hire_id: str | None = None,
) -> None:
    """Record that this candidate is ``remote_id`` in this connection's HRIS: one statement, insert or update.

    A ``pre_hire_id`` of None keeps the one recorded before (an update does not forget the pre-hire)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(RemoteRecord).values(
        organization_id=organization_id,
        connection_id=connection_id,
        candidate_id=candidate_id,
        remote_id=remote_id,
        remote_kind=remote_kind,
        pre_hire_id=pre_hire_id,
        last_push_id=push_id,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["connection_id", "candidate_id"],
            set_={
                "remote_id": remote_id,
                "remote_kind": remote_kind,
                "pre_hire_id": func.coalesce(statement.excluded.pre_hire_id, RemoteRecord.pre_hire_id),
                "last_push_id": push_id,
                "updated_at": utcnow(),
            },
        )
    )
