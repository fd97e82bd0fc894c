"""The command line refuses to run without usable secrets, says why on one line, and writes nothing first."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from hirebridge.cli import app


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "HIREBRIDGE_DATABASE_URL", "HIREBRIDGE_SECRET_KEY", "HIREBRIDGE_ENCRYPTION_KEY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"HIREBRIDGE_SECRET_KEY": "s" * 40}, "HIREBRIDGE_ENCRYPTION_KEY is not set"),
        ({"HIREBRIDGE_SECRET_KEY": "s" * 40, "HIREBRIDGE_ENCRYPTION_KEY": "not-a-key"}, "key 1 of 1 is not a Fernet"),
        (
            {"HIREBRIDGE_SECRET_KEY": "s" * 40, "HIREBRIDGE_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},nope"},
            "key 2 of 2 is not a Fernet",
        ),
        ({"HIREBRIDGE_ENCRYPTION_KEY": Fernet.generate_key().decode()}, "HIREBRIDGE_SECRET_KEY is not set"),
    ],
)
@pytest.mark.parametrize("command", [["serve"], ["worker"], ["connections", "list", "--org", "x"]])
def test_missing_or_bad_secrets_stop_the_command_before_any_database_is_made(
    workdir: Path, environment: dict[str, str], expected: str, command: list[str]
) -> None:
    result = CliRunner().invoke(app, command, env=environment)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "hirebridge.db").exists()
