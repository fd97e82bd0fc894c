"""Several processes, one /metrics: with ``HIREBRIDGE_METRICS_DIR`` an API process (`serve --workers 0`, which
delivers nothing itself) reports the pushes that separate `hirebridge worker` processes made, added up, including a
worker that has since stopped. Their logs are JSON lines that carry the push, organization and HRIS, and no secret or
personal data."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hirebridge.db.migrate import upgrade
from hirebridge.delivery.models import DeliveryAttempt, DeliveryJob
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS
from tests.observability.scenario import FIRST_NAME, LAST_NAME, scenario
from tests.observability.support import ObservedCluster, delta, json_lines, value, wait_until
from tests.support.databases import fresh_database

JSON_FIELDS = {"time", "level", "logger", "message"}


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[ObservedCluster]:
    with fresh_database() as url:
        upgrade(url)
        cluster = ObservedCluster(url, tmp_path / "run", metrics_dir=tmp_path / "metrics")
        (tmp_path / "run").mkdir()
        try:
            cluster.start_serve(workers=0)
            yield cluster
        finally:
            cluster.close()


def _worker_of(deployment: ObservedCluster, push_id: str) -> str:
    """The worker process (host:pid) that recorded the push's last attempt."""
    with deployment.runtime.sessions() as session:
        worker = session.scalars(
            select(DeliveryAttempt.worker)
            .join(DeliveryJob, DeliveryJob.id == DeliveryAttempt.job_id)
            .where(DeliveryJob.subject_id == push_id)
            .order_by(DeliveryAttempt.number.desc())
        ).first()
    assert worker is not None
    return worker.rsplit(":", 1)[0]


def test_api_process_reports_what_every_worker_process_did(deployment: ObservedCluster, tmp_path: Path) -> None:
    with scenario(deployment.runtime, deployment.api_url) as hires:
        before = deployment.scrape()
        assert value(before, "hirebridge_workers_alive") == 0

        first = deployment.start_worker(2)
        wait_until(lambda: value(deployment.scrape(), "hirebridge_workers_alive") == 1, 30, "a live worker")
        early = [hires.push(hires.hiring(), request_id=f"obs-test-{n}") for n in range(2)]
        hires.webhooks_received(2)
        wait_until(
            lambda: delta(before, deployment.scrape(), "hirebridge_webhook_deliveries_total", outcome="succeeded") == 2,
            30,
            "the first worker's webhooks counted",
        )
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0

        second = deployment.start_worker(2)
        late = [hires.push(hires.hiring()) for _ in range(2)]
        hires.webhooks_received(4)

        def settled() -> bool:
            now = deployment.scrape()
            return delta(before, now, "hirebridge_webhook_deliveries_total", outcome="succeeded") == 4

        wait_until(settled, 30, "the second worker's webhooks counted")
        after = deployment.scrape()
        deployment.stop_workers()

    assert [p["state"] for p in early + late] == ["succeeded"] * 4
    workers = {_worker_of(deployment, p["id"]) for p in early + late}
    assert {w.rsplit(":", 1)[1] for w in workers} == {str(first.pid), str(second.pid)}, workers

    # The API process delivered nothing, yet its /metrics shows all four pushes: two by a worker that has stopped.
    assert delta(before, after, "hirebridge_pushes_total", hris="bamboohr", outcome="succeeded") == 4
    assert delta(before, after, "hirebridge_push_attempts_total", hris="bamboohr", outcome="succeeded") == 4
    assert delta(before, after, "hirebridge_push_attempt_duration_seconds_count", hris="bamboohr") == 4
    assert delta(before, after, "hirebridge_webhook_deliveries_total", outcome="succeeded") == 4
    # ... beside its own HTTP requests.
    pushes = delta(
        before, after, "hirebridge_http_requests_total", method="POST", route="/candidate.pushToHris", status="200"
    )
    assert pushes == 4
    files = {path.name for path in (tmp_path / "metrics").glob("*.db")}
    pids = {name.rsplit("_", 1)[1].removesuffix(".db") for name in files}
    assert {str(first.pid), str(second.pid)} <= pids

    _check_json_logs(deployment, hires.org.organization_id, [p["id"] for p in early + late], [first.pid, second.pid])
    sensitive_values = [
        hires.org.api_key,
        hires.org.client_secret,
        deployment.token,
        BAMBOO_CREDENTIALS["apiKey"],
        deployment.env["HIREBRIDGE_SECRET_KEY"],
        deployment.env["HIREBRIDGE_ENCRYPTION_KEY"],
        FIRST_NAME,
        LAST_NAME,
        *hires.emails,
    ]
    for pid, path in deployment.logs.items():
        text = path.read_text()
        for secret in sensitive_values:
            assert secret not in text, f"a secret or personal value is in the log of process {pid} ({path})"


def _check_json_logs(
    deployment: ObservedCluster, organization_id: str, push_ids: list[str], workers: list[int]
) -> None:
    """Every stderr line of every process is one JSON object with time, level, logger and message; requests carry
    their request id (the caller's when it sent a well-formed one), each push job its push, organization and HRIS."""
    api = [pid for pid in deployment.logs if pid not in workers]
    assert len(api) == 1
    api_entries = json_lines(deployment.logs[api[0]])
    for entry in api_entries:
        assert set(entry) >= JSON_FIELDS, entry
    requests = [e for e in api_entries if e["logger"] == "hirebridge.http"]
    assert requests
    assert all(e.get("request_id") for e in requests)
    assert {"obs-test-0", "obs-test-1"} <= {e["request_id"] for e in requests}

    jobs: dict[str, dict[str, str]] = {}
    for pid in workers:
        for entry in json_lines(deployment.logs[pid]):
            assert set(entry) >= JSON_FIELDS, entry
            if entry["logger"] == "hirebridge.delivery.jobs" and entry.get("job_kind") == "hris_push":
                jobs[entry["push_id"]] = entry
    assert set(jobs) == set(push_ids)
    for entry in jobs.values():
        assert entry["organization_id"] == organization_id
        assert entry["hris"] == "bamboohr"
        assert entry["level"] == "INFO"
        assert "succeeded" in entry["message"]
