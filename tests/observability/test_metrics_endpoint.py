"""/metrics is served only with its bearer token, and labels requests by route template, never by raw path; the
multiprocess directory keeps the files of live processes only."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from hirebridge.app import create_app
from hirebridge.observability.metrics import remove_dead_process_files
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.observability.support import delta, parse, scrape
from tests.support.servers import serve

TOKEN = secrets.token_urlsafe(32)
CANDIDATE_ROUTE = "/partner/v1.0/workday/candidates/{candidate_id}"


@pytest.fixture
def metrics_url(settings: Settings) -> Iterator[str]:
    """The service with HIREBRIDGE_METRICS_TOKEN set (on the suite's database, without workers of its own)."""
    runtime = Runtime.from_settings(settings.model_copy(update={"metrics_token": SecretStr(TOKEN)}))
    try:
        with serve(create_app(runtime)) as url:
            yield url
    finally:
        runtime.close()


def test_metrics_are_not_served_without_a_token_setting(client: httpx.Client) -> None:
    response = client.get("/metrics")
    assert response.status_code == 404
    assert "HIREBRIDGE_METRICS_TOKEN" in response.json()["message"]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"bearer{TOKEN}"]
)
def test_metrics_refuse_a_missing_or_wrong_token(metrics_url: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.get(f"{metrics_url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert "hirebridge_" not in response.text


def test_requests_are_counted_by_route_template_and_status(metrics_url: str) -> None:
    candidate_id = str(uuid.uuid4())
    stray = uuid.uuid4().hex
    with httpx.Client(base_url=metrics_url, timeout=30) as client:
        before = scrape(metrics_url, TOKEN, client)
        for _ in range(3):
            assert client.get(f"/partner/v1.0/workday/candidates/{candidate_id}").status_code == 401
        assert client.get(f"/nowhere/{stray}?q=1").status_code == 404
        assert client.get("/healthz").status_code == 200
        after = scrape(metrics_url, TOKEN, client)

    counted = "hirebridge_http_requests_total"
    assert delta(before, after, counted, method="GET", route=CANDIDATE_ROUTE, status="401") == 3
    assert delta(before, after, counted, method="GET", route="<unmatched>", status="404") == 1
    assert delta(before, after, counted, method="GET", route="/healthz", status="200") == 1
    timed = "hirebridge_http_request_duration_seconds_count"
    assert delta(before, after, timed, method="GET", route=CANDIDATE_ROUTE) == 3
    # The scrape before this one is counted too, under its own route.
    assert delta(before, after, counted, method="GET", route="/metrics", status="200") == 1
    labels = {value for (_, pairs) in after for _, value in pairs}
    assert not any(candidate_id in value or stray in value for value in labels)


def test_the_scrape_includes_the_database_gauges(metrics_url: str) -> None:
    response = httpx.get(f"{metrics_url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    samples = parse(response.text)
    assert samples[("hirebridge_metrics_database_up", frozenset())] == 1
    for kind in ("hris_push", "webhook"):
        for state in ("pending", "running"):
            assert ("hirebridge_queue_jobs", frozenset({("kind", kind), ("state", state)})) in samples
            assert ("hirebridge_queue_oldest_job_age_seconds", frozenset({("kind", kind), ("state", state)})) in samples
        assert ("hirebridge_queue_due_lag_seconds", frozenset({("kind", kind)})) in samples
    # The suite's service runs workers in this process: they beat.
    assert samples[("hirebridge_workers_alive", frozenset())] >= 1


def test_only_the_files_of_processes_no_longer_running_are_removed(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True, capture_output=True)
    dead_pid = int(ended.stdout)

    live = [f"counter_{os.getpid()}.db", f"histogram_{os.getpid()}.db", "counter_1.db"]  # pid 1 always runs
    dead = [f"counter_{dead_pid}.db", f"histogram_{dead_pid}.db", f"gauge_all_{dead_pid}.db"]
    for name in [*live, *dead, "notes.txt"]:
        (tmp_path / name).write_bytes(b"")
    assert remove_dead_process_files(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*live, "notes.txt"])
