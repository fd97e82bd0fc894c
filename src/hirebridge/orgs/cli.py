"""`hirebridge keys create|list|revoke` (ATS API keys) and `hirebridge partner-clients create|list|rotate|revoke`
(partner API clients): the credential lifecycle of ``orgs.credentials`` on the command line.

A secret is printed once, on standard output, by the command that makes it (create, rotate); messages go to
standard error. Nothing is logged. ``register(keys_app, partner_clients_app)`` adds the commands to their groups.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Annotated
from uuid import UUID

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from hirebridge.clihelp import HelpGroup
from hirebridge.errors import AppError
from hirebridge.orgs.permissions import ALL_PERMISSIONS

out = Console(soft_wrap=False, highlight=False, markup=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

partner_clients_app = typer.Typer(
    cls=HelpGroup, help="Partner API clients (OAuth2 client credentials).", no_args_is_help=True
)

Org = Annotated[str, typer.Option("--org", help="Organization id.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


def app_error(error: AppError) -> typer.Exit:
    details = "".join(f"\n  {f.field}: {f.reason}" for f in error.fields)
    return fail(f"{error.code}: {error.message}{details}")


def organization_id(org: str) -> str:
    try:
        return str(UUID(org))
    except ValueError:
        raise fail("--org must be an organization id (a UUID)") from None


@contextlib.contextmanager
def database() -> Iterator[sessionmaker[Session]]:
    """Sessions on DATABASE_URL (migrated first); needs no secrets: credentials are stored as digests."""
    from hirebridge.db.engine import make_engine, make_session_factory
    from hirebridge.db.migrate import upgrade
    from hirebridge.settings import Settings

    url = Settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _permissions(values: list[str] | None, all_permissions: bool) -> list[str]:
    if all_permissions:
        if values:
            raise fail("give --permission or --all-permissions, not both")
        return list(ALL_PERMISSIONS)
    wanted = [p.strip() for value in values or [] for p in value.split(",") if p.strip()]
    if not wanted:
        raise fail(f"name the key's permissions with --permission (repeatable): {', '.join(ALL_PERMISSIONS)}")
    return wanted


def keys_create(
    org: Org,
    title: Annotated[str, typer.Option(help="A name for the key (who or what uses it).")],
    permission: Annotated[
        list[str] | None,
        typer.Option(help="A permission to grant (repeatable, or comma-separated), e.g. candidatesRead."),
    ] = None,
    all_permissions: Annotated[bool, typer.Option("--all-permissions", help="Grant every permission.")] = False,
    as_json: AsJson = False,
) -> None:
    """Create an ATS API key with chosen permissions; print it once."""
    from hirebridge.db.engine import transaction
    from hirebridge.orgs.credentials import create_api_key

    wanted = _permissions(permission, all_permissions)
    try:
        with database() as sessions, transaction(sessions) as session:
            issued = create_api_key(session, organization_id(org), title, wanted)
    except AppError as exc:
        raise app_error(exc) from None
    if as_json:
        typer.echo(json.dumps({**issued.info.as_json(), "key": issued.key}, indent=2))
        return
    err.print(f"Created API key {issued.info.id} ({', '.join(issued.info.permissions)}). Shown once; store it now.")
    typer.echo(issued.key)


def keys_list(
    org: Org,
    active_only: Annotated[bool, typer.Option("--active-only", help="Leave revoked keys out.")] = False,
    as_json: AsJson = False,
) -> None:
    """List an organization's ATS API keys (their first characters, never the keys)."""
    from hirebridge.orgs.credentials import list_api_keys

    try:
        with database() as sessions, sessions() as session:
            keys = list_api_keys(session, organization_id(org), include_revoked=not active_only)
    except AppError as exc:
        raise app_error(exc) from None
    if as_json:
        typer.echo(json.dumps([k.as_json() for k in keys], indent=2))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Key id", no_wrap=True, min_width=36)
    table.add_column("Title", overflow="fold")
    table.add_column("Permissions", overflow="fold", ratio=1)
    table.add_column("State", overflow="fold")
    for key in keys:
        state = "active" if key.is_active else f"revoked {(key.revoked_at or '')[:10]}".strip()
        table.add_row(key.id, key.title, " ".join(key.permissions), state)
    out.print(table)


