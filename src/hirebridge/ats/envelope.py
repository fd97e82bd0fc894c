"""Ashby's response envelope, request bodies, list pagination and error codes for the ATS API.

- Success: ``{"success": true, "results": ...}`` (plus ``"warnings"`` on partial success) via ``ok``.
- Lists: ``{"success": true, "results": [...], "moreDataAvailable", "nextCursor", "syncToken"?}`` via ``page``;
  requests carry ``ListParams`` (``limit`` 1..100, default 100; ``cursor``; ``syncToken``; ``createdAfter`` in
  epoch milliseconds).
- Errors are ``AppError``s; ``hirebridge.web`` renders them as ``{"success": false, "errors": [code], "errorInfo":
  {code, message, requestId, meta}}`` with HTTP 200 for 4xx-type errors. Field errors land in
  ``errorInfo.meta.fields`` as ``[{"field", "reason"}]``. Codes are Ashby-style lowercase snake case:
  ``invalid_input`` (Ashby's code for a malformed payload) for every validation error, ``<thing>_not_found``
  (``application_not_found`` is Ashby's) for unknown ids, ``payload_too_large``, ``unsupported_media_type``.
- Cursors and sync tokens are opaque and tamper-evident: base64url of compact JSON plus an HMAC-SHA256 tag under the
  service's signing key. A cursor is bound to the endpoint, organization and filters it was issued for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hirebridge.errors import AppError, FieldError, PayloadTooLarge, ValidationFailed
from hirebridge.http import field_path, read_json_body, reason_for
from hirebridge.web import get_runtime

M = TypeVar("M", bound=BaseModel)

INVALID_INPUT = "invalid_input"
MAX_TOKEN_CHARS = 2048
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


def ok(results: Any, *, warnings: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "results": results}
    if warnings:
        body["warnings"] = warnings
    return body


def page(items: list[Any], *, more: bool, next_cursor: str | None, sync_token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"success": True, "results": items, "moreDataAvailable": more}
    if next_cursor is not None:
        body["nextCursor"] = next_cursor
    if sync_token is not None:
        body["syncToken"] = sync_token
    return body


class AtsModel(BaseModel):
    """Base for request bodies: Ashby clients send fields we do not model (``expand``...), so extras are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class ListParams(AtsModel):
    limit: int = Field(100, ge=1, le=100, description="Page size, at most 100.")
    cursor: str | None = Field(None, max_length=MAX_TOKEN_CHARS, description="nextCursor from the previous page.")
    syncToken: str | None = Field(
        None, max_length=MAX_TOKEN_CHARS, description="syncToken from a previous sync's last page."
    )
    createdAfter: int | None = Field(
        None,
        ge=0,
        le=MAX_EPOCH_MS,
        description="Only objects created after this moment (milliseconds since the Unix epoch), as at Ashby.",
    )


# --- errors -------------------------------------------------------------------------------------------------------


def invalid_input(field: str, reason: str, message: str | None = None) -> ValidationFailed:
    return ValidationFailed([FieldError(field, reason)], code=INVALID_INPUT, message=message)


def invalid_fields(fields: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(fields, code=INVALID_INPUT)


def not_found(what: str, identifier: str, *, field: str | None = None) -> AppError:
    """``candidate_not_found`` etc. (HTTP 200 in the envelope). ``what`` is the lowercase object name."""
    meta: dict[str, Any] = {"id": identifier[:255]}
    if field is not None:
        meta["field"] = field
    return AppError(f"{what}_not_found", f"{what.capitalize()} not found: {identifier[:255]!r}.", 404, meta=meta)


def invalid_state(code: str, message: str, **meta: Any) -> AppError:
    """A request that the object's current state does not allow (e.g. a change to a closed job)."""
    return AppError(code, message, 409, meta=meta)


# --- bodies -------------------------------------------------------------------------------------------------------


async def read_body(request: Request, model: type[M], *, max_bytes: int | None = None) -> M:
    """The JSON body as ``model``. An empty body is ``{}`` (Ashby's list endpoints are called without one)."""
    limit = max_bytes if max_bytes is not None else get_runtime(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared == "0":
        data: Any = {}
    else:
        try:
            data = await read_json_body(request, limit)
        except PayloadTooLarge as exc:
            raise AppError("payload_too_large", exc.message, 413) from None
        except ValidationFailed as exc:
            if exc.fields and exc.fields[0].reason.startswith("is required"):
                data = {}
            else:
                raise invalid_fields(exc.fields) from None
        except AppError as exc:
            if exc.http_status == 415:
                raise AppError("unsupported_media_type", exc.message, 415) from None
            raise
    if not isinstance(data, dict):
        raise invalid_input("body", "must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_fields([FieldError(field_path(tuple(e["loc"])), reason_for(e)) for e in exc.errors()]) from None


# --- cursors and sync tokens --------------------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(secret: str, purpose: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), purpose.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]


def encode_cursor(secret: str, data: dict[str, Any], *, purpose: str = "cursor") -> str:
    """An opaque token carrying ``data`` (JSON-serialisable), signed so it cannot be forged or edited."""
    payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return _b64(payload) + "." + _b64(_tag(secret, purpose, payload))


def decode_cursor(secret: str, token: str, *, purpose: str = "cursor", field: str = "cursor") -> dict[str, Any]:
    """The data of a token made by ``encode_cursor``; ``invalid_input`` naming ``field`` for anything else."""
    bad = invalid_input(field, "is not a value this API issued (copy it unchanged from the previous response)")
    if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise bad
    body, _, tag = token.partition(".")
    try:
        payload, signature = _unb64(body), _unb64(tag)
    except (binascii.Error, ValueError):
        raise bad from None
    if not hmac.compare_digest(signature, _tag(secret, purpose, payload)):
        raise bad
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad from None
    if not isinstance(data, dict):
        raise bad
    return data
