"""How partner API answers spell things: statuses, timestamps (UTC, ``2024-12-31T23:59:59Z``)."""

from __future__ import annotations

from datetime import UTC, datetime

from hirebridge.core.models import JobStatus

# Core job statuses in Pulsifi's words (draft -> active -> closed); archived is closed to a partner.
JOB_STATUS_WIRE = {
    JobStatus.DRAFT: "draft",
    JobStatus.OPEN: "active",
    JobStatus.CLOSED: "closed",
    JobStatus.ARCHIVED: "closed",
}


def utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