def keys_revoke(org: Org, key_id: Annotated[str, typer.Argument(help="The key's id (from keys list).")]) -> None:
    """Revoke an ATS API key: its next call is refused."""
    from hirebridge.db.engine import transaction
    from hirebridge.orgs.credentials import revoke_api_key

    try:
        key_uuid = str(UUID(key_id))
    except ValueError:
        raise fail("KEY_ID must be a key id (a UUID, from keys list)") from None
    try:
        with database() as sessions, transaction(sessions) as session:
            revoked = revoke_api_key(session, organization_id(org), key_uuid)
    except AppError as exc:
        raise app_error(exc) from None
    err.print(f"revoked API key {revoked.id} ({revoked.prefix}…)")


@partner_clients_app.command("create")
def partner_clients_create(
    org: Org,
    name: Annotated[str, typer.Option(help="A name for the client.")] = "default",
    as_json: AsJson = False,
) -> None:
    """Create a partner API client; print its client id and secret (the secret once)."""
    from hirebridge.db.engine import transaction
    from hirebridge.orgs.credentials import create_partner_client

    try:
        with database() as sessions, transaction(sessions) as session:
            issued = create_partner_client(session, organization_id(org), name)
    except AppError as exc:
        raise app_error(exc) from None
    _print_secret(issued.info.client_id, issued.client_secret, as_json, "Created partner client")


@partner_clients_app.command("list")
def partner_clients_list(org: Org, as_json: AsJson = False) -> None:
    """List an organization's partner API clients (never their secrets)."""
    from hirebridge.orgs.credentials import list_partner_clients

    try:
        with database() as sessions, sessions() as session:
            clients = list_partner_clients(session, organization_id(org))
    except AppError as exc:
        raise app_error(exc) from None
    if as_json:
        typer.echo(json.dumps([c.as_json() for c in clients], indent=2))
        return
    table = Table("Client id", "Name", "Created (UTC)", "State", box=box.SIMPLE_HEAD, pad_edge=False)
    for client in clients:
        state = "active" if client.revoked_at is None else f"revoked {client.revoked_at:%Y-%m-%d}"
        table.add_row(client.client_id, client.name, f"{client.created_at:%Y-%m-%d %H:%M}", state)
    out.print(table)


@partner_clients_app.command("rotate")
def partner_clients_rotate(
    org: Org,
    client_id: Annotated[str, typer.Argument(help="The client id (hbc_...).")],
    as_json: AsJson = False,
) -> None:
    """Give a client a new secret; the old secret is refused from now on."""
    from hirebridge.db.engine import transaction
    from hirebridge.orgs.credentials import rotate_partner_client

    try:
        with database() as sessions, transaction(sessions) as session:
            issued = rotate_partner_client(session, organization_id(org), client_id)
    except AppError as exc:
        raise app_error(exc) from None
    _print_secret(issued.info.client_id, issued.client_secret, as_json, "New secret for partner client")
    if not as_json:
        err.print("Tokens issued before stay valid until they expire; revoke the client to cut them off.")


@partner_clients_app.command("revoke")
def partner_clients_revoke(
    org: Org,
    client_id: Annotated[str, typer.Argument(help="The client id (hbc_...).")],
) -> None:
    """Revoke a client: no new tokens, and the tokens it holds are refused."""
    from hirebridge.db.engine import transaction
    from hirebridge.orgs.credentials import revoke_partner_client

    try:
        with database() as sessions, transaction(sessions) as session:
            revoked = revoke_partner_client(session, organization_id(org), client_id)
    except AppError as exc:
        raise app_error(exc) from None
    err.print(f"revoked partner client {revoked.client_id}")


def _print_secret(client_id: str, secret: str, as_json: bool, what: str) -> None:
    if as_json:
        typer.echo(json.dumps({"client_id": client_id, "client_secret": secret}, indent=2))
        return
    err.print(f"{what} {client_id}. The secret is shown once; store it now.")
    typer.echo(f"client_id:     {client_id}")
    typer.echo(f"client_secret: {secret}")


def register(keys_app: typer.Typer) -> None:
    """Add create, list and revoke to ``hirebridge keys`` (beside ``generate``)."""
    keys_app.command("create")(keys_create)
    keys_app.command("list", short_help="List an organization's ATS API keys (never the keys).")(keys_list)
    keys_app.command("revoke")(keys_revoke)
