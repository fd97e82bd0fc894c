"""The `hirebridge` command: serve, worker, orgs, connections, pushes, sandbox, db, keys."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from hirebridge.clihelp import HelpGroup
from hirebridge.core.cli_import import app as candidates_app
from hirebridge.hris.cli import app as connections_app
from hirebridge.hris.cli import pushes_app
from hirebridge.hris.cli_pushes import register as register_push_commands
from hirebridge.orgs.cli import partner_clients_app
from hirebridge.orgs.cli import register as register_key_commands
from hirebridge.orgs.cli_users import app as users_app
from hirebridge.partner.cli import register as register_partner_commands
from hirebridge.settings import MissingSecretError, Settings

# Which commands touch the database: only `serve` and `db ...` may create one; the others refuse to make a new, empty
# SQLite file in whatever directory they are run from.
NO_DATABASE = {"keys generate", "sandbox"}  # a group's name alone: all its commands; "group command": that one
CREATES_DATABASE = {"serve", "db"}
NEEDS_SECRETS = {"worker", "connections", "pushes"}  # their secrets are checked first, as before


class _Hirebridge(HelpGroup):
    """The top-level group: before a command runs, say on stderr which database it uses, and refuse a missing one."""

    def invoke(self, ctx: Any) -> Any:  # typer's own (vendored) click Context
        args = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if args and args[0] in self.list_commands(ctx) and not {"--help", "-h"} & set(args):
            group = getattr(self.get_command(ctx, args[0]), "commands", None)
            if group is None:
                _check_database(args[0])
            elif len(args) > 1 and args[1] in group:  # (a group without its command only prints its help)
                _check_database(args[0], args[1])
        return super().invoke(ctx)


def _check_database(command: str, subcommand: str | None = None) -> None:
    from hirebridge.preflight import PreflightError, describe_database, require_existing_database

    if command in NO_DATABASE or f"{command} {subcommand}" in NO_DATABASE:
        return
    settings = _settings()
    if command == "serve":
        return  # its banner names the database, after the ports are checked
    if command in NEEDS_SECRETS and not settings.demo:  # (demo mode would write its keys: not before the check)
        _runtime(settings).close()  # a missing or unusable secret is the first thing to fix
    if settings.log_format == "json":  # stderr stays one JSON object per line
        from hirebridge.logsetup import json_line

        print(json_line("INFO", "hirebridge.cli", f"database {describe_database(settings)}"), file=sys.stderr)
    else:
        console.print(f"hirebridge: database {describe_database(settings)}", highlight=False)
    if command not in CREATES_DATABASE:
        try:
            require_existing_database(settings)
        except PreflightError as exc:
            raise _fail(str(exc)) from None
    if command in NEEDS_SECRETS and settings.demo:
        _runtime(settings).close()


app = typer.Typer(
    cls=_Hirebridge,
    help="hirebridge: move candidate data between hiring systems, exactly once in effect.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals can hold keys and credentials
    rich_markup_mode=None,  # plain help: rich's boxes cut long option names at 80 columns
    context_settings={"max_content_width": 80},
)
orgs_app = typer.Typer(cls=HelpGroup, help="Organizations and their credentials.", no_args_is_help=True)
db_app = typer.Typer(cls=HelpGroup, help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(
    cls=HelpGroup, help="ATS API keys, and secrets for the service's environment.", no_args_is_help=True
)
app.add_typer(orgs_app, name="orgs")
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(connections_app, name="connections")
app.add_typer(pushes_app, name="pushes")
app.add_typer(partner_clients_app, name="partner-clients")
app.add_typer(users_app, name="users")
app.add_typer(candidates_app, name="candidates")
register_partner_commands(orgs_app)
register_push_commands(pushes_app, connections_app)
register_key_commands(keys_app)

console = Console(stderr=True, soft_wrap=True)


def _settings(demo: bool | None = None) -> Settings:
    settings = Settings()
    if demo is not None:
        settings = settings.model_copy(update={"demo": demo})
    return settings


def _configure_logging(settings: Settings) -> None:
    from hirebridge.logsetup import configure

    configure(settings.log_level, sys.stderr, settings.log_format)


def _metrics_setup(settings: Settings, *, clean: bool, processes: int = 1) -> None:
    """Prometheus multiprocess mode when HIREBRIDGE_METRICS_DIR (or PROMETHEUS_MULTIPROC_DIR) is set, before any
    metric is recorded; `serve` first removes the files of processes no longer running (docs/observability.md)."""
    from hirebridge.observability.metrics import setup_multiprocess

    setup_multiprocess(settings, clean=clean, processes=processes)  # several API processes: <data dir>/metrics


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _runtime(settings: Settings, *, worker_threads: int | None = None):  # type: ignore[no-untyped-def]
    """The process's runtime; ``worker_threads`` for `hirebridge worker` (no API: a pool for its threads only)."""
    from hirebridge.runtime import Runtime

    try:
        if worker_threads is not None:
            return Runtime.from_settings(settings, serves_api=False, worker_threads=worker_threads)
        return Runtime.from_settings(settings)
    except MissingSecretError as exc:
        raise _fail(f"{exc}\nFor a local trial run `hirebridge serve --demo`.") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option(help="Demo mode: local keys, a demo organization, HRIS simulators.")] = False,
    workers: Annotated[int | None, typer.Option(help="Delivery worker threads in this process.")] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port (scale out on one machine; workers and simulators run once).",
        ),
    ] = 1,
) -> None:
    """Apply pending migrations, then serve the API (and delivery workers) until SIGTERM."""
    import uvicorn

    from hirebridge.app import create_app
    from hirebridge.db.migrate import upgrade
    from hirebridge.serving import SIMULATORS, background_for, prepare_demo, print_banner, run_api_processes

    settings = _settings(demo=demo or None)
    if workers is not None:
        settings = settings.model_copy(update={"workers_in_process": workers})
    _configure_logging(settings)
    _metrics_setup(settings, clean=True, processes=processes)
    from hirebridge.preflight import PreflightError, check_ports, hold_demo_lock

    release_demo_lock = None
    try:  # before anything is written or printed: a second `serve` must not disturb the first
        check_ports(host, port, [port + n for n in range(1, len(SIMULATORS) + 1)] if settings.demo else [])
        if settings.demo:  # nor a second demo on the same database on other ports
            release_demo_lock = hold_demo_lock(settings)
    except PreflightError as exc:
        raise _fail(str(exc)) from None
    public_url = settings.public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    settings = settings.model_copy(update={"public_url": public_url})
    runtime = _runtime(settings)  # refuses to start without its secrets, before anything is written
    upgrade(settings.database_url)
    demo_info = prepare_demo(runtime, port) if settings.demo else None
    print_banner(settings, host, port, demo_info)
    if processes > 1:
        run_api_processes(runtime, settings, demo_info, host=host, port=port, processes=processes)
    else:
        application = create_app(runtime, background=background_for(settings, demo_info))
        config = uvicorn.Config(
            application, host=host, port=port, access_log=False, log_config=None, timeout_graceful_shutdown=10
        )
        uvicorn.Server(config).run()
    runtime.close()
    if release_demo_lock is not None:
        release_demo_lock()


