"""Processes of a bench run: the code under test (a checkout's ``src``), throwaway PostgreSQL databases, the service,
the counting proxy and the load generator, each in a process of its own."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.fernet import Fernet

from bench.loadgen import Spec

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADMIN_URLS = ("postgresql://postgres@127.0.0.1:5432/postgres", "postgresql://root@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Code:
    """One version of hirebridge: its checkout root; its ``src`` goes first on PYTHONPATH of every process."""

    label: str
    root: Path

    def pythonpath(self) -> str:
        return os.pathsep.join([str(self.root / "src"), str(ROOT)])

    def hirebridge(self) -> list[str]:
        return [PYTHON, "-c", "from hirebridge.cli import main; main()"]

    def help(self, command: str) -> str:
        env = dict(os.environ, PYTHONPATH=self.pythonpath())
        done = subprocess.run([*self.hirebridge(), command, "--help"], env=env, capture_output=True, check=False)
        return done.stdout.decode()


def admin_url() -> str:
    explicit = os.environ.get("HIREBRIDGE_BENCH_PG_URL")
    for url in (explicit,) if explicit else ADMIN_URLS:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.Error:
            continue
    raise RuntimeError("no PostgreSQL on 127.0.0.1:5432 (or set HIREBRIDGE_BENCH_PG_URL to an admin URL)")


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database (bench_<random>) as a SQLAlchemy URL; dropped afterwards."""
    admin = admin_url()
    name = "bench_" + secrets.token_hex(5)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def through_proxy(url: str, port: int) -> str:
    """The same database reached through the counting proxy (plain TCP: the proxy reads the protocol)."""
    scheme, rest = url.split("://", 1)
    credentials, location = rest.rsplit("@", 1)
    database = location.split("/", 1)[1]
    return f"{scheme}://{credentials}@127.0.0.1:{port}/{database}?sslmode=disable&gssencmode=disable"


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def service_env(code: Code, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=code.pythonpath(),
        DATABASE_URL=database_url,
        HIREBRIDGE_SECRET_KEY=secrets.token_urlsafe(32),
        HIREBRIDGE_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        HIREBRIDGE_LOG_LEVEL="WARNING",
        HIREBRIDGE_ALLOW_PRIVATE_NETWORK="true",  # the simulator listens on 127.0.0.1
        HIREBRIDGE_PUSH_WAIT_SECONDS="0",  # pushToHris answers "queued" at once: its own API work only
    )
    env.update(extra)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_http(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            err = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"{what} did not start:\n{err[-3000:]}")
        time.sleep(0.2)


@contextlib.contextmanager
def service(code: Code, env: dict[str, str], *args: str) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """`hirebridge serve` of ``code``; yields its base URL, port and process (the root of its process tree)."""
    port = free_port()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [*code.hirebridge(), "serve", "--port", str(port), *args], env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            _wait_or_report(f"http://127.0.0.1:{port}/healthz", process, errors, f"{code.label} serve {args}")
            yield f"http://127.0.0.1:{port}", port, process
        finally:
            stop(process)


def _wait_or_report(url: str, process: subprocess.Popen[bytes], errors: Any, what: str) -> None:
    try:
        wait_http(url, process, what)
    except RuntimeError as exc:
        errors.seek(0)
        raise RuntimeError(f"{exc}{errors.read().decode()[-3000:]}") from None


@contextlib.contextmanager
def python_process(
    args: list[str], env: dict[str, str], ready_url: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([PYTHON, *args], env=env, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            if ready_url:
                _wait_or_report(ready_url, process, errors, " ".join(args))
            yield process
        finally:
            stop(process)


@contextlib.contextmanager
def counting_proxy() -> Iterator[tuple[int, int]]:
    """The statement-counting proxy in front of PostgreSQL: yields (port, control port)."""
    port, control = free_port(), free_port()
    upstream = admin_url().rsplit("@", 1)[1].split("/", 1)[0]
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.pgcount", "--port", str(port), "--control-port", str(control), "--upstream", upstream],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the counting proxy did not start")
        yield port, control
    finally:
        stop(process)
        if process.stdout is not None:
            process.stdout.close()


def load(spec: Spec) -> dict[str, Any]:
    """Run the load generator in its own process; its JSON result."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(asdict(spec), f)
        f.flush()
        done = subprocess.run(
            [PYTHON, "-m", "bench.loadgen", f.name],
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
            capture_output=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run_json(code: Code, env: dict[str, str], args: list[str]) -> Any:
    """A short command of ``code`` (or a bench module run under its PYTHONPATH) that prints JSON."""
    done = subprocess.run(args, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{code.label}: {' '.join(args[:4])} failed: {done.stderr.decode()[-3000:]}")
    return json.loads(done.stdout)
