"""Every error the API answers with, classified in one place.

    AppError (code, message, http_status, field errors)
    ├── ValidationFailed        400  bad input; names each field and the reason
    ├── Unauthenticated         401  no credentials, or a malformed/expired token
    ├── Forbidden               403  credentials that are wrong, deactivated, or lack a permission
    ├── NotFound                404
    ├── Conflict                409  the request contradicts what is stored (e.g. an id reused for other data)
    ├── PayloadTooLarge         413
    └── BusinessRuleViolation   400  a documented domain error (JOB_NOT_FOUND, NOT_ACTIVE_JOB, ...)

Each API surface renders these in its own envelope (``web.render_error``: the partner API's shape, or Ashby's
envelope via ``ats.envelope``); the ``code`` is what clients match on, so it is part of the wire contract.
Vendor-side failures (an HRIS refusing data) are a separate tree, ``hris.errors.ConnectorError``: the push
executor records them on the push, and ``candidate.pushToHris`` answers a failed push as
``candidate_hris_push_failed`` with the HRIS's own message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass
class AppError(Exception):
    code: str
    message: str
    http_status: int = 400
    fields: list[FieldError] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationFailed(AppError):
    def __init__(self, fields: list[FieldError], code: str = "VALIDATION_ERROR", message: str | None = None):
        summary = "; ".join(f"{f.field}: {f.reason}" for f in fields[:5])
        super().__init__(code, message or f"Invalid request: {summary}", 400, fields)


class Unauthenticated(AppError):
    def __init__(self, message: str, code: str = "UNAUTHENTICATED"):
        super().__init__(code, message, 401)


class Forbidden(AppError):
    def __init__(self, message: str, code: str = "FORBIDDEN"):
        super().__init__(code, message, 403)


class NotFound(AppError):
    def __init__(self, message: str, code: str = "NOT_FOUND"):
        super().__init__(code, message, 404)


class Conflict(AppError):
    def __init__(self, message: str, code: str = "CONFLICT", meta: dict[str, Any] | None = None):
        super().__init__(code, message, 409, meta=meta or {})


class PayloadTooLarge(AppError):
    def __init__(self, message: str, code: str = "PAYLOAD_TOO_LARGE"):
        super().__init__(code, message, 413)


class BusinessRuleViolation(AppError):
    def __init__(self, code: str, message: str, http_status: int = 400, meta: dict[str, Any] | None = None):
        super().__init__(code, message, http_status, meta=meta or {})
