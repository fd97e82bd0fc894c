"""A simulator's deliberate "response lost after commit" is one WARNING line, not an ASGI traceback."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import httpx
import pytest

from hirebridge.sandbox.bamboohr.app import create_app
from tests.support.servers import serve


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def server_log() -> Iterator[list[logging.LogRecord]]:
    """Every record of uvicorn's error logger and of the simulators. Entered once the server runs: uvicorn's
    logging set-up at start replaces the handlers of its loggers."""
    handler = _Records()
    loggers = [logging.getLogger("uvicorn.error"), logging.getLogger("hirebridge.sandbox")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_a_dropped_response_is_logged_as_one_line() -> None:
    with serve(create_app(seed=1)) as url, httpx.Client(base_url=url, timeout=30) as client, server_log() as records:
        assert client.put("/_sandbox/faults", json={"drop_after_commit_rate": 1}).status_code == 200
        with pytest.raises(httpx.TransportError):
            client.post(
                "/api/gateway.php/demo/v1/employees",
                auth=("sandbox-key", "x"),
                json={"firstName": "Drop", "lastName": "Test"},
                headers={"Accept": "application/json"},
            )
        assert client.get("/_sandbox/records").json()["count"] == 1  # the write was committed

    drops = [r for r in records if "dropped after commit" in r.getMessage()]
    assert len(drops) == 1
    assert drops[0].levelno == logging.WARNING
    assert drops[0].getMessage() == (
        "sandbox: response to POST /api/gateway.php/demo/v1/employees dropped after commit (simulated)"
    )
    assert drops[0].exc_info is None
    assert [r for r in records if r.exc_info or "Exception in ASGI application" in r.getMessage()] == []
