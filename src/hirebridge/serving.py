"""What `hirebridge serve` runs beside the API: delivery workers and, in demo mode, the HRIS simulators
with a demo organization whose connections point at them; and, with ``--processes N``, the API processes.

``serve --processes N`` (N > 1) runs N API processes on one port: uvicorn's supervisor binds the socket and
spawns the processes, which each build the API alone from ``api_process_app`` (a factory, with the settings the
parent decided passed in ``HIREBRIDGE_API_PROCESS``), and the kernel spreads connections among them. The delivery
workers and the demo simulators run once, in the parent (``run_api_processes``), never per process. SIGTERM to
the parent stops the API processes, then the workers and simulators.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.errors import AppError
from hirebridge.observability.endpoints import banner_lines as metrics_banner_lines
from hirebridge.orgs.service import IssuedCredentials, demo_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings

log = logging.getLogger("hirebridge.serve")


class _LazySimulators(dict[str, ModuleType]):
    """externalSystem value -> simulator module (with ``create_app`` and ``main``), imported on first use."""

    MODULES = {
        "bamboohr": "hirebridge.sandbox.bamboohr.app",
        "bob": "hirebridge.sandbox.bob.app",
        "workday": "hirebridge.sandbox.workday.app",
        "adp": "hirebridge.sandbox.adp.app",
        "personio": "hirebridge.sandbox.personio.app",
    }

    def __contains__(self, key: object) -> bool:
        return key in self.MODULES

    def __getitem__(self, key: str) -> ModuleType:
        return importlib.import_module(self.MODULES[key])

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.MODULES)

    def __len__(self) -> int:
        return len(self.MODULES)


SIMULATORS = _LazySimulators()

# Credentials the demo simulators accept; they guard nothing but the simulators themselves.
DEMO_CREDENTIALS: dict[str, dict[str, Any]] = {
    "bamboohr": {"companyDomain": "demo", "apiKey": "sandbox-key"},
    "bob": {"serviceUserId": "SERVICE-USER", "token": "sandbox-token"},
    "workday": {"tenant": "demo", "username": "ISU_HIREBRIDGE", "password": "sandbox-password"},
    # + certificatePem/privateKeyPem: the client certificate of the demo PKI, read at start-up (``_demo_pki``).
    "adp": {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"},
    "personio": {"clientId": "sandbox-client-id", "clientSecret": "sandbox-client-secret"},
}
DEMO_SETTINGS: dict[str, dict[str, Any]] = {
    "bamboohr": {},
    "bob": {"defaultSite": "New York"},
    # The simulator's fictional tenant (GET /_sandbox/tenant): a push makes the pre-hire and hires it into P-00103.
    "workday": {
        "hireOnPush": True,
        "positionId": "P-00103",
        "hireReasonId": "Hire_Employee_New_Hire_Fill_Vacancy",
        "employeeTypeId": "Regular",
        "countryCode": "US",
    },
    "adp": {},  # + serverCaPem: the demo CA that issued the simulator's server certificate (``_demo_pki``)
    "personio": {},
}
DEMO_PKI_DIR = "adp-sandbox-pki"  # under the data dir; written by the ADP simulator's demo_server


def _demo_pki(system: str, data_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo connection's credentials and settings; ADP's take the demo PKI's client certificate and CA."""
    credentials, settings = dict(DEMO_CREDENTIALS[system]), dict(DEMO_SETTINGS[system])
    if system == "adp":
        pki = data_dir / DEMO_PKI_DIR
        credentials["certificatePem"] = (pki / "client.pem").read_text()
        credentials["privateKeyPem"] = (pki / "client.key").read_text()
        settings["serverCaPem"] = (pki / "ca.pem").read_text()
    return credentials, settings


@dataclass
class DemoInfo:
    credentials: IssuedCredentials
    simulators: dict[str, str] = field(default_factory=dict)  # system -> base URL
    connections: dict[str, str] = field(default_factory=dict)  # system -> connection id
    stops: list[Callable[[], None]] = field(default_factory=list)
    console_password: str = ""  # of DEMO_CONSOLE_USER, new at each start


DEMO_CONSOLE_USER = "demo-operator@example.com"


def _demo_console_user(session: Session, organization_id: str) -> str:
    """The demo organization's console user, with a new password each start (the old one's sessions end)."""
    from hirebridge.console.models import ConsoleUser
    from hirebridge.console.users import create_user, reset_password
    from hirebridge.security import new_secret

    password = new_secret(12)
    try:
        with session.begin_nested():
            if session.scalar(select(ConsoleUser.id).where(ConsoleUser.email == DEMO_CONSOLE_USER)) is None:
                create_user(session, organization_id, DEMO_CONSOLE_USER, password)
            else:
                reset_password(session, organization_id, DEMO_CONSOLE_USER, password)
    except AppError as exc:  # the address belongs to another organization's user: the demo goes without
        log.warning("no demo console user: %s", exc.message)
        return ""
    return password


