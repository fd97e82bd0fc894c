"""Helpers for the observability tests: reading /metrics as numbers, and a deployment of real processes whose
metrics, logs and settings the tests choose (built on tests/fault/cluster.py)."""

from __future__ import annotations

import json
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.fault.cluster import HIREBRIDGE, Cluster, free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    """Every sample of an exposition, keyed by (sample name, labels)."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def scrape(base_url: str, token: str, client: httpx.Client | None = None) -> Samples:
    """GET /metrics, parsed. Through ``client`` (one keep-alive connection), the requests it made before are counted
    before the scrape is answered: the server takes a connection's next request once the last one is recorded."""
    headers = {"Authorization": f"Bearer {token}"}
    if client is not None:
        response = client.get(f"{base_url}/metrics", headers=headers)
    else:
        response = httpx.get(f"{base_url}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series does not exist yet (a counter that never moved)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def wait_until(probe: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} not reached within {timeout} s"
        time.sleep(0.1)


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a process's stderr, each of which must be one JSON object."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{path.name} line {number} is not JSON: {line[:200]!r}") from None
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


class ObservedCluster(Cluster):
    """The fault tests' deployment with a metrics token, JSON logs at INFO, optionally a shared metrics directory,
    and each process's stderr (its log) kept apart from its stdout (the banner)."""

    def __init__(self, database_url: str, workdir: Path, *, metrics_dir: Path | None = None) -> None:
        super().__init__(database_url, workdir, lease_seconds=60.0, push_wait_seconds=2.0)
        self.token = secrets.token_urlsafe(32)
        self.env.update(
            {
                "HIREBRIDGE_METRICS_TOKEN": self.token,
                "HIREBRIDGE_LOG_FORMAT": "json",
                "HIREBRIDGE_LOG_LEVEL": "INFO",
            }
        )
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if metrics_dir is not None:
            self.env["HIREBRIDGE_METRICS_DIR"] = str(metrics_dir)
        self.logs: dict[int, Path] = {}

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        base = self.workdir / f"{name}-{len(self.processes)}"
        with base.with_suffix(".out").open("wb") as out, base.with_suffix(".log").open("wb") as err:
            process = subprocess.Popen(
                [HIREBRIDGE, *args], cwd=self.workdir, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            )
        self.processes.append(process)
        self.logs[process.pid] = base.with_suffix(".log")
        return process

    def start_serve(self, workers: int) -> subprocess.Popen[bytes]:
        """`hirebridge serve --workers N` (N delivery threads in the API process; 0: none)."""
        port = free_port()
        process = self._spawn("api", "serve", "--port", str(port), "--workers", str(workers))
        self.api_url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert process.poll() is None, f"the API process exited with {process.returncode}; see {self.workdir}"
            try:
                return httpx.get(f"{self.api_url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, 60, "the API answering /healthz")
        return process

    def scrape(self) -> Samples:
        return scrape(self.api_url, self.token)
