"""HRIS connections of an organization: create, read, update, delete, and their JSON. Shared by the ATS API and
the CLI.

Credentials are validated against the system's credentials model, stored encrypted, and never answered: the
connection shows only which credential fields it holds.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretBytes, SecretStr, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hirebridge.connectors.base import Connector
from hirebridge.connectors.registry import CONNECTORS, display_name, is_known, known_systems, supported_systems
from hirebridge.db.types import iso
from hirebridge.errors import AppError, FieldError, NotFound, ValidationFailed
from hirebridge.hris.models import ACTIVE_PUSH_STATES, HrisConnection, HrisPush
from hirebridge.http import field_path, reason_for
from hirebridge.security import Cipher

MAX_CONNECTIONS_PER_ORGANIZATION = 50
MAX_JSON_BYTES = 16 * 1024
MAX_JSON_DEPTH = 5
MAX_RATE_PER_SECOND = 100.0


def invalid(field: str, reason: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, reason)], code="invalid_input")


def not_supported(system: str) -> AppError:
    return AppError(
        "hris_system_not_supported",
        f"{display_name(system)} ('{system}') is a known HRIS but hirebridge does not support it yet; "
        f"supported: {', '.join(supported_systems())}.",
    )


def resolve_system(value: str, field: str) -> type[Connector]:
    """The connector of an ``externalSystem``-style value: unknown values list the valid ones."""
    if not is_known(value):
        raise invalid(field, f"must be one of: {', '.join(known_systems())} (got an unknown value)")
    connector = CONNECTORS.get(value)
    if connector is None:
        raise not_supported(value)
    return connector


class ConnectionFields(BaseModel):
    """What a caller may set on a connection; shared by create and update (where everything is optional)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=255)
    baseUrl: str | None = Field(default=None, min_length=1, max_length=2048)
    credentials: dict[str, Any] | None = None
    integrationPartnerId: UUID | None = None
    requiresAcceptedOffer: bool | None = None
    rateLimitPerSecond: float | None = Field(default=None, gt=0, le=MAX_RATE_PER_SECOND)
    fieldMapping: dict[str, Any] | None = None
    settings: dict[str, Any] | None = None
    isEnabled: bool | None = None


class ConnectionCreate(ConnectionFields):
    system: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=255)
    credentials: dict[str, Any]


class ConnectionRef(BaseModel):
    hrisConnectionId: UUID = Field(validation_alias=AliasChoices("hrisConnectionId", "id"))


class ConnectionUpdate(ConnectionFields):
    hrisConnectionId: UUID = Field(validation_alias=AliasChoices("hrisConnectionId", "id"))


