"""`hirebridge pushes list|show|retry|cancel` and `hirebridge connections test`: the console's push operations on
the command line (``hris.operations``), with tables on standard output and messages on standard error.

``register(pushes_app, connections_app)`` adds the commands to the groups of ``hris.cli``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from hirebridge.errors import AppError
from hirebridge.hris.cli import _app_error, _fail, _organization_id, _runtime

out = Console(soft_wrap=False, highlight=False, markup=False)  # names and HRIS messages are data, not markup
err = Console(stderr=True, soft_wrap=True, highlight=False)

Org = Annotated[str, typer.Option("--org", help="Organization id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _uuid(value: str, name: str) -> str:
    try:
        return str(UUID(value))
    except ValueError:
        raise _fail(f"{name} must be an id (a UUID)") from None


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"{name} must be a date or time, e.g. 2026-11-30 or 2026-11-30T08:00:00Z") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _short(value: str | None, limit: int = 60) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if value is not None else ""


def _state(state: str, cancelled: bool, outcome_unknown: bool) -> str:
    shown = "cancelled (failed)" if cancelled else state
    return shown + (" - outcome unknown" if outcome_unknown else "")


def list_(
    org: Org,
    state: Annotated[str | None, typer.Option(help="queued, running, succeeded or failed.")] = None,
    hris: Annotated[str | None, typer.Option(help="Only this HRIS (bamboohr, bob, ...).")] = None,
    connection: Annotated[str | None, typer.Option(help="Only this connection id.")] = None,
    since: Annotated[str | None, typer.Option(help="Created at or after (ISO date/time, UTC).")] = None,
    until: Annotated[str | None, typer.Option(help="Created before (ISO date/time, UTC).")] = None,
    candidate: Annotated[str | None, typer.Option(help="Candidate id, or part of a name or email.")] = None,
    limit: Annotated[int, typer.Option(help="Pushes per page (1 to 200).")] = 50,
    cursor: Annotated[str | None, typer.Option(help="The next page, as the previous page said.")] = None,
    as_json: AsJson = False,
) -> None:
    """List an organization's pushes, newest first."""
    from hirebridge.hris.operations import list_pushes

    connection_id = _uuid(connection, "--connection") if connection is not None else None
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            page = list_pushes(
                session,
                _organization_id(session, org),
                state=state,
                hris=hris,
                connection_id=connection_id,
                since=_when(since, "--since"),
                until=_when(until, "--until"),
                candidate=candidate,
                limit=limit,
                cursor=cursor,
            )
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps({"pushes": [p.as_json() for p in page.items], "nextCursor": page.next_cursor}, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Push", no_wrap=True, min_width=36)
    for name in ("State", "HRIS", "Candidate", "Tries", "Created (UTC)"):
        table.add_column(name, overflow="fold")
    table.add_column("Message", overflow="fold", ratio=1)
    for push in page.items:
        table.add_row(
            push.id,
            "cancelled" if push.cancelled else push.state,
            push.system_name,
            _short(push.candidate_name, 30),
            str(push.attempts),
            _time(push.created_at),
            _short(push.message),
        )
    out.print(table)
    err.print(f"{len(page.items)} push(es)")
    if page.next_cursor:
        err.print(f"more: add --cursor {page.next_cursor}")


def show(
    org: Org,
    push_id: Annotated[str, typer.Argument(help="The push's id.")],
    as_json: AsJson = False,
) -> None:
    """Show a push: the hire, every attempt with the HRIS's answer, the payload sent (secrets redacted)."""
    from hirebridge.hris.operations import get_push

    push_uuid = _uuid(push_id, "PUSH_ID")
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            detail = get_push(session, _organization_id(session, org), push_uuid)
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(detail.as_json(), indent=2))
        return
    push = detail.push
    facts = Table.grid(padding=(0, 2))
    rows = [
        ("Push", push.id),
        (
            "State",
            ("cancelled (failed)" if push.cancelled else push.state) + (" - outcome unknown" * push.outcome_unknown),
        ),
        ("HRIS", f"{push.system_name}, connection {push.connection_name} ({push.connection_id})"),
        ("Candidate", f"{push.candidate_name} ({push.candidate_id})"),
        ("Application", push.application_id),
        ("Operation", push.operation or ""),
        ("Remote id", detail.remote_id or ""),
        ("Attempts", str(push.attempts)),
        ("Created", _time(push.created_at) + " UTC"),
        ("Finished", (_time(push.finished_at) + " UTC") if push.finished_at else ""),
        ("Message", push.message or ""),
    ]
    for name, value in rows:
        facts.add_row(Text(name, style="bold"), value)
    out.print(facts)
    attempts = Table("#", "Started (UTC)", "ms", "Outcome", "HTTP", title="Attempts", box=box.SIMPLE_HEAD)
    attempts.add_column("HRIS message", overflow="fold", ratio=1)
    for attempt in detail.attempts:
        attempts.add_row(
            str(attempt.number),
            _time(attempt.started_at),
            str(attempt.duration_ms if attempt.duration_ms is not None else ""),
            attempt.outcome or "running",
            str(attempt.http_status or ""),
            _short(attempt.message, 200),
        )
    out.print(attempts)
    if detail.payload is not None:
        sent = detail.payload
        out.print(f"Payload sent (attempt {sent['attempt']}): {sent['method']} {sent['url']} -> {sent['status']}")
        if isinstance(sent["body"], str):
            out.print(sent["body"])
        else:
            out.print_json(json.dumps(sent["body"]))


