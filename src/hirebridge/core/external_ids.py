"""Ids our records carry in other systems (Workday's job, candidate and application ids, an HRIS's record id).

One table, ``ExternalId``, unique per (organization, system, kind, external id): the database, not the code,
guarantees that one external id names one record, which is what makes concurrent intake of the same id safe.
Both API surfaces read these mappings; nothing keeps a private copy.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.core.models import ExternalId

WORKDAY = "workday"


def find_entity_id(session: Session, organization_id: str, system: str, kind: str, external_id: str) -> str | None:
    """Our id of the record that ``external_id`` names in ``system``, or None."""
    return session.scalar(
        select(ExternalId.entity_id).where(
            ExternalId.organization_id == organization_id,
            ExternalId.system == system,
            ExternalId.kind == kind,
            ExternalId.external_id == external_id,
        )
    )


def external_id_of(session: Session, organization_id: str, system: str, kind: str, entity_id: str) -> str | None:
    """The id ``system`` knows our record ``entity_id`` by (the first one recorded), or None."""
    return session.scalar(
        select(ExternalId.external_id)
        .where(
            ExternalId.organization_id == organization_id,
            ExternalId.system == system,
            ExternalId.kind == kind,
            ExternalId.entity_id == entity_id,
        )
        .order_by(ExternalId.created_at)
        .limit(1)
    )


def link(session: Session, organization_id: str, system: str, kind: str, external_id: str, entity_id: str) -> None:
    """Record the mapping and flush, so a concurrent writer of the same id fails here (IntegrityError)."""
    session.add(
        ExternalId(
            organization_id=organization_id,
            system=system,
            kind=kind,
            external_id=external_id,
            entity_id=entity_id,
        )
    )
    session.flush()
