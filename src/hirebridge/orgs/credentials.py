"""The credential lifecycle of an organization: ATS API keys and partner API clients, created, listed, rotated and
revoked (``hirebridge keys ...``, ``hirebridge partner-clients ...``, ``apiKey.create|list|revoke``).

Secrets are returned once, by the call that makes them, and stored only as SHA-256 digests; nothing here logs.

- An API key holds a chosen set of permissions (``orgs.permissions``). Through the API a key can grant only
  permissions its caller holds (``granted_by``). Revoking deactivates it at once (``api_key_deactivated`` on its next
  call); when it was revoked is kept in ``ApiKey.extra["revokedAt"]``. A key revokes itself only when asked to
  explicitly (``allow_self``): the API's ``revokeSelf``.
- Rotating a partner client gives it a new secret under the same ``client_id``: the old secret is refused from that
  moment. Access tokens already issued run out on their own (``HIREBRIDGE_ACCESS_TOKEN_TTL_SECONDS``, an hour by
  default); to cut those off too, revoke the client (a revoked client's tokens are refused at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.db.types import iso, utcnow
from hirebridge.errors import AppError, FieldError, NotFound, ValidationFailed
from hirebridge.orgs.models import ApiKey, PartnerClient
from hirebridge.orgs.permissions import ALL_PERMISSIONS
from hirebridge.orgs.service import get_organization, issue_api_key, issue_partner_client
from hirebridge.security import new_secret, sha256_hex

MAX_TITLE_CHARS = 255


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as it may be shown: never the key, only its first characters."""

    id: str
    prefix: str
    title: str
    permissions: list[str]
    is_active: bool
    created_at: datetime
    revoked_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "keyPrefix": self.prefix,
            "title": self.title,
            "permissions": self.permissions,
            "isActive": self.is_active,
            "createdAt": iso(self.created_at),
            "revokedAt": self.revoked_at,
        }


@dataclass(frozen=True)
class IssuedApiKey:
    info: ApiKeyInfo
    key: str  # shown once


@dataclass(frozen=True)
class PartnerClientInfo:
    id: str
    client_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clientId": self.client_id,
            "name": self.name,
            "createdAt": iso(self.created_at),
            "revokedAt": iso(self.revoked_at),
        }


@dataclass(frozen=True)
class IssuedPartnerSecret:
    info: PartnerClientInfo
    client_secret: str  # shown once


# -- ATS API keys ----------------------------------------------------------------------------------------------------


def check_permissions(permissions: list[str], *, granted_by: frozenset[str] | None = None) -> list[str]:
    """The permissions, de-duplicated and sorted; ValidationFailed naming ``permissions`` for an unknown one, none at
    all, or (``granted_by``) one the granting key does not hold."""
    wanted = sorted(set(permissions))
    if not wanted:
        raise _invalid("permissions", "must name at least one permission")
    unknown = [p for p in wanted if p not in ALL_PERMISSIONS]
    if unknown:
        raise _invalid(
            "permissions", f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(ALL_PERMISSIONS)}"
        )
    if granted_by is not None:
        beyond = [p for p in wanted if p not in granted_by]
        if beyond:
            raise _invalid("permissions", f"the calling key does not hold {', '.join(beyond)}, so it cannot grant it")
    return wanted


def create_api_key(
    session: Session,
    organization_id: str,
    title: str,
    permissions: list[str],
    *,
    granted_by: frozenset[str] | None = None,
) -> IssuedApiKey:
    """A new active key with exactly ``permissions``; the key itself is in the result only."""
    organization = get_organization(session, organization_id)
    title = _title(title)
    wanted = check_permissions(permissions, granted_by=granted_by)
    key = issue_api_key(session, organization, title=title, permissions=wanted)
    session.flush()
    row = session.scalars(select(ApiKey).where(ApiKey.key_sha256 == sha256_hex(key))).one()
    return IssuedApiKey(_key_info(row), key)


def list_api_keys(session: Session, organization_id: str, *, include_revoked: bool = True) -> list[ApiKeyInfo]:
    """The organization's keys, oldest first."""
    get_organization(session, organization_id)
    query = select(ApiKey).where(ApiKey.organization_id == organization_id)
    if not include_revoked:
        query = query.where(ApiKey.is_active.is_(True))
    return [_key_info(k) for k in session.scalars(query.order_by(ApiKey.created_at, ApiKey.id))]


