"""HIREBRIDGE_LOG_FORMAT=json: one JSON object per record with time, level, logger, message and the bound context
(request id; job, push, organization, HRIS), exception messages withheld. Real requests to the suite's service show
the request id reaching the records written while a request is served."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hirebridge.logsetup import JsonFormatter
from hirebridge.observability import context
from hirebridge.orgs.service import IssuedCredentials

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class _Capture(logging.Handler):
    """Formats every record of the loggers it is attached to with the JSON formatter, as `serve` would."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.stream = io.StringIO()
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_:
            self.stream.write(self.format(record) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def captured() -> Iterator[_Capture]:
    handler = _Capture()
    loggers = [logging.getLogger(name) for name in ("hirebridge.http", "observability.test")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def test_a_record_is_one_json_object_with_its_context(captured: _Capture) -> None:
    log = logging.getLogger("observability.test")
    reset = context.bind(request_id="req-1", push_id="push-1", organization_id="org-1", hris="bob")
    try:
        log.info("push %s: %d attempts", "push-1", 2)
    finally:
        reset()
    log.warning("after the context")
    first, second = captured.entries()
    assert TIME.match(first["time"])
    assert first == {
        "time": first["time"],
        "level": "INFO",
        "logger": "observability.test",
        "message": "push push-1: 2 attempts",
        "request_id": "req-1",
        "push_id": "push-1",
        "organization_id": "org-1",
        "hris": "bob",
    }
    assert set(second) == {"time", "level", "logger", "message"}
    assert second["level"] == "WARNING"


def test_an_exception_keeps_its_frames_and_withholds_its_message(captured: _Capture) -> None:
    log = logging.getLogger("observability.test")
    email = "marguerite.quillfeather@example.com"
    try:
        try:
            raise KeyError(email)
        except KeyError as inner:
            raise ValueError(f"duplicate candidate {email}") from inner
    except ValueError:
        log.exception("could not store the candidate")
    (entry,) = captured.entries()
    assert entry["message"] == "could not store the candidate"
    assert "builtins.ValueError (message withheld)" in entry["exception"]
    assert "builtins.KeyError (message withheld)" in entry["exception"]
    assert "test_json_logs.py" in entry["exception"]
    assert email not in json.dumps(entry)


def test_served_requests_carry_their_request_id(client: httpx.Client, captured: _Capture) -> None:
    client.get("/healthz", headers={"X-Request-Id": "json-log-test-1"})
    generated = client.get("/nowhere").headers["x-request-id"]
    client.get("/healthz")  # on the same connection: taken once the one before is logged
    by_id = {e.get("request_id"): e for e in captured.entries() if e["logger"] == "hirebridge.http"}
    assert by_id["json-log-test-1"]["message"].startswith("GET /healthz 200 ")
    assert by_id[generated]["message"].startswith("GET <unmatched> 404 ")
    assert context.get("request_id") is None  # nothing leaks out of the request


def test_an_authenticated_request_line_names_its_organization(
    client: httpx.Client, captured: _Capture, org: IssuedCredentials
) -> None:
    client.post("/apiKey.info", auth=(org.api_key, ""), json={}, headers={"X-Request-Id": "json-log-org-1"})
    client.post("/apiKey.info", auth=("not-a-key", ""), json={}, headers={"X-Request-Id": "json-log-org-2"})
    client.get("/healthz")  # on the same connection: taken once the one before is logged
    by_id = {e.get("request_id"): e for e in captured.entries() if e["logger"] == "hirebridge.http"}
    assert by_id["json-log-org-1"]["message"].startswith("POST /apiKey.info 200 ")
    assert by_id["json-log-org-1"]["organization_id"] == org.organization_id
    assert "organization_id" not in by_id["json-log-org-2"]  # refused: no organization known
    assert context.get("organization_id") is None
