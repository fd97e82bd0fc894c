"""`hirebridge keys create|list|revoke` and `hirebridge partner-clients create|list|rotate|revoke`, run as the real
command against the test database, with each credential then tried against the running service."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner, Result

from hirebridge.cli import app
from hirebridge.orgs.service import IssuedCredentials
from tests.hardening import sensitive


def hb(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"}, prog_name="hirebridge")


def _token(client: httpx.Client, client_id: str, secret: str) -> httpx.Response:
    return client.post("/partner/oauth2/token", json={"grant_type": "client_credentials"}, auth=(client_id, secret))


def test_a_key_with_chosen_permissions_works_until_revoked(
    cli_env: None, client: httpx.Client, org: IssuedCredentials
) -> None:
    created = hb("keys", "create", "--org", org.organization_id, "--title", "reports", "--permission", "jobsRead")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    sensitive.SENSITIVE.add("api key", key)
    assert key.startswith("hbk_")
    assert key not in created.stderr
    assert "Shown once" in created.stderr

    with httpx.Client(base_url=str(client.base_url), auth=(key, ""), timeout=30) as api:
        assert api.post("/job.list", json={}).json()["success"] is True
        assert api.post("/candidate.list", json={}).status_code == 403

        listed = json.loads(hb("keys", "list", "--org", org.organization_id, "--json").stdout)
        mine = next(k for k in listed if k["title"] == "reports")
        assert (mine["permissions"], mine["isActive"], mine["keyPrefix"]) == (["jobsRead"], True, key[:12])
        table = hb("keys", "list", "--org", org.organization_id)
        assert mine["id"] in table.stdout
        assert key not in table.stdout + json.dumps(listed)

        revoked = hb("keys", "revoke", "--org", org.organization_id, mine["id"])
        assert revoked.exit_code == 0, revoked.output
        assert api.post("/job.list", json={}).status_code == 403
    active = json.loads(hb("keys", "list", "--org", org.organization_id, "--json", "--active-only").stdout)
    assert mine["id"] not in {k["id"] for k in active}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--title", "x", "--permission", "jobRead"], "unknown permission(s) jobRead"),
        (["--title", "x"], "name the key's permissions with --permission"),
        (["--title", "x", "--permission", "jobsRead", "--all-permissions"], "not both"),
        (["--title", "", "--all-permissions"], "title: must be 1 to 255 characters"),
    ],
)
def test_bad_key_requests_say_what_to_fix(cli_env: None, org: IssuedCredentials, args: list[str], says: str) -> None:
    result = hb("keys", "create", "--org", org.organization_id, *args)
    assert result.exit_code == 2
    assert says in result.output
    assert result.stdout == ""


def test_keys_generate_still_needs_no_database(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = hb("keys", "generate")
    assert result.exit_code == 0, result.output
    assert "HIREBRIDGE_SECRET_KEY=" in result.stdout
    assert "database" not in result.stderr


def test_partner_client_rotate_and_revoke(cli_env: None, client: httpx.Client, org: IssuedCredentials) -> None:
    created = hb("partner-clients", "create", "--org", org.organization_id, "--name", "workday", "--json")
    assert created.exit_code == 0, created.output
    issued = json.loads(created.stdout)
    client_id, first = issued["client_id"], issued["client_secret"]
    sensitive.SENSITIVE.add("client secret", first)
    assert _token(client, client_id, first).status_code == 200
    held = _token(client, client_id, first).json()["access_token"]

    rotated = hb("partner-clients", "rotate", "--org", org.organization_id, client_id)
    assert rotated.exit_code == 0, rotated.output
    second = rotated.stdout.split("client_secret:")[1].strip()
    sensitive.SENSITIVE.add("client secret", second)
    assert second != first
    assert _token(client, client_id, first).status_code == 401
    assert _token(client, client_id, second).status_code == 200
    assert "until they expire" in rotated.stderr

    listed = hb("partner-clients", "list", "--org", org.organization_id)
    assert client_id in listed.stdout
    assert first not in listed.stdout
    assert second not in listed.stdout

    before = client.get("/partner/v1.0/workday/jobs/J-1", headers={"Authorization": f"Bearer {held}"})
    assert before.status_code == 404  # the token held from before the rotation still works (no such job)
    revoked = hb("partner-clients", "revoke", "--org", org.organization_id, client_id)
    assert revoked.exit_code == 0, revoked.output
    assert _token(client, client_id, second).status_code == 401
    jobs = client.get("/partner/v1.0/workday/jobs/J-1", headers={"Authorization": f"Bearer {held}"})
    assert jobs.status_code == 401  # a revoked client's tokens are refused at once
    again = hb("partner-clients", "rotate", "--org", org.organization_id, client_id)
    assert again.exit_code == 2
    assert "partner_client_revoked" in again.output


def test_another_organization_cannot_touch_a_client(cli_env: None, org: IssuedCredentials) -> None:
    other = json.loads(hb("orgs", "create", "Other", "--json").stdout)
    sensitive.SENSITIVE.add("client secret", other["client_secret"])
    sensitive.SENSITIVE.add("api key", other["api_key"])

    result = hb("partner-clients", "revoke", "--org", org.organization_id, other["client_id"])
    unknown_org = hb("keys", "list", "--org", "00000000-0000-4000-8000-000000000000")

    assert result.exit_code == 2
    assert "partner_client_not_found" in result.output
    assert unknown_org.exit_code == 2
    assert "ORGANIZATION_NOT_FOUND" in unknown_org.output
