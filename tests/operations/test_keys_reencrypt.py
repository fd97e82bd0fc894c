"""`hirebridge keys reencrypt`: after it, the stored secrets are readable with the new encryption key alone, and a
value no listed key can read is reported, not lost. Runs on a database of its own: re-encrypting the shared test
database would lock the running service out of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from hirebridge.cli import app
from hirebridge.db.engine import make_engine, make_session_factory
from hirebridge.db.migrate import upgrade
from hirebridge.hris.connections import ConnectionCreate, create_connection
from hirebridge.hris.models import HrisConnection
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import create_organization
from hirebridge.security import Cipher, DecryptionError
from hirebridge.webhooks.models import WebhookSubscription
from tests.support.databases import fresh_database

OLD, NEW, OTHER = (Fernet.generate_key().decode() for _ in range(3))
SIGNING_KEY = Fernet.generate_key().decode()
CREDENTIALS = {"companyDomain": "acme", "apiKey": "reencrypt-test-api-key"}


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_database() as url:
        upgrade(url)
        yield url


def _seed(url: str) -> tuple[str, str]:
    """An organization with a connection, a webhook secret and write-back headers, all under OLD; and one connection
    whose credentials were written with a key the operator no longer has (OTHER)."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    old = Cipher([OLD])
    with sessions() as session, session.begin():
        org = create_organization(session, "Reencrypt Inc")
        organization = session.get(Organization, org.organization_id)
        assert organization is not None
        organization.result_writeback_headers_encrypted = old.encrypt_json({"X-Token": "writeback-secret"})
        data = ConnectionCreate(system="bamboohr", name="BambooHR", credentials=CREDENTIALS)
        connection = create_connection(session, old, org.organization_id, data)
        session.add(
            WebhookSubscription(
                organization_id=org.organization_id,
                surface="ats",
                name="hook",
                url="https://example.com/hook",
                events=[],
                secret_encrypted=old.encrypt_str("webhook-secret"),
            )
        )
        other_org = create_organization(session, "Lost key Inc")
        lost = create_connection(session, Cipher([OTHER]), other_org.organization_id, data)
        ids = (connection.id, lost.id)
    engine.dispose()
    return ids


def _invoke(url: str, keys: str):  # type: ignore[no-untyped-def]
    env = {"DATABASE_URL": url, "HIREBRIDGE_SECRET_KEY": SIGNING_KEY, "HIREBRIDGE_ENCRYPTION_KEY": keys}
    return CliRunner().invoke(app, ["keys", "reencrypt"], env=env)


def test_after_reencrypt_the_new_key_alone_reads_every_secret(database_url: str) -> None:
    connection_id, lost_id = _seed(database_url)

    result = _invoke(database_url, f"{NEW},{OLD}")

    # The connection written with a key nobody listed is reported and left as it was: exit 2, nothing lost.
    assert result.exit_code == 2, result.output
    assert "hris_connections.credentials_encrypted: 1" in result.output
    assert "Traceback" not in result.output
    assert "hris_connections.credentials_encrypted: 1 re-encrypted" in result.output
    assert "webhook_subscriptions.secret_encrypted: 1 re-encrypted" in result.output
    assert "organizations.result_writeback_headers_encrypted: 1 re-encrypted" in result.output

    engine = make_engine(database_url)
    new_only, old_only = Cipher([NEW]), Cipher([OLD])
    try:
        with make_session_factory(engine)() as session:
            connection = session.get(HrisConnection, connection_id)
            assert connection is not None
            assert new_only.decrypt_json(connection.credentials_encrypted) == CREDENTIALS
            with pytest.raises(DecryptionError):
                old_only.decrypt_json(connection.credentials_encrypted)
            hook = session.scalars(select(WebhookSubscription)).one()
            assert hook.secret_encrypted is not None
            assert new_only.decrypt_str(hook.secret_encrypted) == "webhook-secret"
            headers = session.scalars(
                select(Organization.result_writeback_headers_encrypted).where(
                    Organization.result_writeback_headers_encrypted.is_not(None)
                )
            ).one()
            assert new_only.decrypt_json(headers) == {"X-Token": "writeback-secret"}
            lost = session.get(HrisConnection, lost_id)
            assert lost is not None
            assert Cipher([OTHER]).decrypt_json(lost.credentials_encrypted) == CREDENTIALS  # untouched
    finally:
        engine.dispose()

    # Run again once the lost key is found and listed: every value now moves to NEW; repeating is harmless.
    again = _invoke(database_url, f"{NEW},{OTHER}")
    assert again.exit_code == 0, again.output
    assert "hris_connections.credentials_encrypted: 2 re-encrypted" in again.output
