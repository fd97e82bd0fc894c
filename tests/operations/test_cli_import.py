"""`hirebridge candidates import FILE.csv --org ID --job ID`, run as the real command against the test database: rows
checked by candidate.create's rules and reported by line, column and reason; good rows imported once, however often
the file is imported; the candidates then seen through the ATS API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from hirebridge.cli import app
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.helpers import ats, make_candidate, make_job, results

__all__ = ["ats"]

GOOD_AND_BAD = """name,email,phone,city,country,notes
Ada Lovelace,ada@example.com,+44 20 7946 0000,London,UK,first
Bad Email,not-an-email,,,,
,nobody@example.com,,,,
No Key,,,,,
"Hopper, Grace",grace@example.com,,,,quoted
Too Many,tm@example.com,,,,,extra
Linus,linus@example.com,,Helsinki,Finland,
"""


def hb(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"}, prog_name="hirebridge")


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "candidates.csv"
    path.write_text(GOOD_AND_BAD)
    return path


def _applications(ats: httpx.Client, job_id: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = results(ats, "application.list", {"jobId": job_id})
    return found


def test_import_reports_bad_rows_and_a_rerun_creates_nothing(
    cli_env: None, ats: httpx.Client, org: IssuedCredentials, csv_file: Path
) -> None:
    job = make_job(ats, "Engineer")

    first = hb("candidates", "import", str(csv_file), "--org", org.organization_id, "--job", job["id"])
    second = hb("candidates", "import", str(csv_file), "--org", org.organization_id, "--job", job["id"])

    assert first.exit_code == 1, first.output  # some rows were refused; the others are in
    for line, column, reason in [
        ("3", "email", "must be an email address"),
        ("4", "name", "is required"),
        ("5", "email", "is required unless external_id is given"),
        ("7", "row", "has more values than the header has columns"),
    ]:
        assert any(
            cells[:2] == [line, column] and reason in " ".join(cells[2:])
            for cells in (row.strip("│ ").split("│") for row in first.stderr.splitlines())
            for cells in [[c.strip() for c in cells]]
        ), (line, column, first.stderr)
    assert "ignored columns: notes" in first.stderr
    assert "3 created, 0 existing candidates applied, 0 already imported, 4 refused" in first.stderr
    assert "7/7" in first.stderr  # the progress bar's count
    assert second.exit_code == 1
    assert "0 created, 0 existing candidates applied, 3 already imported, 4 refused" in second.stderr
    applications = _applications(ats, job["id"])
    assert len(applications) == 3
    people = {results(ats, "candidate.info", {"id": a["candidate"]["id"]})["name"] for a in applications}
    assert people == {"Ada Lovelace", "Hopper, Grace", "Linus"}
    ada = results(ats, "candidate.search", {"email": "ada@example.com"})
    assert len(ada) == 1
    assert ada[0]["phoneNumbers"][0]["value"] == "+44 20 7946 0000"


def test_an_existing_candidate_is_applied_not_copied(
    cli_env: None, ats: httpx.Client, org: IssuedCredentials, tmp_path: Path
) -> None:
    person = make_candidate(ats, "Existing Person", email="existing@example.com")
    job = make_job(ats, "Analyst")
    path = tmp_path / "one.csv"
    path.write_text("Name,Email,External ID\nExisting Person,EXISTING@example.com,\nKeyed,,K-1\n")

    result = hb("candidates", "import", str(path), "--org", org.organization_id, "--job", job["id"])
    again = hb("candidates", "import", str(path), "--org", org.organization_id, "--job", job["id"])

    assert result.exit_code == 0, result.output
    assert "1 created, 1 existing candidates applied, 0 already imported, 0 refused" in result.stderr
    assert again.exit_code == 0, again.output
    assert "0 created, 0 existing candidates applied, 2 already imported, 0 refused" in again.stderr
    assert len(results(ats, "candidate.search", {"email": "existing@example.com"})) == 1
    applied = {a["candidate"]["id"] for a in _applications(ats, job["id"])}
    assert person["id"] in applied
    assert len(applied) == 2


def test_the_job_must_be_the_organizations_and_open(
    cli_env: None, ats: httpx.Client, runtime: Runtime, org: IssuedCredentials, csv_file: Path
) -> None:
    closed = make_job(ats, "Closed")
    results(ats, "job.setStatus", {"jobId": closed["id"], "status": "Closed"})
    open_job = make_job(ats, "Open")
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org").organization_id

    refused = hb("candidates", "import", str(csv_file), "--org", org.organization_id, "--job", closed["id"])
    foreign = hb("candidates", "import", str(csv_file), "--org", other, "--job", open_job["id"])

    assert refused.exit_code == 2
    assert "job_not_open" in refused.output
    assert foreign.exit_code == 2
    assert "job_not_found" in foreign.output
    assert _applications(ats, closed["id"]) == []
    assert _applications(ats, open_job["id"]) == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "the file is empty"),
        (b"email,phone\na@example.com,1\n", "include 'name'"),
        (b"name,email\n\xff\xfe,x\n", "not UTF-8"),
    ],
)
def test_unusable_files_import_nothing(
    cli_env: None, ats: httpx.Client, org: IssuedCredentials, tmp_path: Path, content: bytes, says: str
) -> None:
    job = make_job(ats, "Files")
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    result = hb("candidates", "import", str(path), "--org", org.organization_id, "--job", job["id"])

    assert result.exit_code == 2
    assert says in result.output
    assert _applications(ats, job["id"]) == []
