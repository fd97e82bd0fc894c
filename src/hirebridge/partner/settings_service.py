"""Per-organization settings of the partner API: how long invitations stay valid, where results are written back."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from hirebridge.assessments.invitations import MAX_EXPIRY_DAYS
from hirebridge.egress import url_problem
from hirebridge.errors import FieldError, ValidationFailed
from hirebridge.orgs.models import Organization
from hirebridge.orgs.service import get_organization
from hirebridge.security import Cipher

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$")


def set_invitation_expiry_days(session: Session, organization_id: str, days: int) -> Organization:
    """Invitations created from now on expire ``days`` after creation (1..92; Pulsifi's cap is three months)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(
            [FieldError("invitation_expiry_days", f"must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}")]
        )
    organization = get_organization(session, organization_id)
    organization.invitation_expiry_days = days
    session.flush()
    return organization


MAX_WRITEBACK_HEADERS = 20


def set_result_writeback(
    session: Session,
    cipher: Cipher,
    organization_id: str,
    url: str | None,
    headers: dict[str, str] | None = None,
    *,
    allow_private: bool = True,
) -> Organization:
    """Where completed assessments' scores are POSTed (Pulsifi: "Workday to provide the upsert endpoint"), with
    headers the endpoint needs (credentials: stored encrypted). ``url=None`` turns the write-back off;
    ``headers=None`` keeps the headers already stored, ``{}`` removes them. The URL must be one the outbound guard
    calls (``egress.url_problem``); ``allow_private`` as the service's setting says (the operator's CLI may)."""
    if url is not None:
        problem = "is longer than 2048 characters" if len(url) > 2048 else url_problem(url, allow_private=allow_private)
        if problem is not None:
            raise ValidationFailed([FieldError("result_writeback_url", problem)])
    keep_headers = headers is None
    headers = dict(headers or {})
    bad = [name for name, value in headers.items() if not _HEADER_NAME.match(name) or "\n" in value or "\r" in value]
    if bad or len(headers) > MAX_WRITEBACK_HEADERS:
        raise ValidationFailed(
            [
                FieldError(
                    "result_writeback_headers",
                    f"need valid names and one-line values (at most {MAX_WRITEBACK_HEADERS})",
                )
            ]
        )
    organization = get_organization(session, organization_id)
    organization.result_writeback_url = url
    if url is None:
        organization.result_writeback_headers_encrypted = None
    elif not keep_headers:
        organization.result_writeback_headers_encrypted = cipher.encrypt_json(headers) if headers else None
    session.flush()
    return organization
