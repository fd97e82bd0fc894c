"""OAuth2 client credentials for the partner API, and the Bearer check every partner endpoint runs.

Token request (RFC 6749 section 4.4): ``POST /partner/oauth2/token`` (also served at the path Pulsifi's docs head
their page with, ``/partner/v1.0/partner/oauth2/token``). The client authenticates with HTTP Basic
``base64(client_id:client_secret)`` or, as section 2.3.1 allows, ``client_id``/``client_secret`` in the body. The
body is JSON ``{"grant_type": "client_credentials"}`` (Pulsifi's form) or form-encoded (the standard's).

The answer is ``{"access_token", "scope", "expires_in", "token_type": "bearer"}`` with ``expires_in`` in seconds
as a string, as Pulsifi documents it. The token is a JWT (HS256, the service's signing key) carrying the
organization and the client; there is no refresh token. A revoked client can neither get a token nor use one
it already holds.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qsl, unquote

import jwt
from fastapi import APIRouter, Depends, Request
from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.authlimit import client_address, limiter, too_many_failures
from hirebridge.db.types import utcnow
from hirebridge.errors import AppError, FieldError, ValidationFailed
from hirebridge.http import decode_json, text_problem
from hirebridge.openapi import TOKEN_ERRORS, TokenRequest, token_endpoint
from hirebridge.orgs.models import Organization, PartnerClient
from hirebridge.runtime import Runtime
from hirebridge.security import digests_match
from hirebridge.web import get_runtime

ISSUER = "hirebridge"
AUDIENCE = "hirebridge-partner"
SCOPE = "partner"
MAX_TOKEN_REQUEST_BYTES = 8 * 1024
MAX_TOKEN_CHARS = 4096

router = APIRouter(tags=["partner: authentication"])
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
_CHECKS_CLIENT = "_hirebridge_checks_client_itself"


@dataclass(frozen=True)
class PartnerPrincipal:
    """Who is calling: the organization whose data the call may see, and the OAuth2 client acting for it."""

    organization_id: str
    client_id: str


def _oauth_error(code: str, message: str, status: int = 400) -> AppError:
    return AppError(code, message, status)


def _invalid_client() -> AppError:
    return _oauth_error(
        "invalid_client", "Client authentication failed: unknown client, wrong secret, or revoked.", 401
    )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _oauth_error(
            "invalid_client", "The Basic credentials are not valid base64 of client_id:secret.", 401
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _oauth_error("invalid_client", "The Basic credentials must be client_id:client_secret.", 401)
    # RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
    return unquote(client_id), unquote(secret)


async def _token_request_body(request: Request) -> dict[str, Any]:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_TOKEN_REQUEST_BYTES:
            raise AppError("PAYLOAD_TOO_LARGE", "The token request body is too large.", 413)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = dict(parse_qsl(raw.decode("utf-8"), max_num_fields=20))
        except (UnicodeDecodeError, ValueError):
            raise _oauth_error("invalid_request", "The form body could not be read.") from None
        _check_text(form)
        return form
    if not raw.strip():
        return {}
    body = decode_json(raw, code="invalid_request")
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError("body", "must be a JSON object")], code="invalid_request")
    return body


def _check_text(values: dict[str, str]) -> None:
    """U+0000 and lone surrogates cannot be stored or looked up; answer them as the field's error."""
    problems = [FieldError(name, reason) for name, value in values.items() if (reason := text_problem(value))]
    if problems:
        raise ValidationFailed(problems, code="invalid_request")


def _client_credentials(request: Request, body: dict[str, Any]) -> tuple[str, str]:
    basic = _basic_credentials(request)
    if basic is not None:
        _check_text({"client_id": basic[0], "client_secret": basic[1]})
        return basic
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if isinstance(client_id, str) and isinstance(secret, str) and client_id and secret:
        return client_id, secret
    raise _oauth_error(
        "invalid_client",
        "Client authentication is required: HTTP Basic base64(client_id:client_secret), "
        "or client_id and client_secret in the body.",
        401,
    )


def issue_token(runtime: Runtime, client: PartnerClient) -> dict[str, str]:
    now = utcnow()
    ttl = runtime.settings.access_token_ttl_seconds
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client.client_id,
        "org": client.organization_id,
        "scope": SCOPE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    token = jwt.encode(claims, runtime.signing_key, algorithm="HS256")
    return {"access_token": token, "scope": SCOPE, "expires_in": str(ttl), "token_type": "bearer"}


