"""``hirebridge orgs configure``: partner-API settings of an organization.

``hirebridge.cli`` mounts it with ``register(orgs_app)`` (the command joins the ``orgs`` group); ``app`` is the
same command as a stand-alone Typer group.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from hirebridge.errors import AppError
from hirebridge.settings import MissingSecretError, Settings

app = typer.Typer(help="Partner API settings of an organization.", no_args_is_help=True)
console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Partner API settings of an organization."""


@app.command()
def configure(
    org_id: Annotated[str, typer.Argument(help="The organization's id.")],
    invitation_expiry_days: Annotated[
        int | None, typer.Option(help="Days a candidate's invitation link stays valid (1 to 92).")
    ] = None,
) -> None:
    """Change an organization's settings; prints the values in force."""
    from hirebridge.partner.settings_service import set_invitation_expiry_days
    from hirebridge.runtime import Runtime

    try:
        uuid.UUID(org_id)
    except ValueError:
        console.print(f"[bold red]error:[/] '{org_id}' is not an organization id (a UUID)")
        raise typer.Exit(code=2) from None
    if invitation_expiry_days is None:
        console.print("[bold red]error:[/] nothing to change; pass --invitation-expiry-days N")
        raise typer.Exit(code=2)
    try:
        runtime = Runtime.from_settings(Settings())
    except MissingSecretError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    try:
        with runtime.transaction() as session:
            organization = set_invitation_expiry_days(session, org_id, invitation_expiry_days)
            typer.echo(f"organization {organization.id}: invitation_expiry_days={organization.invitation_expiry_days}")
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=2) from None
    finally:
        runtime.close()


def register(parent: typer.Typer) -> None:
    """Add ``configure`` to ``parent`` (the ``hirebridge orgs`` group)."""
    parent.command("configure")(configure)
