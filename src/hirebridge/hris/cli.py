"""`hirebridge connections` and `hirebridge pushes`: HRIS connections and stuck pushes from the command line (same
rules as the API).

Credentials are never printed. Pass them as JSON, as ``@path/to/file.json``, or as ``-`` to read standard input
(keeps them out of shell history and the process list).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic import ValidationError
from rich.console import Console

from hirebridge.clihelp import HelpGroup
from hirebridge.errors import AppError
from hirebridge.runtime import Runtime
from hirebridge.settings import MissingSecretError, Settings

app = typer.Typer(cls=HelpGroup, help="HRIS connections of an organization.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _json_option(name: str, value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if value == "-":
        value = sys.stdin.read()
    elif value.startswith("@"):
        try:
            value = Path(value[1:]).read_text()
        except OSError as exc:
            raise _fail(f"{name}: cannot read {value[1:]}: {exc.strerror}") from None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise _fail(f"{name} is not valid JSON (at position {exc.pos})") from None
    if not isinstance(parsed, dict):
        raise _fail(f"{name} must be a JSON object")
    return parsed


def _app_error(error: AppError) -> typer.Exit:
    details = "".join(f"\n  {f.field}: {f.reason}" for f in error.fields)
    return _fail(f"{error.code}: {error.message}{details}")


def _runtime() -> Runtime:
    from hirebridge.db.migrate import upgrade

    settings = Settings()
    try:
        runtime = Runtime.from_settings(settings)  # checks the secrets before anything is written
    except MissingSecretError as exc:
        raise _fail(str(exc)) from None
    upgrade(settings.database_url)
    return runtime


def _organization_id(session: Any, org: str) -> str:
    from hirebridge.orgs.models import Organization

    try:
        org_id = str(UUID(org))
    except ValueError:
        raise _fail("--org must be an organization id (a UUID)") from None
    if session.get(Organization, org_id) is None:
        raise _fail(f"no organization {org_id}")
    return org_id


@app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    system: Annotated[str, typer.Option(help="The HRIS, as in externalSystem: bamboohr, bob.")],
    name: Annotated[str, typer.Option(help="A name for this connection.")],
    credentials: Annotated[str, typer.Option(help="JSON object, @file.json, or - for stdin.")],
    base_url: Annotated[str | None, typer.Option(help="The HRIS's base URL (default per system).")] = None,
    integration_partner_id: Annotated[str | None, typer.Option(help="Marks a SelfServe integration.")] = None,
    requires_accepted_offer: Annotated[
        bool | None, typer.Option(help="Refuse pushes without an accepted offer (default per system).")
    ] = None,
    rate_limit: Annotated[float | None, typer.Option(help="Calls per second to this HRIS.")] = None,
    field_mapping: Annotated[str | None, typer.Option(help="Field mapping overrides as a JSON object.")] = None,
    settings: Annotated[str | None, typer.Option(help="System settings as a JSON object (bob: defaultSite).")] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Create it disabled.")] = False,
) -> None:
    """Create a connection; print it as JSON (credential field names only)."""
    from hirebridge.hris.connections import ConnectionCreate, connection_json, create_connection
    from hirebridge.http import validation_failed

    raw: dict[str, Any] = {
        "system": system,
        "name": name,
        "credentials": _json_option("--credentials", credentials),
        "baseUrl": base_url,
        "integrationPartnerId": integration_partner_id,
        "requiresAcceptedOffer": requires_accepted_offer,
        "rateLimitPerSecond": rate_limit,
        "fieldMapping": _json_option("--field-mapping", field_mapping),
        "settings": _json_option("--settings", settings),
        "isEnabled": not disabled,
    }
    try:
        data = ConnectionCreate.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as exc:
        raise _app_error(validation_failed(exc)) from None
    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            connection = create_connection(session, runtime.cipher, _organization_id(session, org), data)
            answer = connection_json(connection)
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    typer.echo(json.dumps(answer, indent=2))


@app.command("list")
def list_(
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    system: Annotated[str | None, typer.Option(help="Only this system.")] = None,
) -> None:
    """List an organization's connections as JSON."""
    from hirebridge.hris.connections import connection_json, list_connections

    runtime = _runtime()
    try:
        with runtime.sessions() as session:
            rows = list_connections(session, _organization_id(session, org), system)
            answer = [connection_json(c) for c in rows]
    finally:
        runtime.close()
    typer.echo(json.dumps(answer, indent=2))


@app.command("enable")
def enable(
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    connection_id: Annotated[str, typer.Argument(help="Connection id.")],
    off: Annotated[bool, typer.Option("--off", help="Disable instead.")] = False,
) -> None:
    """Enable (or with --off disable) a connection."""
    from hirebridge.hris.connections import ConnectionUpdate, connection_json, update_connection

    try:
        data = ConnectionUpdate.model_validate({"hrisConnectionId": connection_id, "isEnabled": not off})
    except ValidationError:
        raise _fail("CONNECTION_ID must be a UUID") from None
    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            answer = connection_json(update_connection(session, runtime.cipher, _organization_id(session, org), data))
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    typer.echo(json.dumps(answer, indent=2))


pushes_app = typer.Typer(cls=HelpGroup, help="HRIS pushes that need an operator.", no_args_is_help=True)


@pushes_app.command("resolve")
def resolve(
    org: Annotated[str, typer.Option("--org", help="Organization id.")],
    push_id: Annotated[str, typer.Argument(help="The failed push whose create has an unknown outcome.")],
    remote_id: Annotated[
        str | None, typer.Option("--remote-id", help="The employee is in the HRIS under this id: link it.")
    ] = None,
    not_created: Annotated[
        bool, typer.Option("--not-created", help="The employee is not in the HRIS: the next push creates it.")
    ] = False,
) -> None:
    """Say what a lost create did, after looking in the HRIS; then retry the push (hrisPush.retry)."""
    from hirebridge.hris.resolve import resolve_unknown

    if (remote_id is None) == (not not_created):
        raise _fail("give exactly one of --remote-id ID (the employee exists) and --not-created")
    try:
        push_uuid = str(UUID(push_id))
    except ValueError:
        raise _fail("PUSH_ID must be a push id (a UUID)") from None
    runtime = _runtime()
    try:
        with runtime.transaction() as session:
            answer = resolve_unknown(session, _organization_id(session, org), push_uuid, remote_id).as_json()
    except AppError as exc:
        raise _app_error(exc) from None
    finally:
        runtime.close()
    typer.echo(json.dumps(answer, indent=2))
