"""How many database connections a process keeps: bounded, so that the API processes and workers of a deployment fit
PostgreSQL's max_connections (the fault test's cluster once ran the server out of its default 100: a worker process
sized its pool for 40 API threads it does not have, with overflow on top)."""

from __future__ import annotations

from cryptography.fernet import Fernet

from hirebridge.db.engine import make_engine
from hirebridge.runtime import API_CONNECTIONS, SPARE_CONNECTIONS, pool_size_for
from hirebridge.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(secret_key=Fernet.generate_key().decode(), encryption_key=Fernet.generate_key().decode(), **values)


def test_an_api_process_keeps_its_api_connections_and_one_per_worker_thread() -> None:
    assert pool_size_for(_settings(workers_in_process=8)) == API_CONNECTIONS + 8 + SPARE_CONNECTIONS


def test_a_worker_process_keeps_one_per_thread_and_none_for_an_api_it_does_not_serve() -> None:
    settings = _settings(workers_in_process=8)
    assert pool_size_for(settings, serves_api=False, worker_threads=32) == 32 + SPARE_CONNECTIONS


def test_the_setting_overrides_the_sum() -> None:
    settings = _settings(db_pool_size=5)
    assert pool_size_for(settings) == 5
    assert pool_size_for(settings, serves_api=False, worker_threads=32) == 5


def test_postgresql_pools_have_no_overflow() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none", pool_size=7)  # never connects
    try:
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        engine.dispose()
