"""Console users: create one, reset a password, check a sign-in. Shared by the console and the CLI.

Passwords are hashed with argon2id (argon2-cffi's defaults); a sign-in with an unknown email still spends one hash
verification, so the answer's timing does not tell which emails exist.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.console.models import ConsoleUser
from hirebridge.db.types import utcnow
from hirebridge.errors import Conflict, FieldError, NotFound, ValidationFailed
from hirebridge.orgs.models import Organization

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
MAX_EMAIL_LENGTH = 254
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _checked_email(email: str) -> str:
    value = normalize_email(email)
    if not value:
        raise ValidationFailed([FieldError("email", "is required")], code="invalid_input")
    if len(value) > MAX_EMAIL_LENGTH or not EMAIL.fullmatch(value):
        raise ValidationFailed([FieldError("email", "is not an email address")], code="invalid_input")
    return value


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            [FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")], code="invalid_input"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            [FieldError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")], code="invalid_input"
        )
    if not password.strip():
        raise ValidationFailed([FieldError("password", "must not be only spaces")], code="invalid_input")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(session: Session, organization_id: str, email: str, password: str) -> ConsoleUser:
    """A new console user of the organization. Errors: invalid_input (email, password), organization_not_found,
    console_user_exists (409)."""
    address = _checked_email(email)
    _checked_password(password)
    if session.get(Organization, organization_id) is None:
        raise NotFound("Organization not found.", code="organization_not_found")
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.email == address)) is not None:
        raise Conflict("A console user with this email already exists.", code="console_user_exists")
    user = ConsoleUser(
        organization_id=organization_id,
        email=address,
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, organization_id: str, email: str) -> ConsoleUser:
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.email == normalize_email(email)))
    if user is None or user.organization_id != organization_id:
        raise NotFound("No console user with this email in this organization.", code="console_user_not_found")
    return user


def reset_password(session: Session, organization_id: str, email: str, password: str) -> ConsoleUser:
    """Set a new password; every session of the user ends (they sign in again)."""
    from hirebridge.console.sessions import end_all_sessions

    _checked_password(password)
    user = get_user(session, organization_id, _checked_email(email))
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_all_sessions(session, user.id)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> ConsoleUser | None:
    """The user whose email and password these are, or None. Re-hashes an outdated hash on success."""
    address = normalize_email(email)
    if not address or len(address) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return None
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.email == address))
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_sign_in_at = utcnow()
    return user
