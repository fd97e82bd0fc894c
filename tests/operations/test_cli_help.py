"""Every command's help reads well at 80 columns: no line is longer, and every option's name appears whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from hirebridge.cli import app


def _commands(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_every_command_is_covered() -> None:
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {
        "",
        "serve",
        "worker",
        "sandbox",
        "orgs create",
        "db migrate",
        "keys generate",
        "connections create",
    } <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) or "hirebridge" for p, _ in COMMANDS])
def test_help_fits_80_columns_with_whole_option_names(path: tuple[str, ...], command: object) -> None:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, prog_name="hirebridge")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Usage: hirebridge {' '.join(path)}".rstrip())
    too_long = [line for line in lines if len(line) > 80]
    assert too_long == []
    assert "…" not in result.output
    cut = [line for line in lines[1:] if line.rstrip().endswith("...")]  # a command's summary cut short by click
    assert cut == []
    for param in getattr(command, "params", []):
        for option in [*param.opts, *param.secondary_opts]:
            if option.startswith("-"):
                assert option in result.output, f"{option} is missing or cut"
