"""Checks the command line makes before it writes or prints anything: which database a command uses (and whether it
may create one), and whether the ports `hirebridge serve` will listen on are free."""

from __future__ import annotations

import errno
import fcntl
import socket
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from hirebridge.settings import Settings

DEMO_LOCK_KEY = 0x68697265_62726467  # "hirebrdg": the advisory lock a demo `serve` holds on PostgreSQL


class PreflightError(RuntimeError):
    """The command would surprise its user (a busy port, a database that does not exist); the message says why."""


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite file the settings point at, absolute; None for PostgreSQL or an in-memory database."""
    if not settings.is_sqlite:
        return None
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        return None
    return Path(database).expanduser().resolve()


def describe_database(settings: Settings) -> str:
    """One line naming the database without its password: 'SQLite /abs/path' or 'PostgreSQL host:port/name'."""
    path = sqlite_path(settings)
    if path is not None:
        return f"SQLite {path}"
    if settings.is_sqlite:
        return "SQLite in memory"
    url = make_url(settings.database_url)
    port = f":{url.port}" if url.port else ""
    return f"PostgreSQL {url.host or 'localhost'}{port}/{url.database or ''}"


def require_existing_database(settings: Settings) -> None:
    """Refuse to create a new, empty SQLite database: only `serve` and `db migrate` make one."""
    path = sqlite_path(settings)
    if path is None or path.exists():
        return
    raise PreflightError(
        f"no hirebridge database at {path}.\n"
        "The default database is ./hirebridge.db in the current directory: run this command in the directory "
        "where `hirebridge serve` (or ./scripts/serve) runs, or point at the database with "
        "DATABASE_URL=sqlite:////path/to/hirebridge.db (an absolute path after sqlite:///), or "
        "create a new one with `hirebridge db migrate`."
    )


def _port_is_busy(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is not "busy"
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def check_ports(host: str, port: int, simulator_ports: list[int]) -> None:
    """Fail, naming the first busy port, when the API's port or a demo simulator's port is taken."""
    wanted = [(host, port, "the API")] + [("127.0.0.1", p, "a demo HRIS simulator") for p in simulator_ports]
    for bind_host, bind_port, purpose in wanted:
        if not 0 < bind_port < 65536:
            raise PreflightError(
                f"port {bind_port} (for {purpose}) is not a valid TCP port; choose another with --port"
            )
        if _port_is_busy(bind_host, bind_port):
            extra = (
                f" (the demo's simulators listen on the {len(simulator_ports)} ports after --port)"
                if simulator_ports
                else ""
            )
            raise PreflightError(
                f"port {bind_port} on {bind_host} ({purpose}) is already in use, perhaps by another "
                f"`hirebridge serve`. Nothing was changed. Choose another port with --port{extra}, "
                f"e.g. `hirebridge serve --port {port + 10}`."
            )


def hold_demo_lock(settings: Settings) -> Callable[[], None]:
    """Hold, for the life of the process, the one lock per database a demo `serve` takes: a second demo on the same
    database would replace the first's demo credentials and move its connections to its own simulators.

    SQLite: an exclusive ``flock`` on ``<database file>.demo.lock``; PostgreSQL: a session advisory lock. Returns the
    function that releases it. Raises PreflightError when another process holds it."""
    busy = PreflightError(
        f"another `hirebridge serve --demo` is running on this database ({describe_database(settings)}). Nothing "
        "was changed. Stop it first, or point this one at another database with DATABASE_URL (or run it from "
        "another directory, which has its own ./hirebridge.db)."
    )
    path = sqlite_path(settings)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(f"{path}.demo.lock", "a+")  # noqa: SIM115 - held open until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise busy from None
        return handle.close
    if settings.is_sqlite:
        return lambda: None  # in memory: nothing to share
    from hirebridge.db.engine import make_engine

    engine = make_engine(settings.database_url)
    connection = engine.connect()
    if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": DEMO_LOCK_KEY}).scalar():
        connection.close()
        engine.dispose()
        raise busy
    connection.commit()  # the lock belongs to the session, not the transaction

    def release() -> None:
        connection.close()
        engine.dispose()  # closes the pooled connection: the lock goes with its session

    return release