def prepare_demo(runtime: Runtime, api_port: int) -> DemoInfo:
    """Start each simulator on the ports after the API's, and give the demo organization a connection to each."""
    from hirebridge.hris.models import HrisConnection
    from hirebridge.serverthread import ServerThread

    simulators: dict[str, str] = {}
    stops: list[Callable[[], None]] = []
    for offset, system in enumerate(SIMULATORS, start=1):  # in MODULES order, so a new one never moves the others
        module = SIMULATORS[system]
        options: dict[str, Any] = {}
        if hasattr(module, "demo_server"):  # ADP: TLS with a test CA kept in the data dir, client certificate required
            sim_app, options = module.demo_server(runtime.settings.data_dir)
        else:
            sim_app = module.create_app()
        thread = ServerThread(sim_app, port=api_port + offset, **options)
        try:
            url = thread.start()
        except (OSError, SystemExit, RuntimeError):
            thread = ServerThread(sim_app, port=0, **options)  # the neighbouring port is taken: any free one will do
            url = thread.start()
        simulators[system] = url
        stops.append(thread.stop)

    with runtime.transaction() as session:
        credentials = demo_organization(session)
        connections: dict[str, str] = {}
        for system, url in simulators.items():
            if system not in DEMO_CREDENTIALS:
                continue  # a simulator whose demo connection is not defined yet runs without one
            existing = session.scalars(
                select(HrisConnection).where(
                    HrisConnection.organization_id == credentials.organization_id,
                    HrisConnection.system == system,
                )
            ).first()
            connection = existing or HrisConnection(organization_id=credentials.organization_id, system=system)
            connection.name = f"{system} sandbox"
            connection.base_url = url
            demo_credentials, demo_settings = _demo_pki(system, runtime.settings.data_dir)
            connection.credentials_encrypted = runtime.cipher.encrypt_json(demo_credentials)
            connection.credential_fields = sorted(demo_credentials)
            connection.settings = demo_settings
            connection.requires_accepted_offer = system != "bob"
            connection.rate_limit_per_second = 10.0
            connection.is_enabled = True
            session.add(connection)
            session.flush()
            connections[system] = connection.id
        console_password = _demo_console_user(session, credentials.organization_id)
    return DemoInfo(credentials, simulators, connections, stops, console_password)


def background_for(settings: Settings, demo: DemoInfo | None) -> Callable[[Runtime], Callable[[], None]]:
    """The lifespan hook: start delivery workers; on shutdown stop them, then the simulators."""

    def start(runtime: Runtime) -> Callable[[], None]:
        stops: list[Callable[[], None]] = []
        if settings.workers_in_process > 0:
            from hirebridge.delivery.worker import start_in_background

            stops.append(
                start_in_background(runtime, settings.workers_in_process, lease_seconds=settings.lease_seconds)
            )
        if demo is not None:
            stops.extend(demo.stops)

        def stop() -> None:
            for fn in stops:
                try:
                    fn()
                except Exception:
                    log.exception("error while stopping background work")

        return stop

    return start


def print_banner(settings: Settings, host: str, port: int, demo: DemoInfo | None) -> None:
    """Where the service listens and, in the demo, whom to call it as. Plain lines on stdout, never wrapped."""
    url = settings.public_url or f"http://{host}:{port}"
    database = "SQLite " + settings.database_url.removeprefix("sqlite:///") if settings.is_sqlite else "PostgreSQL"
    lines = [
        f"hirebridge listening on {url}  (database: {database})",
        f"  API docs: {url}/docs    health: {url}/healthz",
        *metrics_banner_lines(settings, url),  # readiness, and how to scrape /metrics (observability.endpoints)
    ]
    if demo is not None:
        c = demo.credentials
        lines += [
            f"Demo organization {c.organization_name} ({c.organization_id}), credentials new at each start:",
            f"  partner client_id:      {c.client_id}",
            f"  partner client_secret:  {c.client_secret}",
            f"  ATS API key:            {c.api_key}",
            f"  console:                {url}/console  ({DEMO_CONSOLE_USER} / {demo.console_password})"
            if demo.console_password
            else f"  console:                {url}/console  (create a user: hirebridge users create)",
        ]
        for system, sim_url in demo.simulators.items():
            lines.append(f"  {system + ' simulator:':<23} {sim_url}  (records: {sim_url}/_sandbox/records)")
        lines += [
            "Try it (README.md, 'Push a hire to the BambooHR sandbox', walks through a hire):",
            f"  curl -s -u '{c.api_key}:' -X POST {url}/apiKey.info",
        ]
    print("\n".join(lines), flush=True)


API_PROCESS_ENV = "HIREBRIDGE_API_PROCESS"  # JSON: the settings `serve` decided, for the API processes it starts
EXPOSE_PID_ENV = "HIREBRIDGE_EXPOSE_PID"  # "1": every answer names the process (X-Hirebridge-Pid); for tests
PID_HEADER = b"x-hirebridge-pid"


def api_process_app() -> Any:
    """The ASGI app of one API process of `serve --processes N` (uvicorn's factory, run in each spawned process):
    the API only, no delivery workers or simulators (the parent runs those once)."""
    from hirebridge.app import create_app
    from hirebridge.logsetup import configure

    decided = json.loads(os.environ.get(API_PROCESS_ENV, "{}"))
    settings = Settings().model_copy(update={**decided, "workers_in_process": 0})
    configure(settings.log_level, sys.stderr, settings.log_format)
    runtime = Runtime.from_settings(settings)
    application: Any = create_app(runtime)
    if os.environ.get(EXPOSE_PID_ENV) == "1":
        application = _PidHeader(application)
    return application


class _PidHeader:
    """Adds ``X-Hirebridge-Pid`` to every answer, so a test can see which process answered."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pid = str(os.getpid()).encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_pid(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (PID_HEADER, self.pid)]
            await send(message)

        await self.app(scope, receive, send_with_pid)


def run_api_processes(
    runtime: Runtime, settings: Settings, demo: DemoInfo | None, *, host: str, port: int, processes: int
) -> None:
    """Serve the API from ``processes`` processes on one port until SIGTERM or SIGINT; this process runs the
    delivery workers and the demo simulators, once, for all of them."""
    import uvicorn

    stop = background_for(settings, demo)(runtime)
    os.environ[API_PROCESS_ENV] = json.dumps({"demo": settings.demo, "public_url": settings.public_url})
    try:
        uvicorn.run(
            "hirebridge.serving:api_process_app",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            access_log=False,
            log_config=None,
            timeout_graceful_shutdown=10,
        )
    finally:
        stop()
