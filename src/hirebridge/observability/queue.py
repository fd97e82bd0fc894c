"""Gauges read from the database when ``/metrics`` is scraped: the delivery queue and the live workers.

Two short queries on the scraping API process (any process's view is the same, so they are not added up across
processes): one ``GROUP BY kind, state`` over the active jobs (pending and running, which the job index on
``(state, next_attempt_at)`` finds; finished jobs are not read) and one count of recent worker heartbeats.

- ``hirebridge_queue_jobs{kind, state}``: active jobs (state ``pending`` or ``running``).
- ``hirebridge_queue_due_jobs{kind}``: pending jobs whose time has come (the backlog a worker should be taking).
- ``hirebridge_queue_oldest_job_age_seconds{kind, state}``: age of the oldest active job (since it was enqueued).
- ``hirebridge_queue_due_lag_seconds{kind}``: how long the most overdue pending job has been due (0 when none).
- ``hirebridge_workers_alive``: worker processes whose heartbeat is recent (``delivery.heartbeat``).
- ``hirebridge_metrics_database_up``: 1 if those queries succeeded, 0 if not (the other gauges are then absent).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Row, and_, case, func, select

from hirebridge.db.types import utcnow
from hirebridge.delivery.heartbeat import live_workers
from hirebridge.delivery.models import ACTIVE_JOB_STATES, DeliveryJob, JobState
from hirebridge.runtime import Runtime

log = logging.getLogger(__name__)

KNOWN_KINDS = ("hris_push", "webhook")  # always reported, 0 when idle, so that their series do not vanish
STATES = tuple(state.value for state in ACTIVE_JOB_STATES)


class QueueCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "hirebridge_metrics_database_up", "1 if the database gauges could be read at this scrape, else 0."
        )
        try:
            rows, workers, now = self._read()
        except Exception as exc:
            log.warning("metrics: the database gauges could not be read (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily(
            "hirebridge_queue_jobs", "Active delivery jobs by kind and state.", labels=["kind", "state"]
        )
        due = GaugeMetricFamily("hirebridge_queue_due_jobs", "Pending jobs whose time has come.", labels=["kind"])
        oldest = GaugeMetricFamily(
            "hirebridge_queue_oldest_job_age_seconds",
            "Age of the oldest active job, since it was enqueued.",
            labels=["kind", "state"],
        )
        lag = GaugeMetricFamily(
            "hirebridge_queue_due_lag_seconds", "How long the most overdue pending job has been due.", labels=["kind"]
        )
        kinds = sorted({*KNOWN_KINDS, *(row.kind for row in rows)})
        by_key = {(row.kind, _state(row.state)): row for row in rows}
        for kind in kinds:
            due_count, due_since = 0, None
            for state in STATES:
                row = by_key.get((kind, state))
                jobs.add_metric([kind, state], row.jobs if row is not None else 0)
                oldest.add_metric([kind, state], _age(now, row.oldest) if row is not None else 0.0)
                if row is not None and row.due_count:
                    due_count, due_since = int(row.due_count), row.due_since
            due.add_metric([kind], due_count)
            lag.add_metric([kind], _age(now, due_since))
        alive = GaugeMetricFamily("hirebridge_workers_alive", "Worker processes with a recent heartbeat.")
        alive.add_metric([], workers)
        yield from (jobs, due, oldest, lag, alive)

    def _read(self) -> tuple[list[Row[Any]], int, datetime]:
        now = utcnow()
        is_due = and_(DeliveryJob.state == JobState.PENDING, DeliveryJob.next_attempt_at <= now)
        query = (
            select(
                DeliveryJob.kind,
                DeliveryJob.state,
                func.count().label("jobs"),
                func.min(DeliveryJob.created_at).label("oldest"),
                func.sum(case((is_due, 1), else_=0)).label("due_count"),
                func.min(case((is_due, DeliveryJob.next_attempt_at), else_=None)).label("due_since"),
            )
            .where(DeliveryJob.state.in_(ACTIVE_JOB_STATES))
            .group_by(DeliveryJob.kind, DeliveryJob.state)
        )
        with self.runtime.sessions() as session:
            rows = list(session.execute(query).all())
            workers = live_workers(session)
        return rows, workers, now


def _state(value: object) -> str:
    return value.value if isinstance(value, JobState) else str(value)


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite's aggregate comes back as it was stored
        since = since.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - since).total_seconds())
