"""What the console tests share: unique emails, a console user of an organization."""

from __future__ import annotations

import uuid

from hirebridge.console.users import create_user
from hirebridge.runtime import Runtime
from tests.hardening import sensitive

PASSWORD = "console-password-0123"  # noqa: S105 (a test user's password)


def new_email() -> str:
    return f"operator.{uuid.uuid4().hex[:10]}@example.com"


def console_user(runtime: Runtime, organization_id: str, password: str = PASSWORD) -> str:
    """A console user of the organization; returns its email. The password is registered as sensitive."""
    email = new_email()
    with runtime.transaction() as session:
        create_user(session, organization_id, email, password)
    sensitive.SENSITIVE.add("console password", password)
    sensitive.SENSITIVE.add("email", email)
    return email
