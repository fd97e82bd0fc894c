"""No database work on the event loop: every engine refuses a statement run on the thread of a running event loop
(``db.engine.guard_event_loop``: it raises in the test suite, and logs in production), and no ``async def``
endpoint calls the database directly (a static check over every route, which also covers paths no test runs)."""

from __future__ import annotations

import ast
import inspect
import logging
import textwrap
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from hirebridge.db.engine import BlockingDatabaseCall, make_engine
from hirebridge.runtime import Runtime
from tests.support.servers import serve

# Calls that reach the database, or open what does.
DATABASE_CALLS = {
    "transaction",
    "sessions",
    "autocommit",
    "connect",
    "execute",
    "scalar",
    "scalars",
    "get_one",
    "flush",
}
DATABASE_FUNCTIONS = {"retry_on_conflict"}


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


def _select_one(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT 1")).scalar_one())


def test_a_statement_on_the_event_loop_is_refused_and_one_in_a_thread_runs(engine: Engine) -> None:
    app = FastAPI()
    refused: list[BaseException] = []

    @app.get("/on-the-loop")
    async def on_the_loop() -> dict[str, Any]:
        try:
            return {"one": _select_one(engine)}
        except BlockingDatabaseCall as error:
            refused.append(error)
            return {"refused": True}

    @app.get("/in-a-thread")
    async def in_a_thread() -> dict[str, Any]:
        return {"one": await run_in_threadpool(_select_one, engine)}

    @app.get("/sync-endpoint")
    def sync_endpoint() -> dict[str, Any]:  # FastAPI runs a def endpoint in its thread pool
        return {"one": _select_one(engine)}

    with serve(app) as url:
        assert httpx.get(f"{url}/on-the-loop", timeout=10).json() == {"refused": True}
        assert httpx.get(f"{url}/in-a-thread", timeout=10).json() == {"one": 1}
        assert httpx.get(f"{url}/sync-endpoint", timeout=10).json() == {"one": 1}
    assert len(refused) == 1
    assert "event loop" in str(refused[0])
    assert _select_one(engine) == 1  # no loop on this thread: allowed


def test_outside_the_test_suite_a_statement_on_the_event_loop_is_logged_not_refused(
    database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("HIREBRIDGE_EVENT_LOOP_GUARD")  # production: the setting unset
    engine = make_engine(database_url, pool_size=1)
    app = FastAPI()

    @app.get("/on-the-loop")
    async def on_the_loop() -> dict[str, Any]:
        return {"one": _select_one(engine)}

    try:
        with caplog.at_level(logging.WARNING, logger="hirebridge"), serve(app) as url:
            assert httpx.get(f"{url}/on-the-loop", timeout=10).json() == {"one": 1}
    finally:
        engine.dispose()
    assert any("database work on the event loop" in r.getMessage() for r in caplog.records)


def _direct_database_calls(function: Any) -> list[str]:
    """Database calls made by ``function``'s own body (not by functions or lambdas it defines and hands over)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(child, ast.Call):
                callee = child.func
                if isinstance(callee, ast.Attribute) and callee.attr in DATABASE_CALLS:
                    found.append(f"line {child.lineno}: .{callee.attr}(...)")
                if isinstance(callee, ast.Name) and callee.id in DATABASE_FUNCTIONS:
                    found.append(f"line {child.lineno}: {callee.id}(...)")
            visit(child)

    visit(definition)
    return found


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every endpoint, including those of included routers (FastAPI keeps those apart, under ``original_router``)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def test_no_async_endpoint_calls_the_database_itself(runtime: Runtime) -> None:
    from hirebridge.app import create_app

    offenders = {}
    checked = 0
    for route in _api_routes(create_app(runtime).router.routes):
        if inspect.iscoroutinefunction(route.endpoint):
            checked += 1
            calls = _direct_database_calls(route.endpoint)
            if calls:
                offenders[f"{route.path} ({route.endpoint.__module__}.{route.endpoint.__name__})"] = calls
    assert checked > 20  # the check saw the API's async endpoints
    assert not offenders, (
        "async endpoints that run database work on the event loop (move it to a thread: a def endpoint, or "
        f"await run_in_threadpool(...)): {offenders}"
    )


def test_the_static_check_sees_a_direct_call() -> None:
    async def offending(runtime: Runtime) -> None:
        with runtime.transaction() as session:
            session.flush()

    async def clean(runtime: Runtime) -> None:
        def work() -> None:
            with runtime.transaction() as session:
                session.flush()

        await run_in_threadpool(work)

    assert [call.split(": ")[1] for call in _direct_database_calls(offending)] == [".transaction(...)", ".flush(...)"]
    assert _direct_database_calls(clean) == []
