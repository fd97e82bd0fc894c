"""Fuzzing both API surfaces with schemathesis against the document the service serves (``/openapi.json``), with
valid credentials, on the real service over a socket.

Every operation of a surface gets examples generated from its declared request (positive: valid by the document;
negative: deliberately invalid), sent as a client would, and each answer is checked for two things: it is not a
server error (5xx), and it conforms to the response schema the document declares for its status (where it declares
one). The run is bounded in examples per operation and in wall time per surface; the numbers of requests sent are
written to the test output. ``HIREBRIDGE_FUZZ_EXAMPLES``, ``HIREBRIDGE_FUZZ_SECONDS`` and ``HIREBRIDGE_FUZZ_SEED``
change the bounds and the seed (the default seed makes runs repeatable).
"""

from __future__ import annotations

import base64
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from hirebridge.orgs.service import IssuedCredentials
from hirebridge.web import surface_of
from tests.conftest import SUMMARY, PartnerSession

EXAMPLES_PER_OPERATION = int(os.environ.get("HIREBRIDGE_FUZZ_EXAMPLES", "60"))
SECONDS_PER_SURFACE = float(os.environ.get("HIREBRIDGE_FUZZ_SECONDS", "75"))
SEED = int(os.environ.get("HIREBRIDGE_FUZZ_SEED", "20261130"))
CHECKS = [not_a_server_error, response_schema_conformance]
MAX_FAILURES_SHOWN = 25


class _OutOfTime(Exception):
    """The operation's share of the wall-time budget is spent."""


@dataclass
class FuzzReport:
    surface: str
    operations: int = 0
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # operation and failure kind -> first example
    not_generated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        by_class = Counter(f"{status // 100}xx" for status in self.statuses.elements())
        classes = ", ".join(f"{k}: {v}" for k, v in sorted(by_class.items()))
        return (
            f"fuzz {self.surface}: {self.sent} requests over {self.operations} operations ({classes}); "
            f"{self.server_errors} server errors; {len(self.failures)} distinct check failures"
        )


def fuzz(base_url: str, surface: str, headers: dict[str, str]) -> FuzzReport:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and surface_of(result.ok().path) == surface
    ]
    report = FuzzReport(surface, operations=len(operations))
    share = SECONDS_PER_SURFACE / max(1, len(operations) * 2)
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz_operation(operation, mode, base_url, headers, session, report, time.monotonic() + share)
    return report


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    report: FuzzReport,
    deadline: float,
) -> None:
    @seed(SEED)
    @settings(
        max_examples=max(1, EXAMPLES_PER_OPERATION // 2),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        except (requests.RequestException, ValueError, UnicodeError):
            return  # the client library refused to send it (a header it cannot encode): nothing reached the server
        report.sent += 1
        report.statuses[response.status_code] += 1
        if response.status_code >= 500:
            report.server_errors += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:  # a schemathesis Failure, or a group of several
            for line in _failure_titles(exc):
                report.failures.setdefault(
                    f"{operation.label} [{mode.value}]: {line}",
                    f"{response.status_code} for {case.as_curl_command(headers=headers, base_url=base_url)[:600]}\n"
                    f"answer: {response.text[:600]}",
                )

    try:
        run()
    except _OutOfTime:
        pass
    except HypothesisException as exc:
        report.not_generated.append(f"{operation.label} [{mode.value}]: {type(exc).__name__}")


def _failure_titles(exc: BaseException) -> list[str]:
    inner = getattr(exc, "exceptions", None) or [exc]
    titles = []
    for failure in inner:
        title = getattr(failure, "title", None) or type(failure).__name__
        message = str(getattr(failure, "message", "") or "").splitlines()
        titles.append(f"{title}: {message[0][:200]}" if message else str(title))
    return titles


def _assert_clean(report: FuzzReport, request: pytest.FixtureRequest) -> None:
    request.config.stash[SUMMARY].append(report.summary())
    assert report.sent > 0
    details = "\n\n".join(f"{key}\n{example}" for key, example in list(report.failures.items())[:MAX_FAILURES_SHOWN])
    assert not report.failures, f"{report.summary()}\n\n{details}"


def test_fuzz_the_partner_api(service: str, partner: PartnerSession, request: pytest.FixtureRequest) -> None:
    report = fuzz(service, "partner", partner.headers)
    _assert_clean(report, request)


def test_fuzz_the_ats_api(service: str, org: IssuedCredentials, request: pytest.FixtureRequest) -> None:
    authorization = "Basic " + base64.b64encode(f"{org.api_key}:".encode()).decode()
    report = fuzz(service, "ats", {"Authorization": authorization})
    _assert_clean(report, request)
