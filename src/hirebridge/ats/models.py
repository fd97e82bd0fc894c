"""The ATS API's own records: stored answers for ``Idempotency-Key`` (Stripe semantics: replay for 24 h, reject a
different body), and Ashby's offer processes (``offerProcess.start`` -> ``offer.start`` -> ``offer.create``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hirebridge.db.base import Base, IdMixin, TimestampMixin
from hirebridge.db.types import UTCDateTime, UUIDString


class IdempotencyRecord(IdMixin, TimestampMixin, Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    key: Mapped[str] = mapped_column(String(255), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    request_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # None while the first request is still being processed.
    status_code: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    # While unanswered: the request that holds the claim (a token of its own) and how long it holds it; the live
    # request renews the lease, so one that has expired belongs to a process that died (see ats/idempotency.py).
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the request started (an HRIS push id), written in the transaction that started it: a retry after the
    # owner died answers from it instead of starting another.
    subject_id: Mapped[str | None] = mapped_column(String(36))


class OfferProcess(IdMixin, TimestampMixin, Base):
    """An application's offer process: ``form_id`` is the offer form ``offer.start`` handed out last (it becomes the
    offer's version id), ``offer_id`` the offer ``offer.create`` made from it."""

    __tablename__ = "ats_offer_processes"

    organization_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    application_id: Mapped[str] = mapped_column(
        UUIDString(), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    form_id: Mapped[str | None] = mapped_column(UUIDString())
    offer_id: Mapped[str | None] = mapped_column(UUIDString(), ForeignKey("offers.id", ondelete="SET NULL"))
