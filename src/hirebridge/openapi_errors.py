"""The errors each API operation can answer, for the OpenAPI document (``hirebridge.openapi``).

Each error is rendered by the service's own renderer (``web.render_error``, which picks the surface's envelope by
path), so the status and body in the document are what a client gets: ATS errors are Ashby's envelope with HTTP 200
except authentication (401, 403), partner errors are ``{error_code, message, errors?, request_id}`` with their
status.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel

from hirebridge.errors import AppError, FieldError, PayloadTooLarge, ValidationFailed
from hirebridge.openapi_results import REF

EXAMPLE_REQUEST_ID = "5f0c6a3e9b2d4c1e8a7f6b5c4d3e2a19"


def ats_errors(path: str, permission: str | None, *, body: bool, idempotent: bool) -> list[AppError]:
    """What every ATS operation can answer: authentication errors, and body and Idempotency-Key errors."""
    from hirebridge.ats import idempotency
    from hirebridge.ats.auth import api_key_deactivated, invalid_api_key, missing_permission, unauthenticated

    found: list[AppError] = [
        unauthenticated("An API key is required: HTTP Basic auth with the key as username, empty password."),
        invalid_api_key(),
        api_key_deactivated(),
        _too_many_failures(),
    ]
    if permission is not None:
        found.append(missing_permission(permission))
    if body:
        found += [
            ValidationFailed([FieldError("body", "is not valid JSON at position 0")], code="invalid_input"),
            AppError("payload_too_large", "Request body is larger than 16777216 bytes.", 413),
            AppError("unsupported_media_type", "Content-Type must be application/json, not 'text/plain'.", 415),
        ]
    if idempotent:
        found += [idempotency.reused_error(path.lstrip("/")), idempotency.in_progress_error()]
    return found


def partner_errors(*, bearer: bool, client: bool, body: bool, checked_parameter: str | None) -> list[AppError]:
    """What every partner operation can answer: token errors (``bearer``), the client-authentication limit
    (``client``: the token endpoint), body errors, a parameter's error."""
    found: list[AppError] = [_too_many_failures()] if client else []
    if bearer:
        found += [
            AppError("UNAUTHENTICATED", "An access token is required: Authorization: Bearer <access_token>.", 401),
            AppError("INVALID_TOKEN", "The access token is not valid.", 401),
            AppError("TOKEN_EXPIRED", "The access token has expired; request a new one.", 401),
        ]
    if checked_parameter is not None:
        found.append(ValidationFailed([FieldError(checked_parameter, "is not valid")]))
    if body:
        found += [
            ValidationFailed([FieldError("body", "is not valid JSON at position 0")], code="MALFORMED_JSON"),
            PayloadTooLarge("Request body is larger than 16384 bytes."),
            AppError("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json, not 'text/plain'.", 415),
        ]
    return found


def _too_many_failures() -> AppError:
    """429 after repeated failed authentications (ATS API keys, the partner token endpoint)."""
    from hirebridge.authlimit import too_many_failures

    return too_many_failures("too_many_failed_attempts", 60)


# --- rendering them as the service does --------------------------------------------------------------------------


def _rendered(path: str, error: AppError) -> tuple[int, dict[str, Any], dict[str, str]]:
    from hirebridge.web import render_error

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "https",
        "server": ("hirebridge.example", 443),
        "root_path": "",
        "state": {"request_id": EXAMPLE_REQUEST_ID},
    }
    response = render_error(Request(scope), error)
    return response.status_code, json.loads(bytes(response.body)), dict(response.headers)


def error_responses(path: str, errors: Sequence[AppError], error_schema: str) -> dict[int, dict[str, Any]]:
    """The OpenAPI responses for ``errors`` on ``path``: one per status they are answered with, an example each."""
    by_status: dict[int, dict[str, Any]] = {}
    for error in errors:
        status, body, headers = _rendered(path, error)
        entry = by_status.setdefault(status, {"examples": {}, "headers": {}})
        name = error.code if error.code not in entry["examples"] else f"{error.code}_{len(entry['examples'])}"
        entry["examples"][name] = {"summary": error.message, "value": body}
        for header, value in headers.items():
            if header in _HEADERS:
                name, text = _HEADERS[header]
                entry["headers"][name] = {"description": text, "schema": {"type": "string", "example": value}}
    return {
        status: {
            "description": STATUS_TEXT.get(status, "Error"),
            "headers": entry["headers"] | REQUEST_ID_HEADER,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=error_schema)}, "examples": entry["examples"]}
            },
        }
        for status, entry in sorted(by_status.items())
    }


_HEADERS = {  # the headers an error answer may carry, as rendered (lowercase): their names and meanings
    "www-authenticate": ("WWW-Authenticate", "The authentication scheme to use."),
    "retry-after": ("Retry-After", "Seconds to wait before trying again."),
}
STATUS_TEXT = {
    200: "Success: Ashby's envelope with `success: true` and `results`, or an error with `success: false`.",
    400: "Bad request: the errors name each field and the reason.",
    401: "No credentials, or credentials that could not be read.",
    403: "Credentials that are wrong, deactivated, or lack the permission this endpoint needs.",
    404: "Not found (another organization's ids are not found either).",
    409: "The request contradicts what is stored.",
    413: "The request body is too large.",
    415: "The request body is not JSON.",
    429: "Too many failed authentication attempts: wait for Retry-After seconds.",
}
REQUEST_ID_HEADER = {
    "x-request-id": {
        "description": "The request's id, also in error bodies; quote it when reporting a problem.",
        "schema": {"type": "string"},
    },
}


# --- the error bodies ----------------------------------------------------------------------------------------------


class AshbyErrorInfo(BaseModel):
    code: str
    message: str
    requestId: str
    meta: dict[str, Any]


class AshbyError(BaseModel):
    """Ashby's error envelope (HTTP 200 for every error but 401 and 403)."""

    success: Literal[False]
    errors: list[str]
    errorInfo: AshbyErrorInfo


class PartnerFieldError(BaseModel):
    field: str
    reason: str


class PartnerError(BaseModel):
    """The partner API's error body."""

    error_code: str
    message: str
    errors: list[PartnerFieldError] | None = None
    meta: dict[str, Any] | None = None
    request_id: str


TOKEN_ERRORS = (
    ValidationFailed([FieldError("grant_type", "is required")], code="invalid_request"),
    AppError("unsupported_grant_type", "grant_type must be 'client_credentials'."),
    AppError("invalid_client", "Client authentication failed: unknown client, wrong secret, or revoked.", 401),
    AppError("PAYLOAD_TOO_LARGE", "The token request body is too large.", 413),
)
