"""`hirebridge users create|reset-password`: console users of an organization (``console.users``).

The password never comes from the command line (it would sit in shell history and the process list): it is asked for
twice at a prompt that does not echo, or read from standard input with ``--password-stdin`` (its first line, the
line break removed), for scripts: ``printf '%s\\n' "$PW" | hirebridge users create ... --password-stdin``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hirebridge.clihelp import HelpGroup
from hirebridge.errors import AppError
from hirebridge.orgs.cli import app_error, database, err, fail, organization_id

app = typer.Typer(cls=HelpGroup, help="Console users (sign-in to /console).", no_args_is_help=True)

Org = Annotated[str, typer.Option("--org", help="Organization id.")]
Email = Annotated[str, typer.Argument(help="The user's email address (their sign-in name).")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input's first line.")
]
MAX_STDIN_CHARS = 4096


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline(MAX_STDIN_CHARS + 1)
        if len(line) > MAX_STDIN_CHARS:
            raise fail("the password on standard input is too long")
        password = line.rstrip("\r\n")
        if not password:
            raise fail("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise fail("no terminal to ask for the password; pass it on standard input with --password-stdin")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@app.command("create")
def create(org: Org, email: Email, password_stdin: PasswordStdin = False) -> None:
    """Create a console user; the password is asked for (twice) or read with --password-stdin."""
    from hirebridge.console.users import create_user
    from hirebridge.db.engine import transaction

    org_id = organization_id(org)
    password = _password(password_stdin)
    try:
        with database() as sessions, transaction(sessions) as session:
            user = create_user(session, org_id, email, password)
            user_email = user.email
    except AppError as exc:
        raise app_error(exc) from None
    err.print(f"created console user {user_email}", markup=False)


@app.command("reset-password")
def reset_password(org: Org, email: Email, password_stdin: PasswordStdin = False) -> None:
    """Set a console user's new password; their open sessions end."""
    from hirebridge.console.users import reset_password as reset
    from hirebridge.db.engine import transaction

    org_id = organization_id(org)
    password = _password(password_stdin)
    try:
        with database() as sessions, transaction(sessions) as session:
            user = reset(session, org_id, email, password)
            user_email = user.email
    except AppError as exc:
        raise app_error(exc) from None
    err.print(f"new password set for {user_email}; their sessions have ended", markup=False)
