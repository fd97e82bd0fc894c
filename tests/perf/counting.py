"""Count what one request costs the database, without timing anything.

``count_round_trips(engine)`` counts, while its block runs, every round trip to the database made through ``engine``:

- each statement handed to the driver (``before_cursor_execute``; an ``executemany`` is one), which on SQLite
  includes the ``BEGIN IMMEDIATE`` every transaction starts with;
- on PostgreSQL one ``BEGIN`` per transaction (psycopg sends it itself before the transaction's first statement, so
  no cursor event shows it: the connection's ``begin`` event stands for it, unless the connection is in autocommit);
- each ``COMMIT``, and each ``ROLLBACK`` the driver really sends (explicit, or the pool's reset on return) — one sent
  while the driver connection is idle is skipped by psycopg and sqlite3, and is not counted;
- each pool pre-ping (``pool_pre_ping``'s ``SELECT 1``, sent by the dialect around the cursor events).

New connections are counted apart (``connects``): a warm pool should open none.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class RoundTrips:
    statements: list[str] = field(default_factory=list)
    connects: int = 0

    @property
    def count(self) -> int:
        return len(self.statements)

    def describe(self) -> str:
        return "\n".join(f"  {n:2}. {sql}" for n, sql in enumerate(self.statements, start=1))


def _in_transaction(dbapi_connection: Any) -> bool:
    info = getattr(dbapi_connection, "info", None)  # psycopg 3
    if info is not None and hasattr(info, "transaction_status"):
        import psycopg.pq

        return bool(info.transaction_status != psycopg.pq.TransactionStatus.IDLE)
    return bool(getattr(dbapi_connection, "in_transaction", True))  # sqlite3


@contextlib.contextmanager
def count_round_trips(engine: Engine) -> Iterator[RoundTrips]:
    trips = RoundTrips()
    postgres = engine.dialect.name == "postgresql"

    def on_execute(_conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, many: bool) -> None:
        text = " ".join(statement.split())
        trips.statements.append(("executemany: " if many else "") + text[:110])

    def on_begin(conn: Any) -> None:
        if postgres and not conn.connection.dbapi_connection.autocommit:
            trips.statements.append("BEGIN (sent by psycopg)")

    def on_commit(_conn: Any) -> None:
        trips.statements.append("COMMIT")

    def on_rollback(conn: Any) -> None:
        if _in_transaction(conn.connection.dbapi_connection):
            trips.statements.append("ROLLBACK")

    def on_reset(dbapi_connection: Any, _record: Any, _reset_state: Any) -> None:
        if _in_transaction(dbapi_connection):
            trips.statements.append("ROLLBACK (pool reset on return)")

    def on_connect(_dbapi_connection: Any, _record: Any) -> None:
        trips.connects += 1

    original_ping = engine.dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        trips.statements.append("SELECT 1 (pool pre-ping)")
        return bool(original_ping(dbapi_connection))

    listeners: list[tuple[Any, str, Any]] = [
        (engine, "before_cursor_execute", on_execute),
        (engine, "begin", on_begin),
        (engine, "commit", on_commit),
        (engine, "rollback", on_rollback),
        (engine.pool, "reset", on_reset),
        (engine.pool, "connect", on_connect),
    ]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        yield trips
    finally:
        del engine.dialect.do_ping
        for target, name, fn in listeners:
            event.remove(target, name, fn)
