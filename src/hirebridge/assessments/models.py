"""One invitation per application; its id is the partner API's ``candidate_id``."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hirebridge.core.models import Application
from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString


class InvitationStatus(enum.StrEnum):
    INVITED = "invited"
    OPENED = "opened"
    STARTED = "started"
    COMPLETED = "completed"
    EXPIRED = "expired"


class Invitation(IdMixin, TimestampMixin, Base):
    __tablename__ = "invitations"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    application_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("applications.id", ondelete="CASCADE"), unique=True, nullable=False
    )
    # The secret part of the invitation link; unguessable, unique.
    token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[InvitationStatus] = mapped_column(
        Enum(
            InvitationStatus,
            name="invitation_status",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        nullable=False,
        default=InvitationStatus.INVITED,
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    # [{"score_format": 100, "score_type": "role_fit", "score_value": 85}, ...] once completed
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)

    application: Mapped[Application] = relationship(lazy="joined")
