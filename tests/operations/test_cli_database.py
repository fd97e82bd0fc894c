"""The command line names the database it uses on one stderr line and, outside `serve` and `db`, refuses to make a new,
empty SQLite database in whatever directory it is run from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hirebridge.settings import Settings
from tests.operations.support import clean_env, run


@pytest.mark.parametrize(
    ("command", "env"),
    [
        (["orgs", "create", "Acme"], {}),
        (["connections", "list", "--org", "x"], {"HIREBRIDGE_DEMO": "true"}),  # demo keys are not made either
        (["worker"], {"HIREBRIDGE_DEMO": "true"}),
    ],
)
def test_a_command_run_where_there_is_no_database_refuses_and_says_how_to_point_at_one(
    tmp_path: Path, command: list[str], env: dict[str, str]
) -> None:
    result = run(command, tmp_path, clean_env(**env))

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == f"hirebridge: database SQLite {tmp_path.resolve() / 'hirebridge.db'}"
    assert f"no hirebridge database at {tmp_path.resolve() / 'hirebridge.db'}" in result.stderr
    assert "DATABASE_URL=sqlite:////" in result.stderr
    assert "hirebridge db migrate" in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no keys directory


def test_db_migrate_creates_it_and_other_directories_reach_it_through_database_url(tmp_path: Path) -> None:
    home, elsewhere = tmp_path / "service", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    database = home.resolve() / "hirebridge.db"

    migrated = run(["db", "migrate"], home, clean_env())
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stderr.splitlines()[0] == f"hirebridge: database SQLite {database}"
    assert database.exists()

    here = run(["orgs", "create", "Acme", "--json"], home, clean_env())
    assert here.returncode == 0, here.stderr
    assert json.loads(here.stdout)["organization_name"] == "Acme"

    there = run(["orgs", "create", "Beta", "--json"], elsewhere, clean_env(DATABASE_URL=f"sqlite:///{database}"))
    assert there.returncode == 0, there.stderr
    assert there.stderr.splitlines() == [f"hirebridge: database SQLite {database}"]
    assert json.loads(there.stdout)["organization_name"] == "Beta"
    assert list(elsewhere.iterdir()) == []


def test_the_line_names_the_configured_database_without_its_password(tmp_path: Path, settings: Settings) -> None:
    result = run(["orgs", "create", "Gamma", "--json"], tmp_path, clean_env(DATABASE_URL=settings.database_url))

    assert result.returncode == 0, result.stderr
    line = result.stderr.splitlines()[0]
    assert line.startswith("hirebridge: database ")
    if settings.is_sqlite:
        assert line.endswith(str(Path(settings.database_url.removeprefix("sqlite:///")).resolve()))
    else:
        assert line.startswith("hirebridge: database PostgreSQL ")
        assert "@" not in line
