"""Shared fixtures: one fresh database per run (SQLite or PostgreSQL, see tests/support/databases.py), the
service on a real socket with its delivery workers, and a fresh organization per test for isolation.

Every log record of the run is written to one file, and every credential and piece of personal data the suite sends
or receives is noted (tests/hardening/sensitive.py); tests/hardening/test_log_grep.py runs last and fails if any of
them is in the log, and the same check runs again after the session's teardown."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from hirebridge.logsetup import quiet_libraries
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.hardening import sensitive
from tests.support.databases import backend, fresh_database

# Database work on the event loop fails the test that does it (in production it is logged): db.engine's guard, for
# this process and every service process a test starts.
os.environ.setdefault("HIREBRIDGE_EVENT_LOOP_GUARD", "raise")

LOG_GREP_TEST = "test_logs_hold_no_sensitive_values"
LOG_FILE = pytest.StashKey[sensitive.LogFile]()
UNDO_OBSERVE = pytest.StashKey[Callable[[], None]]()
SUMMARY = pytest.StashKey[list[str]]()  # lines for the end of the run: requests fuzzed, values grepped


def pytest_configure(config: pytest.Config) -> None:
    """From here on, every log record goes to one file, at the service's default level (INFO), with the libraries
    that log URLs and SQL kept quiet as ``hirebridge serve`` keeps them."""
    log_file = sensitive.LogFile(Path(tempfile.mkdtemp(prefix="hirebridge-test-logs-")) / "all.log")
    log_file.install()
    logging.getLogger().setLevel(logging.INFO)
    quiet_libraries()
    config.stash[LOG_FILE] = log_file
    config.stash[SUMMARY] = []
    config.stash[UNDO_OBSERVE] = sensitive.observe_httpx(sensitive.SENSITIVE)


def pytest_unconfigure(config: pytest.Config) -> None:
    if UNDO_OBSERVE in config.stash:
        config.stash[UNDO_OBSERVE]()
    if LOG_FILE in config.stash:
        config.stash[LOG_FILE].uninstall()


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"hirebridge test database backend: {backend()}",
        f"hirebridge test log (every record of this run): {config.stash[LOG_FILE].path}",
    ]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The log-grep test runs after every other test."""
    items.sort(key=lambda item: getattr(item, "originalname", item.name) == LOG_GREP_TEST)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if config.stash[SUMMARY]:
        terminalreporter.section("hirebridge hardening")
        for line in config.stash[SUMMARY]:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Grep the log once more after the teardown of every fixture, when the log-grep test was part of the run."""
    log_file = session.config.stash[LOG_FILE]
    items = getattr(session, "items", [])
    selected = any(getattr(item, "originalname", item.name) == LOG_GREP_TEST for item in items)
    if selected and session.exitstatus == 0:
        leaks = sensitive.find_leaks(log_file.path, sensitive.SENSITIVE)
        if leaks:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            lines = [f"sensitive values in the log written during session teardown ({log_file.path}):"]
            lines += [leak.describe() for leak in leaks]
            if reporter is not None:
                reporter.write_line("\n".join(lines), red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    from hirebridge.db.migrate import upgrade

    with fresh_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=Fernet.generate_key().decode(),  # random: a weak HIREBRIDGE_SECRET_KEY is refused at start
        encryption_key=Fernet.generate_key().decode(),
        data_dir=tmp_path_factory.mktemp("data"),
        push_wait_seconds=5.0,
        workers_in_process=4,
        allow_private_network=True,  # the simulators and webhook receivers listen on 127.0.0.1
        # Every test calls from 127.0.0.1 and many fail authentication on purpose; tests/operations checks the limits.
        auth_failures_per_address=100_000,
        auth_failures_per_credential=100_000,
    )


@pytest.fixture(scope="session")
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.from_settings(settings)
    yield rt
    rt.close()


def _background(rt: Runtime):  # type: ignore[no-untyped-def]
    try:
        from hirebridge.delivery.worker import start_in_background
    except ModuleNotFoundError:
        return lambda: None
    return start_in_background(rt, rt.settings.workers_in_process)


@pytest.fixture(scope="session")
def service(runtime: Runtime) -> Iterator[str]:
    """The whole service (API + delivery workers) listening on a real socket; yields its base URL."""
    from hirebridge.app import create_app
    from hirebridge.serverthread import ServerThread

    thread = ServerThread(create_app(runtime, background=_background))
    url = thread.start()
    runtime.public_url = url
    yield url
    thread.stop()


@pytest.fixture
def client(service: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=service, timeout=30) as c:
        yield c


@pytest.fixture
def cli_env(runtime: Runtime, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment under which `hirebridge ...` commands (run with typer's CliRunner) use the test database."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HIREBRIDGE_SECRET_KEY", runtime.signing_key)
    assert settings.encryption_key is not None
    monkeypatch.setenv("HIREBRIDGE_ENCRYPTION_KEY", settings.encryption_key.get_secret_value())


@pytest.fixture
def org(runtime: Runtime) -> IssuedCredentials:
    """A fresh organization with partner client credentials and an all-permissions ATS API key."""
    with runtime.transaction() as session:
        credentials = create_organization(session, "Test Org")
    sensitive.SENSITIVE.add("client secret", credentials.client_secret)
    sensitive.SENSITIVE.add("api key", credentials.api_key)
    return credentials


@dataclass
class PartnerSession:
    client: httpx.Client
    credentials: IssuedCredentials
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def partner(client: httpx.Client, org: IssuedCredentials) -> PartnerSession:
    """A partner API session: an organization and a Bearer token obtained through the real token endpoint."""
    response = client.post(
        "/partner/oauth2/token",
        json={"grant_type": "client_credentials"},
        auth=(org.client_id, org.client_secret),
    )
    assert response.status_code == 200, response.text
    return PartnerSession(client, org, response.json()["access_token"])


@pytest.fixture
def ats(client: httpx.Client, org: IssuedCredentials) -> Iterator[httpx.Client]:
    """An ATS API client authenticated with the organization's API key (Basic, key as username)."""
    with httpx.Client(base_url=str(client.base_url), auth=(org.api_key, ""), timeout=30) as ats_client:
        yield ats_client
