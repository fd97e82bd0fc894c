"""The fence: a state change after the claim happens only while this worker still holds the job's lease.

Holding the lease means the row still names this worker *and* this attempt: a job reclaimed after its lease
expired gets a new attempt number, so even the same worker id coming back late cannot write.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.models import DeliveryJob, JobState


class LeaseLost(Exception):
    """This worker no longer holds the job's lease (another worker took it over): nothing was written."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"the lease on job {job_id} is held by another worker")
        self.job_id = job_id


def renew_lease(session: Session, *, job_id: str, owner: str, attempt: int, lease_seconds: float) -> None:
    """Verify that ``owner`` holds the lease for ``attempt`` and extend it, inside the caller's transaction.

    The UPDATE both checks and locks the row (PostgreSQL row lock; SQLite's single writer), so no reclaim can
    happen between the check and the caller's writes. Raises LeaseLost when the lease is gone.
    """
    result = cast(
        CursorResult[Any],
        session.execute(
            update(DeliveryJob)
            .where(
                DeliveryJob.id == job_id,
                DeliveryJob.lease_owner == owner,
                DeliveryJob.attempts == attempt,
                DeliveryJob.state == JobState.RUNNING,
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        raise LeaseLost(job_id)
