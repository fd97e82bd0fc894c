"""API-key authentication for the ATS API, as Ashby documents it.

HTTP Basic with the API key as the username and an empty password (``curl -u API_KEY:``). Ashby answers:

- no key (no ``Authorization`` header, or one that is not Basic credentials): **401**, code ``unauthenticated``;
- a wrong key: **403**, code ``invalid_api_key``; a deactivated key: **403**, code ``api_key_deactivated``
  (Ashby documents only the statuses and that each case gets its own human-readable message; the codes are ours);
- a key without the endpoint's permission: **403**, code ``missing_endpoint_permission`` (Ashby's code), with the
  permission named in the message and in ``errorInfo.meta.permission``.

Keys are stored as SHA-256 digests (``orgs.models.ApiKey.key_sha256``), so a key is found by its digest.
Usage: ``caller: ApiCaller = Depends(require("candidatesRead"))``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import select

from hirebridge.authlimit import KEY_PREFIX_CHARS, client_address, limiter, too_many_failures
from hirebridge.errors import AppError
from hirebridge.orgs.models import ApiKey
from hirebridge.orgs.permissions import ALL_PERMISSIONS
from hirebridge.security import sha256_hex
from hirebridge.web import get_runtime

MAX_AUTHORIZATION_CHARS = 1024
MAX_KEY_CHARS = 255


@dataclass(frozen=True)
class ApiCaller:
    """Who is calling: the organization whose data the call may see and the key acting for it."""

    organization_id: str
    api_key_id: str
    permissions: frozenset[str]


def unauthenticated(message: str) -> AppError:
    return AppError("unauthenticated", message, 401)


def invalid_api_key() -> AppError:
    return AppError("invalid_api_key", "The API key is not valid.", 403)


def api_key_deactivated() -> AppError:
    return AppError("api_key_deactivated", "The API key has been deactivated.", 403)


def missing_permission(permission: str) -> AppError:
    return AppError(
        "missing_endpoint_permission",
        f"The API key lacks the '{permission}' permission this endpoint requires.",
        403,
        meta={"permission": permission},
    )


def api_key_from_header(header: str | None) -> str:
    """The key from ``Authorization: Basic base64(key:)``; 401 when there is none."""
    if not header:
        raise unauthenticated("An API key is required: HTTP Basic auth with the key as username, empty password.")
    if len(header) > MAX_AUTHORIZATION_CHARS:
        raise unauthenticated("The Authorization header is too long.")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise unauthenticated("The Authorization header must be 'Basic base64(<api key>:)'.")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated("The Basic credentials are not valid base64 of '<api key>:'.") from None
    key = decoded.partition(":")[0]
    if not key:
        raise unauthenticated("The API key (the Basic auth username) is empty.")
    return key


def authenticate(request: Request) -> ApiCaller:
    """The caller behind the request's API key, whatever its permissions."""
    key = api_key_from_header(request.headers.get("authorization"))
    runtime = get_runtime(request)
    failures, address, prefix = limiter(runtime), client_address(request), key[:KEY_PREFIX_CHARS]
    if (wait := failures.blocked_for(prefix, address)) is not None:
        raise too_many_failures("too_many_failed_attempts", wait)
    if len(key) > MAX_KEY_CHARS:
        failures.failed(prefix, address)
        raise invalid_api_key()
    with runtime.autocommit() as connection:  # one statement, one round trip
        row = connection.execute(
            select(ApiKey.id, ApiKey.organization_id, ApiKey.permissions, ApiKey.is_active).where(
                ApiKey.key_sha256 == sha256_hex(key)
            )
        ).first()
    if row is None or not row.is_active:
        failures.failed(prefix, address)
        raise invalid_api_key() if row is None else api_key_deactivated()
    permissions = frozenset(p for p in (row.permissions or []) if isinstance(p, str))
    request.state.organization_id = row.organization_id  # for the request's log line
    return ApiCaller(organization_id=row.organization_id, api_key_id=row.id, permissions=permissions)


def require(permission: str) -> Callable[..., ApiCaller]:
    """A FastAPI dependency: the caller, if its key is valid, active, and holds ``permission``."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def dependency(request: Request) -> ApiCaller:
        caller = authenticate(request)
        if permission not in caller.permissions:
            raise missing_permission(permission)
        return caller

    return dependency
