"""Invitation expiry per organization: the service function, its CLI, and its effect on new invitations."""

from __future__ import annotations

from datetime import datetime

import pytest
from typer.testing import CliRunner

from hirebridge.errors import NotFound, ValidationFailed
from hirebridge.orgs.models import Organization
from hirebridge.partner.cli import app as partner_cli
from hirebridge.partner.settings_service import set_invitation_expiry_days
from hirebridge.runtime import Runtime
from tests.conftest import PartnerSession
from tests.partner.helpers import invite


def _days(answer: dict[str, str]) -> int:
    created = datetime.strptime(answer["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    expires = datetime.strptime(answer["invitation_expired_at"], "%Y-%m-%dT%H:%M:%SZ")
    return round((expires - created).total_seconds() / 86400)


def test_expiry_days_apply_to_new_invitations(partner: PartnerSession, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        set_invitation_expiry_days(session, partner.credentials.organization_id, 7)
    assert _days(invite(partner)) == 7
    with runtime.transaction() as session:
        set_invitation_expiry_days(session, partner.credentials.organization_id, 92)
    assert _days(invite(partner)) == 92


def test_a_stored_value_beyond_three_months_is_capped(partner: PartnerSession, runtime: Runtime) -> None:
    with runtime.transaction() as session:
        session.get_one(Organization, partner.credentials.organization_id).invitation_expiry_days = 400
    assert _days(invite(partner)) == 92


@pytest.mark.parametrize("days", [0, -1, 93, 365])
def test_out_of_range_days_are_refused(partner: PartnerSession, runtime: Runtime, days: int) -> None:
    with pytest.raises(ValidationFailed) as caught, runtime.transaction() as session:
        set_invitation_expiry_days(session, partner.credentials.organization_id, days)
    assert caught.value.fields[0].field == "invitation_expiry_days"
    assert "1 to 92" in caught.value.fields[0].reason


def test_unknown_organization(runtime: Runtime) -> None:
    with pytest.raises(NotFound), runtime.transaction() as session:
        set_invitation_expiry_days(session, "00000000-0000-4000-8000-000000000000", 10)


@pytest.mark.usefixtures("cli_env")
def test_cli_configure(partner: PartnerSession) -> None:
    org_id = partner.credentials.organization_id
    runner = CliRunner()
    ok = runner.invoke(partner_cli, ["configure", org_id, "--invitation-expiry-days", "14"])
    assert ok.exit_code == 0, ok.output
    assert "invitation_expiry_days=14" in ok.output
    assert _days(invite(partner)) == 14
    refused = runner.invoke(partner_cli, ["configure", org_id, "--invitation-expiry-days", "100"])
    assert refused.exit_code == 2
    assert "1 to 92" in refused.output
    not_an_id = runner.invoke(partner_cli, ["configure", "acme", "--invitation-expiry-days", "10"])
    assert not_an_id.exit_code == 2


def test_cli_registers_into_a_parent_group() -> None:
    import typer

    from hirebridge.partner.cli import register

    parent = typer.Typer()

    @parent.command()
    def other() -> None:
        """Another command of the group."""

    register(parent)
    result = CliRunner().invoke(parent, ["configure", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--invitation-expiry-days" in result.output


@pytest.mark.usefixtures("cli_env")
def test_cli_sets_and_clears_the_result_writeback(partner: PartnerSession, runtime: Runtime) -> None:
    org_id = partner.credentials.organization_id
    runner = CliRunner()
    result = runner.invoke(
        partner_cli,
        [
            "configure", org_id,
            "--result-writeback-url", "https://wd.example.com/upsert?token=abc",
            "--result-writeback-header", "Authorization: Bearer secret-value",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "secret-value" not in result.output
    assert "token=abc" not in result.output
    with runtime.transaction() as session:
        organization = session.get_one(Organization, org_id)
        assert organization.result_writeback_url == "https://wd.example.com/upsert?token=abc"
        assert organization.result_writeback_headers_encrypted is not None
        headers = runtime.cipher.decrypt_json(organization.result_writeback_headers_encrypted)
        assert headers == {"Authorization": "Bearer secret-value"}
    moved = runner.invoke(partner_cli, ["configure", org_id, "--result-writeback-url", "https://wd.example.com/v2"])
    assert moved.exit_code == 0, moved.output
    with runtime.transaction() as session:
        organization = session.get_one(Organization, org_id)
        assert organization.result_writeback_url == "https://wd.example.com/v2"
        assert organization.result_writeback_headers_encrypted is not None  # a new URL alone keeps the headers
        headers = runtime.cipher.decrypt_json(organization.result_writeback_headers_encrypted)
        assert headers == {"Authorization": "Bearer secret-value"}
    assert runner.invoke(partner_cli, ["configure", org_id, "--result-writeback-url", "none"]).exit_code == 0
    with runtime.transaction() as session:
        organization = session.get_one(Organization, org_id)
        assert (organization.result_writeback_url, organization.result_writeback_headers_encrypted) == (None, None)
    refused = runner.invoke(partner_cli, ["configure", org_id, "--result-writeback-url", "ftp://x"])
    assert refused.exit_code == 2
    assert "http(s)" in refused.output