def retry(
    org: Org,
    push_id: Annotated[str | None, typer.Argument(help="The failed push to retry.")] = None,
    all_failed: Annotated[bool, typer.Option("--all-failed", help="Retry every failed hire of --connection.")] = False,
    connection: Annotated[str | None, typer.Option(help="The connection (with --all-failed).")] = None,
) -> None:
    """Retry a failed push (a new push; the failed one stays as it was), or with --all-failed --connection ID every
    hire whose latest push on that connection failed."""
    from hirebridge.hris.operations import retry_failed_for_connection, retry_push

    if all_failed == (push_id is not None):
        raise _fail("give either PUSH_ID or --all-failed --connection ID")
    if all_failed and connection is None:
        raise _fail("--all-failed needs --connection ID")
    runtime = _runtime()
    try:
        if push_id is not None:
            with runtime.transaction() as session:
                new = retry_push(session, _organization_id(session, org), _uuid(push_id, "PUSH_ID"))
            typer.echo(new.id)
            err.print(f"queued push {new.id} for {new.candidate_name} to {new.system_name}")
            return
        assert connection is not None
        connection_id = _uuid(connection, "--connection")
        with runtime.sessions() as session:
            organization_id = _organization_id(session, org)
        columns = (TextColumn("retrying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=False) as progress:
            task = progress.add_task("retry", total=None)

            def advance(done: int, total: int, _push: str, _error: str | None) -> None:
                progress.update(task, completed=done, total=total)

            result = retry_failed_for_connection(runtime.sessions, organization_id, connection_id, progress=advance)
            progress.update(task, total=max(result.total, 1), completed=max(result.total, 1))
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    for _failed, new_id in result.retried:
        typer.echo(new_id)
    for failed_id, reason in result.refused:
        err.print(f"not retried {failed_id}: {reason}", markup=False)
    err.print(f"{len(result.retried)} queued, {len(result.refused)} refused, of {result.total} failed")
    if result.refused:
        raise typer.Exit(code=1)


def cancel(
    org: Org,
    push_id: Annotated[str, typer.Argument(help="The queued push to cancel.")],
) -> None:
    """Cancel a queued push that no worker has taken yet (it becomes failed, and can be retried)."""
    from hirebridge.hris.operations import cancel_push

    push_uuid = _uuid(push_id, "PUSH_ID")
    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            cancelled = cancel_push(session, _organization_id(session, org), push_uuid, runtime=runtime)
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    err.print(f"cancelled push {cancelled.id}")


def check_connection(
    org: Org,
    connection_id: Annotated[str, typer.Argument(help="The connection's id.")],
    as_json: AsJson = False,
) -> None:
    """Make one harmless authenticated call to the connection's HRIS; exit 1 if it fails."""
    from hirebridge.hris import operations

    connection_uuid = _uuid(connection_id, "CONNECTION_ID")
    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            organization_id = _organization_id(session, org)
        result = operations.test_connection(runtime, organization_id, connection_uuid)
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2))
    else:
        verdict = "ok" if result.ok else f"failed ({result.category})"
        status = f"HTTP {result.http_status}" if result.http_status is not None else "no HTTP answer"
        out.print(Text(f"{verdict}: {status} in {result.latency_ms} ms", style="green" if result.ok else "bold red"))
        out.print(result.message)
    if not result.ok:
        raise typer.Exit(code=1)


def register(pushes_app: typer.Typer, connections_app: typer.Typer) -> None:
    """Add list, show, retry and cancel to ``hirebridge pushes`` and test to ``hirebridge connections``."""
    pushes_app.command("list")(list_)
    pushes_app.command("show")(show)
    pushes_app.command("retry")(retry)
    pushes_app.command("cancel")(cancel)
    connections_app.command("test")(check_connection)
