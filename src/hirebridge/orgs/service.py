"""Creating organizations and issuing their credentials."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.errors import NotFound
from hirebridge.orgs.models import ApiKey, Organization, PartnerClient
from hirebridge.orgs.permissions import ALL_PERMISSIONS
from hirebridge.security import new_secret, sha256_hex


@dataclass(frozen=True)
class IssuedCredentials:
    """Shown once; only digests are stored."""

    organization_id: str
    organization_name: str
    client_id: str
    client_secret: str
    api_key: str

    def as_dict(self) -> dict[str, str]:
        return {
            "organization_id": self.organization_id,
            "organization_name": self.organization_name,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "api_key": self.api_key,
        }


def issue_partner_client(session: Session, organization: Organization, name: str = "default") -> tuple[str, str]:
    client_id = "hbc_" + new_secret(12)
    client_secret = new_secret(32)
    session.add(
        PartnerClient(
            organization_id=organization.id, client_id=client_id, secret_sha256=sha256_hex(client_secret), name=name
        )
    )
    return client_id, client_secret


def issue_api_key(
    session: Session, organization: Organization, title: str = "default", permissions: list[str] | None = None
) -> str:
    key = "hbk_" + new_secret(32)
    session.add(
        ApiKey(
            organization_id=organization.id,
            key_sha256=sha256_hex(key),
            key_prefix=key[:12],
            title=title,
            permissions=sorted(permissions if permissions is not None else ALL_PERMISSIONS),
        )
    )
    return key


def create_organization(session: Session, name: str, *, is_demo: bool = False) -> IssuedCredentials:
    organization = Organization(name=name, is_demo=is_demo)
    session.add(organization)
    session.flush()
    return _issue_all(session, organization)


def _issue_all(session: Session, organization: Organization) -> IssuedCredentials:
    client_id, client_secret = issue_partner_client(session, organization)
    api_key = issue_api_key(session, organization)
    session.flush()
    return IssuedCredentials(organization.id, organization.name, client_id, client_secret, api_key)


def demo_organization(session: Session, name: str = "Demo Org") -> IssuedCredentials:
    """The demo organization, with fresh credentials each start (the previous demo ones are revoked)."""
    organization = session.scalars(select(Organization).where(Organization.is_demo.is_(True))).first()
    if organization is None:
        return create_organization(session, name, is_demo=True)
    now = utcnow()
    session.execute(
        update(PartnerClient)
        .where(PartnerClient.organization_id == organization.id, PartnerClient.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.execute(update(ApiKey).where(ApiKey.organization_id == organization.id).values(is_active=False))
    return _issue_all(session, organization)


def get_organization(session: Session, organization_id: str) -> Organization:
    """The organization, or NotFound (``ORGANIZATION_NOT_FOUND``) naming the id: what the operator CLI reports."""
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"No organization with id '{organization_id}'.", code="ORGANIZATION_NOT_FOUND")
    return organization


def set_hris_push_enabled(session: Session, organization_id: str, enabled: bool) -> Organization:
    """Ashby's beta flag: whether ``candidate.pushToHris`` is open to this organization."""
    organization = get_organization(session, organization_id)
    organization.hris_push_enabled = enabled
    session.flush()
    return organization
