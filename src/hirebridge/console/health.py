"""Numbers the console shows about HRIS connections and the push queue, all read from the delivery records.

Attempts are counted by their job's rate key (``hris:<connection id>``), which every push job of a connection has.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hirebridge.connectors.registry import display_name
from hirebridge.db.types import utcnow
from hirebridge.delivery.models import ACTIVE_JOB_STATES, DeliveryAttempt, DeliveryJob
from hirebridge.hris.models import HrisConnection, HrisPush, PushState
from hirebridge.hris.push import KIND as PUSH_KIND
from hirebridge.hris.push import rate_key

WINDOW = timedelta(hours=24)
MAX_ROWS = 20_000  # the charts read at most this many rows per query


@dataclass(frozen=True)
class Health:
    last_success: datetime | None
    attempts: int
    failed: int
    throttled: int
    credential_errors: int
    last_credential_error: str | None

    @property
    def failure_rate(self) -> str:
        return f"{round(100 * self.failed / self.attempts)} %" if self.attempts else "no attempts"


def connection_health(session: Session, connection: HrisConnection) -> Health:
    since = utcnow() - WINDOW
    last_success = session.scalar(
        select(func.max(HrisPush.finished_at)).where(
            HrisPush.connection_id == connection.id, HrisPush.state == PushState.SUCCEEDED
        )
    )
    rows = session.execute(
        select(DeliveryAttempt.outcome, DeliveryAttempt.http_status, DeliveryAttempt.message)
        .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
        .where(
            DeliveryJob.kind == PUSH_KIND,
            DeliveryJob.rate_key == rate_key(connection.id),
            DeliveryAttempt.started_at >= since,
        )
        .order_by(DeliveryAttempt.started_at)
        .limit(MAX_ROWS)
    ).all()
    spent = [r for r in rows if r.outcome not in (None, "waited")]
    auth = [r for r in rows if r.outcome == "auth"]
    return Health(
        last_success=last_success,
        attempts=len(spent),
        failed=sum(1 for r in spent if r.outcome != "succeeded"),
        throttled=sum(1 for r in rows if r.http_status == 429),
        credential_errors=len(auth),
        last_credential_error=auth[-1].message if auth else None,
    )


def pushes_per_hour(
    session: Session, organization_id: str, hours: int = 24
) -> tuple[list[datetime], dict[str, list[int]]]:
    """Pushes started in each of the last ``hours`` hours, by outcome (succeeded, failed, in progress)."""
    now = utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    starts = [first + timedelta(hours=i) for i in range(hours)]
    counts: dict[str, list[int]] = {key: [0] * hours for key in ("succeeded", "failed", "in progress")}
    rows = session.execute(
        select(HrisPush.created_at, HrisPush.state)
        .where(HrisPush.organization_id == organization_id, HrisPush.created_at >= first)
        .limit(MAX_ROWS)
    ).all()
    for created, state in rows:
        index = int((created - first).total_seconds() // 3600)
        if 0 <= index < hours:
            key = state.value if state in (PushState.SUCCEEDED, PushState.FAILED) else "in progress"
            counts[key][index] += 1
    return starts, counts


def latency_by_system(session: Session, organization_id: str) -> list[dict[str, Any]]:
    """Attempt durations of the last 24 hours per HRIS: count, median, 95th percentile and maximum (ms)."""
    systems = {
        rate_key(c.id): c.system
        for c in session.scalars(select(HrisConnection).where(HrisConnection.organization_id == organization_id))
    }
    rows = session.execute(
        select(DeliveryJob.rate_key, DeliveryAttempt.started_at, DeliveryAttempt.finished_at)
        .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
        .where(
            DeliveryJob.organization_id == organization_id,
            DeliveryJob.kind == PUSH_KIND,
            DeliveryAttempt.started_at >= utcnow() - WINDOW,
            DeliveryAttempt.finished_at.is_not(None),
            DeliveryAttempt.outcome != "waited",
        )
        .limit(MAX_ROWS)
    ).all()
    durations: dict[str, list[float]] = defaultdict(list)
    for key, started, finished in rows:
        if key in systems and finished is not None:
            durations[systems[key]].append((finished - started).total_seconds() * 1000)
    result = []
    for system, values in sorted(durations.items()):
        values.sort()
        result.append(
            {
                "system": display_name(system),
                "count": len(values),
                "p50": values[len(values) // 2],
                "p95": values[min(len(values) - 1, int(len(values) * 0.95))],
                "max": values[-1],
            }
        )
    return result


def queue_depth(session: Session, organization_id: str, hours: int = 24) -> tuple[list[datetime], list[int], int]:
    """The most push jobs waiting or running at once in each of the last ``hours`` hours, and the number now."""
    now = utcnow()
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    rows = session.execute(
        select(DeliveryJob.created_at, DeliveryJob.finished_at, DeliveryJob.state)
        .where(
            DeliveryJob.organization_id == organization_id,
            DeliveryJob.kind == PUSH_KIND,
            (DeliveryJob.finished_at.is_(None)) | (DeliveryJob.finished_at >= first),
        )
        .limit(MAX_ROWS)
    ).all()
    # Sweep the jobs' starts (+1) and ends (-1) in time order; an end sorts before a start at the same instant.
    changes = sorted(
        [(created, 1) for created, _f, _s in rows] + [(finished, -1) for _c, finished, _s in rows if finished],
        key=lambda change: (change[0], change[1]),
    )
    peaks = []
    depth, i = 0, 0
    for hour in range(hours):
        start, end = first + timedelta(hours=hour), first + timedelta(hours=hour + 1)
        while i < len(changes) and changes[i][0] < start:
            depth += changes[i][1]
            i += 1
        peak = depth
        while i < len(changes) and changes[i][0] < end:
            depth += changes[i][1]
            peak = max(peak, depth)
            i += 1
        peaks.append(peak)
    current = sum(1 for _c, _f, s in rows if s in ACTIVE_JOB_STATES)
    return [first + timedelta(hours=i) for i in range(hours)], peaks, current
