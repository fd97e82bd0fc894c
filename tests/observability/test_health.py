"""/healthz (the process is up, whatever the database) and /readyz (database reachable, schema at the migrations'
head, a worker beating), each served over a real socket on its own database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from hirebridge.app import create_app
from hirebridge.db.migrate import upgrade
from hirebridge.db.types import utcnow
from hirebridge.delivery.heartbeat import LOST_AFTER_SECONDS
from hirebridge.delivery.models import WorkerHeartbeat
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.support.databases import fresh_database
from tests.support.servers import serve

ALL_TRUE = {"database": True, "migrations": True, "workers": True}


@contextmanager
def _service(settings: Settings, database_url: str, **changes: Any) -> Iterator[tuple[str, Runtime]]:
    runtime = Runtime.from_settings(settings.model_copy(update={"database_url": database_url, **changes}))
    try:
        with serve(create_app(runtime)) as url:
            yield url, runtime
    finally:
        runtime.close()


@contextmanager
def _fresh(upgraded: bool = True) -> Iterator[str]:
    with fresh_database() as url:
        if upgraded:
            upgrade(url)
        yield url


def _beat(runtime: Runtime, ago: timedelta = timedelta(0)) -> None:
    with runtime.transaction() as session:
        at = utcnow() - ago
        session.add(WorkerHeartbeat(worker="test-host:1", started_at=at, beat_at=at, threads=1))


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{url}/readyz", timeout=30)
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_ready_when_the_database_is_current_and_a_worker_beats(client: httpx.Client) -> None:
    # The suite's service: its delivery workers run in this process and beat every second.
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": ALL_TRUE}


def test_not_ready_without_a_live_worker(settings: Settings) -> None:
    with _fresh() as database_url, _service(settings, database_url) as (url, runtime):
        assert _ready(url) == (503, {"status": "not_ready", "checks": {**ALL_TRUE, "workers": False}})
        _beat(runtime, ago=timedelta(seconds=LOST_AFTER_SECONDS + 5))  # a worker that stopped beating
        assert _ready(url) == (503, {"status": "not_ready", "checks": {**ALL_TRUE, "workers": False}})
        _beat_now(runtime)
        assert _ready(url) == (200, {"status": "ready", "checks": ALL_TRUE})


def _beat_now(runtime: Runtime) -> None:
    with runtime.transaction() as session:
        session.execute(text("UPDATE worker_heartbeats SET beat_at = :now"), {"now": utcnow()})


def test_workers_need_not_be_required(settings: Settings) -> None:
    with _fresh() as database_url, _service(settings, database_url, readyz_requires_workers=False) as (url, _):
        assert _ready(url) == (200, {"status": "ready", "checks": {"database": True, "migrations": True}})


def test_not_ready_when_the_schema_is_behind_the_migrations(settings: Settings) -> None:
    with _fresh() as database_url, _service(settings, database_url) as (url, runtime):
        _beat(runtime)
        assert _ready(url)[0] == 200
        with runtime.transaction() as session:  # as if the database were at an older revision
            session.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
        assert _ready(url) == (503, {"status": "not_ready", "checks": {**ALL_TRUE, "migrations": False}})


def test_not_ready_on_an_empty_database(settings: Settings) -> None:
    with _fresh(upgraded=False) as database_url, _service(settings, database_url) as (url, _):
        expected = {"database": True, "migrations": False, "workers": False}
        assert _ready(url) == (503, {"status": "not_ready", "checks": expected})


def test_unreachable_database_is_not_ready_but_the_process_is_alive(settings: Settings, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path}/no/such/directory/hirebridge.db"
    with _service(settings, missing) as (url, _):
        assert _ready(url) == (503, {"status": "not_ready", "checks": dict.fromkeys(ALL_TRUE, False)})
        health = httpx.get(f"{url}/healthz", timeout=30)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
