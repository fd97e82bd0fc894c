"""Per-organization settings of the partner API: how long invitations stay valid."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hirebridge.assessments.invitations import MAX_EXPIRY_DAYS
from hirebridge.errors import FieldError, NotFound, ValidationFailed
from hirebridge.orgs.models import Organization


def set_invitation_expiry_days(session: Session, organization_id: str, days: int) -> Organization:
    """Invitations created from now on expire ``days`` after creation (1..92; Pulsifi's cap is three months)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(
            [FieldError("invitation_expiry_days", f"must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}")]
        )
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"No organization with id '{organization_id}'.", code="ORGANIZATION_NOT_FOUND")
    organization.invitation_expiry_days = days
    session.flush()
    return organization
