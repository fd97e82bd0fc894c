"""`hirebridge users create|reset-password`: the password comes from standard input (--password-stdin) or a prompt
with confirmation on a terminal, never from the command line; the user can then sign in with it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import termios
import time
import uuid

import pytest
from typer.testing import CliRunner, Result

from hirebridge.cli import app
from hirebridge.console.users import authenticate
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.hardening import sensitive
from tests.operations.support import HIREBRIDGE, clean_env


def hb(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, prog_name="hirebridge")


def _email() -> str:
    return f"ops.{uuid.uuid4().hex[:8]}@example.com"


def _signs_in(runtime: Runtime, email: str, password: str) -> bool:
    with runtime.transaction() as session:
        return authenticate(session, email, password) is not None


def test_create_and_reset_with_password_stdin(cli_env: None, runtime: Runtime, org: IssuedCredentials) -> None:
    email, first, second = _email(), "first password 123", "second password 456"
    sensitive.SENSITIVE.add("password", first)
    sensitive.SENSITIVE.add("password", second)

    created = hb("users", "create", "--org", org.organization_id, email, "--password-stdin", input=first + "\n")
    twice = hb("users", "create", "--org", org.organization_id, email, "--password-stdin", input=first + "\n")
    reset = hb("users", "reset-password", "--org", org.organization_id, email, "--password-stdin", input=second)

    assert created.exit_code == 0, created.output
    assert f"created console user {email}" in created.output
    assert first not in created.output
    assert twice.exit_code == 2
    assert "console_user_exists" in twice.output
    assert reset.exit_code == 0, reset.output
    assert not _signs_in(runtime, email, first)
    assert _signs_in(runtime, email, second)


@pytest.mark.parametrize(
    ("stdin", "says"),
    [("short\n", "password: must be at least 12 characters"), ("\n", "no password on standard input")],
)
def test_bad_passwords_are_refused(cli_env: None, org: IssuedCredentials, stdin: str, says: str) -> None:
    result = hb("users", "create", "--org", org.organization_id, _email(), "--password-stdin", input=stdin)
    assert result.exit_code == 2
    assert says in result.output


def test_there_is_no_password_option(cli_env: None, org: IssuedCredentials) -> None:
    result = hb("users", "create", "--org", org.organization_id, _email(), "--password", "on-the-command-line")
    assert result.exit_code == 2
    assert "No such option: --password" in result.output


def test_without_a_terminal_or_stdin_flag_it_says_how(cli_env: None, org: IssuedCredentials) -> None:
    result = hb("users", "create", "--org", org.organization_id, _email(), input="")
    assert result.exit_code == 2
    assert "--password-stdin" in result.output


def test_another_organizations_user_cannot_be_reset(cli_env: None, runtime: Runtime, org: IssuedCredentials) -> None:
    email = _email()
    hb("users", "create", "--org", org.organization_id, email, "--password-stdin", input="a long password 1\n")
    other = hb("orgs", "create", "Other", "--json")
    other_id = other.stdout.split('"organization_id": "')[1].split('"')[0]
    result = hb("users", "reset-password", "--org", other_id, email, "--password-stdin", input="a new password 22\n")
    assert result.exit_code == 2
    assert "console_user_not_found" in result.output
    assert _signs_in(runtime, email, "a long password 1")


def test_the_prompt_asks_twice_without_echo(settings: Settings, runtime: Runtime, org: IssuedCredentials) -> None:
    """The real command on a pseudo-terminal: the password typed is not echoed, and must be typed twice."""
    email, password = _email(), "typed at a prompt 789"
    sensitive.SENSITIVE.add("password", password)
    assert settings.encryption_key is not None
    env = clean_env(
        DATABASE_URL=settings.database_url,
        HIREBRIDGE_SECRET_KEY=runtime.signing_key,
        HIREBRIDGE_ENCRYPTION_KEY=settings.encryption_key.get_secret_value(),
    )
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [HIREBRIDGE, "users", "create", "--org", org.organization_id, email],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    try:
        seen = _answer(controller, [("Password:", password), ("Repeat for confirmation:", password)], process)
        assert process.wait(timeout=60) == 0, seen
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    assert password not in seen
    assert f"created console user {email}" in seen
    assert _signs_in(runtime, email, password)


def _answer(fd: int, script: list[tuple[str, str]], process: subprocess.Popen[bytes]) -> str:
    """Read the terminal until each prompt shows, then type its answer; everything shown, as text."""
    seen = ""
    deadline = time.monotonic() + 60
    steps = list(script)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096).decode(errors="replace")
            except OSError:  # the command ended and closed the terminal
                break
            seen += chunk
        echo_off = not termios.tcgetattr(fd)[3] & termios.ECHO  # typed before that, the prompt would discard it
        if steps and steps[0][0] in seen.rsplit("\n", 1)[-1] and echo_off:
            os.write(fd, (steps.pop(0)[1] + "\n").encode())
        if not steps and process.poll() is not None and not ready:
            break
    return seen