def _check_url(url: str, allow_private: bool) -> str:
    """A base URL the outbound guard will call (``egress.url_problem``), without query or fragment."""
    from urllib.parse import urlsplit

    from hirebridge.egress import url_problem

    problem = url_problem(url.strip(), allow_private=allow_private)
    if problem is not None:
        raise invalid("baseUrl", problem)
    parts = urlsplit(url.strip())
    if parts.query or parts.fragment:
        raise invalid("baseUrl", "must not have a query string or fragment")
    return url.strip().rstrip("/")


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _check_json(field: str, value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value)) > MAX_JSON_BYTES:
        raise invalid(field, f"is too large (at most {MAX_JSON_BYTES} bytes as JSON)")
    if _depth(value) > MAX_JSON_DEPTH:
        raise invalid(field, f"is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
    if any(not key or len(key) > 200 for key in value):
        raise invalid(field, "keys must be 1 to 200 characters")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, SecretBytes):
        return value.get_secret_value().decode()
    if isinstance(value, BaseModel):
        # Keyed as the API spells them (the aliases); the connectors read either spelling.
        return {field.alias or name: _plain(getattr(value, name)) for name, field in type(value).model_fields.items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _validated_credentials(info: type[Connector], credentials: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    _check_json("credentials", credentials)
    try:
        model = info.credentials_model.model_validate(credentials)
    except ValidationError as exc:
        # Reasons only, never the input: the input is a secret.
        fields = [FieldError(field_path(("credentials", *e["loc"])), reason_for(e)) for e in exc.errors()]
        raise ValidationFailed(fields, code="invalid_input") from None
    plain = {k: v for k, v in _plain(model).items() if v is not None}
    return plain, sorted(plain)


def _validated_settings(info: type[Connector] | None, settings: dict[str, Any]) -> dict[str, Any]:
    """Size and depth checked; checked field by field too when the connector declares a ``settings_model``."""
    _check_json("settings", settings)
    model: type[BaseModel] | None = getattr(info, "settings_model", None)
    if model is None:
        return settings
    try:
        model.model_validate(settings)
    except ValidationError as exc:
        fields = [FieldError(field_path(("settings", *e["loc"])), reason_for(e)) for e in exc.errors()]
        raise ValidationFailed(fields, code="invalid_input") from None
    return settings


def _duplicate(session: Session, organization_id: str, system: str, partner_id: str | None, skip: str | None) -> bool:
    query = select(HrisConnection.id).where(
        HrisConnection.organization_id == organization_id,
        HrisConnection.system == system,
        HrisConnection.integration_partner_id.is_(None)
        if partner_id is None
        else HrisConnection.integration_partner_id == partner_id,
    )
    if skip is not None:
        query = query.where(HrisConnection.id != skip)
    return session.scalars(query).first() is not None


def _duplicate_error(system: str, partner_id: str | None) -> AppError:
    partner = f" and integrationPartnerId {partner_id}" if partner_id else " without an integrationPartnerId"
    return AppError(
        "hris_connection_already_exists",
        f"This organization already has a {system} connection{partner}; update that one instead.",
        409,
    )


def create_connection(
    session: Session, cipher: Cipher, organization_id: str, data: ConnectionCreate, *, allow_private: bool = True
) -> HrisConnection:
    """``allow_private`` as for ``update_connection``."""
    info = resolve_system(data.system, "system")
    count = session.scalar(
        select(func.count()).select_from(HrisConnection).where(HrisConnection.organization_id == organization_id)
    )
    if (count or 0) >= MAX_CONNECTIONS_PER_ORGANIZATION:
        raise AppError(
            "hris_connection_limit_reached",
            f"An organization can have at most {MAX_CONNECTIONS_PER_ORGANIZATION} HRIS connections.",
        )
    partner_id = str(data.integrationPartnerId) if data.integrationPartnerId else None
    if _duplicate(session, organization_id, info.system, partner_id, None):
        raise _duplicate_error(info.system, partner_id)
    base_url = data.baseUrl or info.default_base_url
    if not base_url:
        raise invalid("baseUrl", f"is required for {info.system}")
    credentials, names = _validated_credentials(info, data.credentials)
    connection = HrisConnection(
        organization_id=organization_id,
        system=info.system,
        name=data.name.strip() or info.display_name,
        base_url=_check_url(base_url, allow_private),
        credentials_encrypted=cipher.encrypt_json(credentials),
        credential_fields=names,
        integration_partner_id=partner_id,
        is_self_serve=partner_id is not None,
        requires_accepted_offer=(
            info.requires_accepted_offer_default if data.requiresAcceptedOffer is None else data.requiresAcceptedOffer
        ),
        rate_limit_per_second=data.rateLimitPerSecond or info.rate_limit_default,
        field_mapping=_check_json("fieldMapping", data.fieldMapping or {}),
        settings=_validated_settings(info, data.settings or {}),
        is_enabled=True if data.isEnabled is None else data.isEnabled,
    )
    session.add(connection)
    session.flush()
    return connection


def get_connection(session: Session, organization_id: str, connection_id: str) -> HrisConnection:
    connection = session.get(HrisConnection, connection_id)
    if connection is None or connection.organization_id != organization_id:
        raise NotFound("HRIS connection not found.", code="hris_connection_not_found")
    return connection


def list_connections(session: Session, organization_id: str, system: str | None = None) -> list[HrisConnection]:
    query = select(HrisConnection).where(HrisConnection.organization_id == organization_id)
    if system is not None:
        query = query.where(HrisConnection.system == system)
    return list(session.scalars(query.order_by(HrisConnection.created_at, HrisConnection.id)))


def update_connection(
    session: Session, cipher: Cipher, organization_id: str, data: ConnectionUpdate, *, allow_private: bool = True
) -> HrisConnection:
    """``allow_private``: whether the base URL may be a private address (the API passes the service's setting;
    the operator's CLI may)."""
    connection = get_connection(session, organization_id, str(data.hrisConnectionId))
    info = CONNECTORS.get(connection.system)
    given = data.model_fields_set
    if "integrationPartnerId" in given:
        partner_id = str(data.integrationPartnerId) if data.integrationPartnerId else None
        if _duplicate(session, organization_id, connection.system, partner_id, connection.id):
            raise _duplicate_error(connection.system, partner_id)
        connection.integration_partner_id = partner_id
        connection.is_self_serve = partner_id is not None
    if data.name is not None:
        connection.name = data.name.strip() or connection.name
    if data.baseUrl is not None:
        connection.base_url = _check_url(data.baseUrl, allow_private)
    if data.credentials is not None:
        if info is None:
            raise not_supported(connection.system)
        credentials, names = _validated_credentials(info, data.credentials)
        connection.credentials_encrypted = cipher.encrypt_json(credentials)
        connection.credential_fields = names
    if data.requiresAcceptedOffer is not None:
        connection.requires_accepted_offer = data.requiresAcceptedOffer
    if data.rateLimitPerSecond is not None:
        connection.rate_limit_per_second = data.rateLimitPerSecond
    if data.fieldMapping is not None:
        connection.field_mapping = _check_json("fieldMapping", data.fieldMapping)
    if data.settings is not None:
        connection.settings = _validated_settings(info, data.settings)
    if data.isEnabled is not None:
        connection.is_enabled = data.isEnabled
    session.flush()
    return connection


def delete_connection(session: Session, organization_id: str, connection_id: str) -> HrisConnection:
    """Delete a connection and its push history; refused while a push through it is queued or running."""
    connection = get_connection(session, organization_id, connection_id)
    active = session.scalars(
        select(HrisPush.id).where(HrisPush.connection_id == connection.id, HrisPush.state.in_(ACTIVE_PUSH_STATES))
    ).first()
    if active is not None:
        raise AppError(
            "hris_connection_has_active_push",
            f"Push {active} through this connection is still queued or running; disable the connection "
            "(isEnabled: false) and delete it once the push has finished.",
            409,
        )
    session.delete(connection)
    session.flush()
    return connection


def connection_json(connection: HrisConnection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "system": connection.system,
        "systemName": display_name(connection.system),
        "name": connection.name,
        "baseUrl": connection.base_url,
        "credentialFields": list(connection.credential_fields or []),
        "integrationPartnerId": connection.integration_partner_id,
        "isSelfServe": connection.is_self_serve,
        "requiresAcceptedOffer": connection.requires_accepted_offer,
        "rateLimitPerSecond": connection.rate_limit_per_second,
        "fieldMapping": connection.field_mapping or {},
        "settings": connection.settings or {},
        "isEnabled": connection.is_enabled,
        "createdAt": iso(connection.created_at),
        "updatedAt": iso(connection.updated_at),
    }
