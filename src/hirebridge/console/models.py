"""Console users (people of an organization who sign in to ``/console``) and their sign-in sessions.

A password is stored only as its argon2 hash; a session's cookie value only as its SHA-256 digest, so neither a
database dump nor a log can sign anyone in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString


class ConsoleUser(IdMixin, TimestampMixin, Base):
    __tablename__ = "console_users"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # Lower-cased; unique across organizations so that signing in needs no organization name.
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsoleSession(IdMixin, Base):
    __tablename__ = "console_sessions"

    user_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("console_users.id", ondelete="CASCADE"), index=True, nullable=False
    )
    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
