"""``hirebridge orgs configure``: settings of an organization (partner API, and whether it may push to an HRIS).

``hirebridge.cli`` mounts it with ``register(orgs_app)`` (the command joins the ``orgs`` group); ``app`` is the
same command as a stand-alone Typer group.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from hirebridge.clihelp import HelpGroup
from hirebridge.errors import AppError
from hirebridge.settings import MissingSecretError, Settings

app = typer.Typer(cls=HelpGroup, help="Settings of an organization.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


@app.callback()
def _group() -> None:
    """Settings of an organization."""


@app.command()
def configure(
    org_id: Annotated[str, typer.Argument(help="The organization's id.")],
    invitation_expiry_days: Annotated[
        int | None, typer.Option(help="Days a candidate's invitation link stays valid (1 to 92).")
    ] = None,
    result_writeback_url: Annotated[
        str | None,
        typer.Option(help="Where completed assessments' scores are POSTed; 'none' turns the write-back off."),
    ] = None,
    result_writeback_header: Annotated[
        list[str] | None,
        typer.Option(
            help="A header for the write-back, 'Name: value' (repeatable; stored encrypted; replaces the stored ones)."
        ),
    ] = None,
    hris_push: Annotated[
        bool | None,
        typer.Option(
            "--hris-push/--no-hris-push", help="Open or close candidate.pushToHris (Ashby's beta flag; open by default)"
        ),
    ] = None,
) -> None:
    """Change an organization's settings; prints the values in force (never the header values)."""
    from hirebridge.delivery.webhook import redacted_url
    from hirebridge.orgs.models import Organization
    from hirebridge.orgs.service import set_hris_push_enabled
    from hirebridge.partner.settings_service import set_invitation_expiry_days, set_result_writeback
    from hirebridge.runtime import Runtime

    try:
        uuid.UUID(org_id)
    except ValueError:
        console.print(f"[bold red]error:[/] '{org_id}' is not an organization id (a UUID)")
        raise typer.Exit(code=2) from None
    if invitation_expiry_days is None and result_writeback_url is None and hris_push is None:
        console.print(
            "[bold red]error:[/] nothing to change; pass --invitation-expiry-days, --result-writeback-url "
            "or --hris-push/--no-hris-push"
        )
        raise typer.Exit(code=2)
    parsed: dict[str, str] = {}
    for header in result_writeback_header or []:
        name, sep, value = header.partition(":")
        if not sep:
            console.print("[bold red]error:[/] --result-writeback-header must look like 'Name: value'")
            raise typer.Exit(code=2)
        parsed[name.strip()] = value.strip()
    # No --result-writeback-header: the headers already stored stay (a new URL alone does not drop them).
    headers = parsed if result_writeback_header is not None else None
    try:
        runtime = Runtime.from_settings(Settings())
    except MissingSecretError as exc:
        console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    try:
        with runtime.transaction() as session:
            if invitation_expiry_days is not None:
                set_invitation_expiry_days(session, org_id, invitation_expiry_days)
            if result_writeback_url is not None:
                url = None if result_writeback_url.lower() == "none" else result_writeback_url
                set_result_writeback(session, runtime.cipher, org_id, url, headers)
            if hris_push is not None:
                set_hris_push_enabled(session, org_id, hris_push)
            organization = session.get_one(Organization, org_id)
            typer.echo(
                f"organization {organization.id}: invitation_expiry_days={organization.invitation_expiry_days} "
                f"result_writeback_url={redacted_url(organization.result_writeback_url or '') or 'none'} "
                f"hris_push={'on' if organization.hris_push_enabled else 'off'}"
            )
    except AppError as exc:
        console.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=2) from None
    finally:
        runtime.close()


def register(parent: typer.Typer) -> None:
    """Add ``configure`` to ``parent`` (the ``hirebridge orgs`` group)."""
    parent.command("configure")(configure)
