"""``/healthz``, ``/readyz`` and ``/metrics``.

- ``GET /healthz``: the process is up and serving. It does not touch the database (a liveness probe that failed
  with the database would have every API process restarted at once); answers ``{"status": "ok", "version"}``.
- ``GET /readyz``: whether this process can do its work: the database answers, its schema is at the migrations'
  head, and (unless ``HIREBRIDGE_READYZ_REQUIRES_WORKERS=false``) at least one worker process has a recent
  heartbeat. 200 ``{"status": "ready", "checks": {"database": true, ...}}`` or 503 ``"not_ready"`` naming the failed
  check as ``false``. Unauthenticated, like every health probe: it shows booleans only, no versions, names or counts.
- ``GET /metrics``: the Prometheus text exposition, only with ``Authorization: Bearer <HIREBRIDGE_METRICS_TOKEN>``
  (compared in constant time; failures are limited per source address like every other credential). Without the
  setting it answers 404 (demo mode generates a token in ``<data dir>/metrics.token``). Sync handlers: the database
  work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from hirebridge import __version__
from hirebridge.authlimit import client_address, limiter, too_many_failures
from hirebridge.db.migrate import MIGRATIONS_DIR
from hirebridge.delivery.heartbeat import live_workers
from hirebridge.errors import AppError
from hirebridge.observability import metrics
from hirebridge.observability.queue import QueueCollector
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from hirebridge.web import get_runtime

router = APIRouter(tags=["health"])

DEMO_TOKEN_FILE = "metrics.token"  # noqa: S105 - a file name


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> Response:
    runtime = get_runtime(request)
    checks = readiness(runtime)
    ready = all(checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ready else 503, headers={"Cache-Control": "no-store"})


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint(request: Request) -> Response:
    runtime = get_runtime(request)
    token = metrics_token(runtime.settings)
    if token is None:
        raise AppError(
            "NOT_FOUND", "Metrics are not served: set HIREBRIDGE_METRICS_TOKEN (see docs/observability.md).", 404
        )
    address = client_address(request)
    waits = limiter(runtime).blocked_for(None, address)
    if waits is not None:
        raise too_many_failures("TOO_MANY_AUTH_FAILURES", waits)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        limiter(runtime).failed(None, address)
        raise AppError(
            "UNAUTHENTICATED", "authorization: send 'Authorization: Bearer <HIREBRIDGE_METRICS_TOKEN>'.", 401
        )
    body = metrics.render([QueueCollector(runtime)])
    return Response(body, media_type=metrics.CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def readiness(runtime: Runtime) -> dict[str, bool]:
    """Each check's verdict; a check that raised is False (its error type is not shown)."""
    checks: dict[str, bool] = {"database": False, "migrations": False}
    if runtime.settings.readyz_requires_workers:
        checks["workers"] = False
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = True
            current = set(MigrationContext.configure(connection).get_current_heads())
            checks["migrations"] = current == migration_heads()
    except Exception:  # noqa: S110 - unreachable database or unreadable version table: the check says False
        pass
    if "workers" in checks and checks["database"]:
        try:
            with runtime.sessions() as session:
                checks["workers"] = live_workers(session) > 0
        except Exception:  # noqa: S110 - no heartbeat table (schema behind): the check says False
            pass
    return checks


@functools.cache
def migration_heads() -> frozenset[str]:
    """The revisions this code's migrations end at (read once per process)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def metrics_token(settings: Settings) -> str | None:
    """``HIREBRIDGE_METRICS_TOKEN``; in demo mode without it, a token generated once in the data directory."""
    if settings.metrics_token is not None:
        return settings.metrics_token.get_secret_value()
    if not settings.demo:
        return None
    return _demo_token(str(settings.data_dir.resolve()))


@functools.cache
def _demo_token(data_dir: str) -> str:
    path = Path(data_dir) / DEMO_TOKEN_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def banner_lines(settings: Settings, url: str) -> list[str]:
    """How to scrape, for the start-up banner (the token itself is not printed)."""
    if settings.metrics_token is None and not settings.demo:
        return [f"  metrics: off (set HIREBRIDGE_METRICS_TOKEN to serve {url}/metrics)    ready: {url}/readyz"]
    if settings.metrics_token is not None:
        header = "$HIREBRIDGE_METRICS_TOKEN"
    else:
        metrics_token(settings)
        header = f"$(cat {settings.data_dir.resolve() / DEMO_TOKEN_FILE})"
    return [f'  metrics: curl -s -H "Authorization: Bearer {header}" {url}/metrics    ready: {url}/readyz']
