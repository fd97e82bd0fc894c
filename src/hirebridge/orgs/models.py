"""Tenants and the credentials that act for them. Secrets are stored only as SHA-256 digests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString


class Organization(IdMixin, TimestampMixin, Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(255), nullable=False)
    invitation_expiry_days: Mapped[int] = mapped_column(Integer, nullable=False, default=30)
    # candidate.pushToHris is a beta endpoint in Ashby, enabled per organization.
    hris_push_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Where assessment results are written back (Pulsifi's "Workday to provide the upsert endpoint").
    result_writeback_url: Mapped[str | None] = mapped_column(String(2048))
    result_writeback_headers_encrypted: Mapped[str | None] = mapped_column(String(4096))
    is_demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class PartnerClient(IdMixin, TimestampMixin, Base):
    """An OAuth2 client of the partner API (client credentials grant)."""

    __tablename__ = "partner_clients"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    client_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    secret_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False, default="default")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiKey(IdMixin, TimestampMixin, Base):
    """An ATS API key (Ashby style: HTTP Basic, the key as username, empty password)."""

    __tablename__ = "api_keys"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
    )
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    key_prefix: Mapped[str] = mapped_column(String(12), nullable=False)
    title: Mapped[str] = mapped_column(String(255), nullable=False, default="default")
    permissions: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class AuthFailureCount(Base):
    """Failed authentications under one credential or from one address in the current window, shared by every API
    process (``hirebridge.authlimit``). ``key`` is a SHA-256 digest: neither the address nor the id is stored."""

    __tablename__ = "auth_failure_counts"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
