"""A second `hirebridge serve --demo` on the same ports stops before it writes or prints anything: the first keeps its
credentials and its demo connections keep pointing at its simulators."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hirebridge.hris.models import HrisConnection
from hirebridge.runtime import Runtime
from hirebridge.serving import SIMULATORS
from hirebridge.settings import Settings
from tests.console.helpers import sign_in
from tests.hardening import sensitive
from tests.operations.support import HIREBRIDGE, clean_env, free_port_run, run


@pytest.fixture
def first_serve(tmp_path: Path, settings: Settings) -> Iterator[tuple[subprocess.Popen[str], int, dict[str, str]]]:
    port = free_port_run(len(SIMULATORS) + 1)
    env = clean_env(DATABASE_URL=settings.database_url)
    process = subprocess.Popen(
        [HIREBRIDGE, "serve", "--demo", "--port", str(port), "--workers", "1"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    banner: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:  # the banner is printed once the demo organization and its connections exist
        if match := re.match(r"Demo organization .* \(([0-9a-f-]{36})\)", line):
            banner["organization"] = match.group(1)
        if line.strip().startswith("console:"):
            banner["console line"] = line.strip()
        name, sep, value = line.strip().partition(":")
        if sep:
            banner[name.strip()] = value.strip().split("  ")[0]
        if line.startswith("  curl "):
            break
    try:
        assert "ATS API key" in banner, banner
        yield process, port, banner
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        process.stdout.close()


def test_a_second_serve_on_busy_ports_changes_nothing_and_names_the_port(
    first_serve: tuple[subprocess.Popen[str], int, dict[str, str]], tmp_path: Path, settings: Settings, runtime: Runtime
) -> None:
    process, port, banner = first_serve
    second = run(["serve", "--demo", "--port", str(port)], tmp_path, clean_env(DATABASE_URL=settings.database_url))

    assert second.returncode == 2
    assert f"port {port} " in second.stderr
    assert "already in use" in second.stderr
    assert "--port" in second.stderr
    assert "client_secret" not in second.stdout + second.stderr  # no banner, no new credentials
    assert "Traceback" not in second.stderr
    assert process.poll() is None

    _first_is_undisturbed(port, banner, runtime)


def test_a_second_demo_on_the_same_database_and_other_ports_changes_nothing(
    first_serve: tuple[subprocess.Popen[str], int, dict[str, str]], tmp_path: Path, settings: Settings, runtime: Runtime
) -> None:
    process, port, banner = first_serve
    other_port = free_port_run(len(SIMULATORS) + 1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    second = run(
        ["serve", "--demo", "--port", str(other_port)], elsewhere, clean_env(DATABASE_URL=settings.database_url)
    )

    assert second.returncode == 2
    assert "another `hirebridge serve --demo` is running on this database" in second.stderr
    assert "DATABASE_URL" in second.stderr
    assert "client_secret" not in second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert list(elsewhere.iterdir()) == []  # no demo keys written
    assert process.poll() is None
    _first_is_undisturbed(port, banner, runtime)


def _first_is_undisturbed(port: int, banner: dict[str, str], runtime: Runtime) -> None:
    """The first instance's credentials still work and its demo connections still point at its simulators."""
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=30) as client:
        info = client.post("/apiKey.info", auth=(banner["ATS API key"], ""), json={})
        assert info.status_code == 200, info.text
        assert info.json()["success"] is True
        token = client.post(
            "/partner/oauth2/token",
            auth=(banner["partner client_id"], banner["partner client_secret"]),
            json={"grant_type": "client_credentials"},
        )
        assert token.status_code == 200, token.text

    simulators = {
        name.removesuffix(" simulator"): value for name, value in banner.items() if name.endswith("simulator")
    }
    with runtime.sessions() as session:
        demo: dict[str, str] = dict(
            session.execute(
                select(HrisConnection.system, HrisConnection.base_url).where(
                    HrisConnection.organization_id == banner["organization"]
                )
            ).all()
        )
    assert demo, "the demo organization has connections"
    assert demo == {system: simulators[system] for system in demo}


def test_the_demo_banner_names_a_console_user_who_can_sign_in(
    first_serve: tuple[subprocess.Popen[str], int, dict[str, str]],
) -> None:
    _process, port, banner = first_serve
    match = re.fullmatch(r"console:\s+(\S+)/console\s+\((\S+) / (\S+)\)", banner["console line"])
    assert match is not None, banner["console line"]
    url, email, password = match.groups()
    assert url == f"http://127.0.0.1:{port}"
    sensitive.SENSITIVE.add("console password", password)
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(100):  # the banner comes before the socket listens
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        answer = sign_in(client, email, password)
        assert answer.status_code == 303, answer.text
        pushes = client.get("/console/pushes")
        assert pushes.status_code == 200
        assert email in pushes.text  # signed in as the demo operator