def revoke_api_key(
    session: Session,
    organization_id: str,
    key_id: str,
    *,
    caller_key_id: str | None = None,
    allow_self: bool = False,
) -> ApiKeyInfo:
    """Deactivate the key (idempotent: a revoked key stays revoked, its first revocation time kept). A caller's own
    key (``caller_key_id``) is revoked only with ``allow_self``."""
    get_organization(session, organization_id)
    key = session.get(ApiKey, key_id, with_for_update=True)
    if key is None or key.organization_id != organization_id:
        raise NotFound("API key not found.", code="api_key_not_found")
    if key.id == caller_key_id and not allow_self:
        raise AppError(
            "api_key_revoke_self",
            "This is the key making the call; send revokeSelf: true to revoke it (later calls with it will fail).",
        )
    if key.is_active:
        key.is_active = False
        key.extra = {**(key.extra or {}), "revokedAt": iso(utcnow())}
        session.flush()
    return _key_info(key)


def _key_info(key: ApiKey) -> ApiKeyInfo:
    revoked = (key.extra or {}).get("revokedAt")
    return ApiKeyInfo(
        id=key.id,
        prefix=key.key_prefix,
        title=key.title,
        permissions=sorted(p for p in key.permissions or [] if isinstance(p, str)),
        is_active=key.is_active,
        created_at=key.created_at,
        revoked_at=str(revoked) if revoked and not key.is_active else None,
    )


# -- partner API clients ---------------------------------------------------------------------------------------------


def create_partner_client(session: Session, organization_id: str, name: str = "default") -> IssuedPartnerSecret:
    organization = get_organization(session, organization_id)
    client_id, secret = issue_partner_client(session, organization, _title(name, field="name"))
    session.flush()
    return IssuedPartnerSecret(_client_info(_client(session, organization_id, client_id)), secret)


def list_partner_clients(session: Session, organization_id: str) -> list[PartnerClientInfo]:
    get_organization(session, organization_id)
    rows = session.scalars(
        select(PartnerClient)
        .where(PartnerClient.organization_id == organization_id)
        .order_by(PartnerClient.created_at, PartnerClient.id)
    )
    return [_client_info(c) for c in rows]


def rotate_partner_client(session: Session, organization_id: str, client_id: str) -> IssuedPartnerSecret:
    """A new secret for an active client; the old one is refused from the commit on."""
    client = _client(session, organization_id, client_id, for_update=True)
    if client.revoked_at is not None:
        raise AppError("partner_client_revoked", "This client is revoked; create a new one instead.")
    secret = new_secret(32)
    client.secret_sha256 = sha256_hex(secret)
    client.updated_at = utcnow()
    session.flush()
    return IssuedPartnerSecret(_client_info(client), secret)


def revoke_partner_client(session: Session, organization_id: str, client_id: str) -> PartnerClientInfo:
    """No more tokens for the client, and the tokens it holds are refused (idempotent)."""
    client = _client(session, organization_id, client_id, for_update=True)
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        session.flush()
    return _client_info(client)


def _client(session: Session, organization_id: str, client_id: str, *, for_update: bool = False) -> PartnerClient:
    get_organization(session, organization_id)
    query = select(PartnerClient).where(
        PartnerClient.organization_id == organization_id, PartnerClient.client_id == client_id.strip()
    )
    client = session.scalars(query.with_for_update() if for_update else query).first()
    if client is None:
        raise NotFound("Partner client not found.", code="partner_client_not_found")
    return client


def _client_info(client: PartnerClient) -> PartnerClientInfo:
    return PartnerClientInfo(client.id, client.client_id, client.name, client.created_at, client.revoked_at)


def _title(value: str, *, field: str = "title") -> str:
    value = value.strip()
    if not value or len(value) > MAX_TITLE_CHARS:
        raise _invalid(field, f"must be 1 to {MAX_TITLE_CHARS} characters")
    return value


def _invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, reason)])