@router.post(
    "/partner/oauth2/token",
    summary="Get an access token (OAuth2 client credentials)",
    openapi_extra=token_endpoint(TokenRequest, "PartnerToken", errors=TOKEN_ERRORS),
)
@router.post(
    "/partner/v1.0/partner/oauth2/token",
    summary="Get an access token (the path of Pulsifi's page heading)",
    openapi_extra=token_endpoint(TokenRequest, "PartnerToken", errors=TOKEN_ERRORS),
)
async def token(request: Request) -> dict[str, str]:
    runtime = get_runtime(request)
    body = await _token_request_body(request)
    client_id, secret = _client_credentials(request, body)
    grant_type = body.get("grant_type")
    if grant_type is None:
        raise ValidationFailed([FieldError("grant_type", "is required")], code="invalid_request")
    if grant_type != "client_credentials":
        raise _oauth_error("unsupported_grant_type", "grant_type must be 'client_credentials'.")
    failures, address, credential = limiter(runtime), client_address(request), client_id[:64]
    if (wait := failures.blocked_for(credential, address)) is not None:
        raise too_many_failures("too_many_failed_attempts", wait)

    def verify() -> dict[str, str]:  # in a worker thread: no database work on the event loop
        if len(client_id) <= 64 and len(secret) <= 256:
            with runtime.transaction() as session:
                client = session.scalar(select(PartnerClient).where(PartnerClient.client_id == client_id))
                if client is not None and client.revoked_at is None and digests_match(secret, client.secret_sha256):
                    return issue_token(runtime, client)
        # Counted (a write, shared by every API process) once the transaction is closed: SQLite has one writer.
        # Beyond the shared budget this raises the 429.
        failures.failed(credential, address)
        raise _invalid_client()

    return await run_in_threadpool(verify)


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise AppError("UNAUTHENTICATED", "An access token is required: Authorization: Bearer <access_token>.", 401)
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_TOKEN_CHARS:
        raise AppError("INVALID_TOKEN", "The Authorization header must be 'Bearer <access_token>'.", 401)
    return value


def verified_token(request: Request) -> PartnerPrincipal:
    """The caller named by a valid, unexpired token; whether its client is revoked is checked by the caller."""
    runtime = get_runtime(request)
    value = _bearer_token(request)
    try:
        claims = jwt.decode(
            value,
            runtime.signing_key,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "org"]},
        )
    except jwt.ExpiredSignatureError:
        raise AppError("TOKEN_EXPIRED", "The access token has expired; request a new one.", 401) from None
    except jwt.InvalidTokenError:
        raise AppError("INVALID_TOKEN", "The access token is not valid.", 401) from None
    request.state.organization_id = str(claims["org"])  # for the request's log line
    return PartnerPrincipal(organization_id=str(claims["org"]), client_id=str(claims["sub"]))


def check_client(session: Session | Connection, principal: PartnerPrincipal, *organization_columns: Any) -> Row[Any]:
    """Refuse the token of a revoked (or deleted) client, in the caller's session; returns the row of the
    client's ``revoked_at`` followed by ``organization_columns`` (columns of ``Organization``, read in the same
    statement so that a handler needs no second one)."""
    query = select(PartnerClient.revoked_at, *organization_columns).where(
        PartnerClient.client_id == principal.client_id,
        PartnerClient.organization_id == principal.organization_id,
    )
    if organization_columns:
        query = query.join(Organization, Organization.id == PartnerClient.organization_id)
    row = session.execute(query).first()
    if row is None or row[0] is not None:
        raise AppError("INVALID_TOKEN", "The access token's client is revoked.", 401)
    return row


def checks_client_itself(endpoint: EndpointT) -> EndpointT:
    """Mark a handler (put it under the route decorator) that calls ``check_client`` in its own transaction:
    ``require_partner`` then checks only the token, and the request costs one round trip fewer."""
    setattr(endpoint, _CHECKS_CLIENT, True)
    return endpoint


def require_partner(request: Request) -> PartnerPrincipal:
    """The caller of a partner endpoint, from a valid, unexpired token of a client that is not revoked (checked
    here, or by the handler itself: ``checks_client_itself``)."""
    principal = verified_token(request)
    if getattr(request.scope.get("endpoint"), _CHECKS_CLIENT, False):
        return principal
    with get_runtime(request).autocommit() as connection:  # one statement, one round trip
        check_client(connection, principal)
    return principal


Partner = Annotated[PartnerPrincipal, Depends(require_partner)]