@app.command()
def worker(
    threads: Annotated[int, typer.Option(help="Worker threads in this process.")] = 8,
) -> None:
    """Run delivery workers only (scale out: any number of these against the same DATABASE_URL)."""
    from hirebridge.delivery.worker import run_worker_process

    settings = _settings()
    _configure_logging(settings)
    _metrics_setup(settings, clean=False)
    runtime = _runtime(settings, worker_threads=threads)
    run_worker_process(runtime, threads, lease_seconds=settings.lease_seconds)
    runtime.close()


@app.command()
def sandbox(
    system: Annotated[
        str, typer.Argument(help="The simulated HRIS, as in externalSystem: bamboohr, bob, workday, adp, personio.")
    ],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8100,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Run one HRIS simulator on its own, so that a connection can point at it."""
    from hirebridge.serving import SIMULATORS

    if system not in SIMULATORS:
        raise _fail(f"unknown system '{system}'; simulators exist for: {', '.join(sorted(SIMULATORS))}")
    scheme = getattr(SIMULATORS[system], "SCHEME", "http")  # ADP's simulator serves https
    console.print(f"{system} simulator on {scheme}://{host}:{port} (admin: {scheme}://{host}:{port}/_sandbox/records)")
    SIMULATORS[system].main(port=port, host=host)


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Argument(help="Organization name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Create an organization; print its partner API client id/secret and an ATS API key (shown once)."""
    from hirebridge.db.migrate import upgrade
    from hirebridge.orgs.service import create_organization

    name = name.strip()
    if not name or len(name) > 255:
        raise _fail("NAME must be 1 to 255 characters")
    settings = _settings()
    upgrade(settings.database_url)
    from hirebridge.db.engine import make_engine, make_session_factory, transaction

    engine = make_engine(settings.database_url)
    with transaction(make_session_factory(engine)) as session:
        issued = create_organization(session, name)
    engine.dispose()
    if as_json:
        print(json.dumps(issued.as_dict()))
        return
    console.print(f"Created organization [bold]{issued.organization_name}[/] ({issued.organization_id})")
    console.print("Shown once; store them now.")
    print(f"partner client_id:     {issued.client_id}")
    print(f"partner client_secret: {issued.client_secret}")
    print(f"ATS API key:           {issued.api_key}")


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations to DATABASE_URL."""
    from hirebridge.db.migrate import upgrade

    upgrade(_settings().database_url)
    console.print("database is up to date")


@db_app.command("check")
def db_check() -> None:
    """Apply pending migrations, then fail if the models and the migrations disagree."""
    from alembic.util.exc import AutogenerateDiffsDetected

    from hirebridge.db.migrate import check, upgrade

    url = _settings().database_url
    upgrade(url)
    try:
        check(url)
    except AutogenerateDiffsDetected as exc:
        raise _fail(f"models and migrations disagree: {exc}") from None
    console.print("models and migrations agree")


@keys_app.command("generate", short_help="Print a new secret key and encryption key.")
def keys_generate() -> None:
    """Print fresh HIREBRIDGE_SECRET_KEY and HIREBRIDGE_ENCRYPTION_KEY lines for an environment file."""
    from cryptography.fernet import Fernet

    from hirebridge.security import new_secret

    print(f"HIREBRIDGE_SECRET_KEY={new_secret(32)}")
    print(f"HIREBRIDGE_ENCRYPTION_KEY={Fernet.generate_key().decode()}")


@keys_app.command("reencrypt", short_help="Re-encrypt stored secrets with the first key.")
def keys_reencrypt() -> None:
    """Re-encrypt every stored secret with the first HIREBRIDGE_ENCRYPTION_KEY.

    Rotation: set HIREBRIDGE_ENCRYPTION_KEY=NEW,OLD, restart every process, run this, then drop OLD.
    """
    from rich.progress import Progress

    from hirebridge.db.reencrypt import count_values, reencrypt_all

    runtime = _runtime(_settings())
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("re-encrypting", total=count_values(runtime.sessions))
            outcome = reencrypt_all(runtime.sessions, runtime.cipher, lambda n: progress.advance(task, n))
    finally:
        runtime.close()
    for label, rewritten in outcome.rewritten.items():
        console.print(f"{label}: {rewritten} re-encrypted", highlight=False)
    unreadable = {label: n for label, n in outcome.unreadable.items() if n}
    if unreadable:
        listed = ", ".join(f"{label}: {n}" for label, n in unreadable.items())
        raise _fail(f"values no listed key can read were left as they are ({listed}); is a key missing?")
    console.print("every stored secret is now encrypted with the first key; the others can be removed")


def main() -> None:  # pragma: no cover - console entry point alias
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
