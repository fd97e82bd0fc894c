"""`hirebridge serve --processes 2`: two API processes answer on one port, the demo's simulators and the delivery
workers run once (in the parent), a push goes through them, and SIGTERM stops every process."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hirebridge.serving import EXPOSE_PID_ENV, SIMULATORS
from tests.operations.support import HIREBRIDGE, clean_env, free_port_run
from tests.support.databases import fresh_database

PID = "x-hirebridge-pid"


@dataclass
class Served:
    process: subprocess.Popen[str]
    base_url: str
    banner: dict[str, str]
    simulators: dict[str, str]


def _read_banner(process: subprocess.Popen[str]) -> tuple[dict[str, str], dict[str, str]]:
    banner: dict[str, str] = {}
    simulators: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:  # printed once the demo organization and its connections exist
        if match := re.match(r"\s+(\w+) simulator:\s+(\S+)", line):
            simulators[match.group(1)] = match.group(2)
        name, sep, value = line.strip().partition(":")
        if sep:
            banner[name.strip()] = value.strip().split("  ")[0]
        if line.startswith("  curl "):
            break
    return banner, simulators


def _wait_until_up(base_url: str, process: subprocess.Popen[str]) -> None:
    for _ in range(600):  # the API processes import and start after the banner; bounded by count, not time
        assert process.poll() is None, "serve exited"
        try:
            if httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("serve --processes 2 did not answer /healthz")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with fresh_database() as database_url:  # its own: the test service's workers must not claim these pushes
        yield from _serve(tmp_path, database_url)


def _serve(tmp_path: Path, database_url: str) -> Iterator[Served]:
    port = free_port_run(len(SIMULATORS) + 1)
    env = clean_env(DATABASE_URL=database_url, **{EXPOSE_PID_ENV: "1"})
    process = subprocess.Popen(
        [HIREBRIDGE, "serve", "--demo", "--processes", "2", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner, simulators = _read_banner(process)
        assert "ATS API key" in banner, banner
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(base_url, process)
        yield Served(process, base_url, banner, simulators)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        assert process.stdout is not None
        process.stdout.close()


def _pids_answering(base_url: str, attempts: int = 400) -> set[str]:
    """The processes that answer fresh connections (one connection per request, so the kernel spreads them)."""
    pids: set[str] = set()
    for _ in range(attempts):
        with httpx.Client(base_url=base_url, timeout=10) as client:
            response = client.get("/healthz")
        assert response.status_code == 200
        pids.add(response.headers[PID])
        if len(pids) >= 2:
            break
    return pids


def _call(client: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/{endpoint}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["success"] is True, answer.get("errorInfo", {}).get("message")
    return dict(answer["results"])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_two_api_processes_share_the_port_and_sigterm_stops_them_all(served: Served) -> None:
    pids = _pids_answering(served.base_url)
    assert len(pids) == 2, pids
    assert str(served.process.pid) not in pids  # the parent runs the workers and simulators, not the API

    # The whole path through both kinds of process: a hire written by the API processes is pushed by the parent's
    # delivery workers to the parent's Bob simulator (Bob's demo connection needs an offer's start date, not its
    # acceptance).
    with httpx.Client(base_url=served.base_url, auth=(served.banner["ATS API key"], ""), timeout=60) as ats:
        job = _call(ats, "job.create", {"title": "Software Engineer"})
        candidate = _call(ats, "candidate.create", {"name": "Ada Lovelace", "email": "ada.scale@example.com"})
        application = _call(ats, "application.create", {"candidateId": candidate["id"], "jobId": job["id"]})
        offer = {"applicationId": application["id"], "startDate": "2030-01-07", "jobTitle": "Software Engineer"}
        _call(ats, "offer.create", offer)
        push = _call(ats, "candidate.pushToHris", {"applicationId": application["id"], "externalSystem": "bob"})
        for _ in range(200):
            if push["state"] not in ("queued", "running"):
                break
            time.sleep(0.1)
            push = _call(ats, "hrisPush.info", {"pushId": push["id"]})
    assert push["state"] == "succeeded", push
    employees = httpx.get(f"{served.simulators['bob']}/_sandbox/records", timeout=10).json()["records"]
    assert [e for e in employees if "ada.scale@example.com" in str(e)], employees

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=60) == 0
    assert not [pid for pid in pids if _alive(int(pid))]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{served.base_url}/healthz", timeout=5)
