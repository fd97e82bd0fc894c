"""Console users: argon2 hashes stored (never the password), validation naming the field, reset ends sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hirebridge.console.models import ConsoleSession, ConsoleUser
from hirebridge.console.sessions import start_session
from hirebridge.console.users import authenticate, create_user, reset_password
from hirebridge.errors import AppError
from hirebridge.orgs.service import IssuedCredentials
from hirebridge.runtime import Runtime
from tests.console.helpers import new_email

PASSWORD = "correct horse battery"


def test_the_password_is_stored_as_an_argon2_hash(runtime: Runtime, org: IssuedCredentials) -> None:
    email = new_email()
    with runtime.transaction() as session:
        user = create_user(session, org.organization_id, email.upper(), PASSWORD)
        user_id = user.id
    with runtime.sessions() as session:
        stored = session.get_one(ConsoleUser, user_id)
        assert stored.email == email
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
    with runtime.transaction() as session:
        assert authenticate(session, email, PASSWORD) is not None
        assert authenticate(session, email, PASSWORD + "x") is None
        assert authenticate(session, "nobody@example.com", PASSWORD) is None


@pytest.mark.parametrize(
    ("email", "password", "field", "reason"),
    [
        ("not-an-email", PASSWORD, "email", "is not an email address"),
        ("", PASSWORD, "email", "is required"),
        (None, "short", "password", "must be at least 12 characters"),
        (None, " " * 12, "password", "must not be only spaces"),
    ],
)
def test_bad_input_names_the_field_and_the_reason(
    runtime: Runtime, org: IssuedCredentials, email: str | None, password: str, field: str, reason: str
) -> None:
    with runtime.transaction() as session, pytest.raises(AppError) as caught:
        create_user(session, org.organization_id, new_email() if email is None else email, password)
    assert [(f.field, f.reason) for f in caught.value.fields] == [(field, reason)]


def test_an_email_is_one_user(runtime: Runtime, org: IssuedCredentials) -> None:
    email = new_email()
    with runtime.transaction() as session:
        create_user(session, org.organization_id, email, PASSWORD)
    with runtime.transaction() as session, pytest.raises(AppError) as caught:
        create_user(session, org.organization_id, email, PASSWORD)
    assert (caught.value.code, caught.value.http_status) == ("console_user_exists", 409)


def test_reset_password_changes_the_hash_and_ends_sessions(runtime: Runtime, org: IssuedCredentials) -> None:
    email = new_email()
    with runtime.transaction() as session:
        user = create_user(session, org.organization_id, email, PASSWORD)
        start_session(session, user)
        user_id = user.id
    with runtime.transaction() as session:
        reset_password(session, org.organization_id, email, "another long password")
    with runtime.transaction() as session:
        assert authenticate(session, email, PASSWORD) is None
        assert authenticate(session, email, "another long password") is not None
        assert session.scalars(select(ConsoleSession).where(ConsoleSession.user_id == user_id)).first() is None
    with runtime.transaction() as session, pytest.raises(AppError) as caught:
        reset_password(session, "00000000-0000-0000-0000-000000000000", email, "another long password")
    assert caught.value.code == "console_user_not_found"
