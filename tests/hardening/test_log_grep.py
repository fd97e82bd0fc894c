"""Nothing sensitive in the logs: every log line written during the run (tests/conftest.py captures all loggers to
one file) is searched for every credential, token and piece of personal data the suite sent or received
(tests/hardening/sensitive.py collects them as they are used). Runs after every other test."""

from __future__ import annotations

import pytest

from tests.conftest import LOG_FILE, SUMMARY
from tests.hardening import sensitive


def test_logs_hold_no_sensitive_values(request: pytest.FixtureRequest) -> None:
    log_file = request.config.stash[LOG_FILE]
    assert log_file.path.stat().st_size > 0, "nothing was logged: the capture is not working"
    leaks = sensitive.find_leaks(log_file.path, sensitive.SENSITIVE)
    details = "\n".join(leak.describe() for leak in leaks)
    size = log_file.path.stat().st_size
    found = f"{len(sensitive.SENSITIVE)} sensitive values searched for in {size} bytes of log: {len(leaks)} found"
    request.config.stash[SUMMARY].append(f"log grep: {found}")
    assert not leaks, f"sensitive values in the log {log_file.path}:\n{details}"
