"""Cross-cutting HTTP plumbing: request ids, the access log, and how each API surface renders errors.

Every error the service answers passes through ``render_error``, which picks the envelope by surface:

- partner API (``/partner/...``): ``{"error_code", "message", "errors": [{"field", "reason"}]}`` with the HTTP
  status of the error (Pulsifi's documented codes are 400s).
- ATS API (``/<resource>.<action>``): Ashby's envelope. 401, 403 and 429 keep their status; every other 4xx is
  answered with HTTP 200 and ``success: false``, as Ashby does; 5xx is ``generic_internal_error``.
- anything else (health, candidate pages' JSON helpers): the partner shape.

The access log names the route template (``/partner/v1.0/workday/candidates/{candidate_id}``), never the raw path,
the query string, headers or bodies, so tokens and personal data stay out of logs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hirebridge.errors import AppError, FieldError
from hirebridge.http import field_path, reason_for
from hirebridge.runtime import Runtime

log = logging.getLogger("hirebridge.http")

ATS_PATH = re.compile(r"^/[a-zA-Z]+\.[a-zA-Z]+$")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id") or "-")


class RequestContextMiddleware:
    """Assigns a request id (or keeps a well-formed incoming one), echoes it, and writes one access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<unmatched>"
            log.info(
                "%s %s %s %.1fms rid=%s",
                scope["method"],
                template,
                status,
                (time.perf_counter() - started) * 1000,
                rid,
            )


def surface_of(path: str) -> str:
    if path.startswith("/partner/"):
        return "partner"
    if ATS_PATH.match(path):
        return "ats"
    return "other"


def render_error(request: Request, error: AppError) -> Response:
    rid = request_id(request)
    if surface_of(request.url.path) == "ats":
        return ashby_error(error, rid)
    body: dict[str, Any] = {"error_code": error.code, "message": error.message}
    if error.fields:
        body["errors"] = [f.as_dict() for f in error.fields]
    if error.meta:
        body["meta"] = error.meta
    body["request_id"] = rid
    headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
    return JSONResponse(body, status_code=error.http_status, headers=headers)


def ashby_error(error: AppError, rid: str) -> Response:
    meta = dict(error.meta)
    if error.fields:
        meta["fields"] = [f.as_dict() for f in error.fields]
    body = {
        "success": False,
        "errors": [error.code],
        "errorInfo": {"code": error.code, "message": error.message, "requestId": rid, "meta": meta},
    }
    status = error.http_status if error.http_status in (401, 403, 429) or error.http_status >= 500 else 200
    headers = {"WWW-Authenticate": 'Basic realm="hirebridge"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


async def app_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    if exc.http_status >= 500:
        log.error("request failed: %s rid=%s", exc.code, request_id(request))
    return render_error(request, exc)


async def request_validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for e in exc.errors():
        loc = tuple(e.get("loc", ()))
        # FastAPI prefixes the location with "body", "query" or "path"; keep "query.limit" style for the latter two.
        if loc and loc[0] == "body":
            loc = loc[1:]
        fields.append(FieldError(field_path(loc), reason_for(e)))
    from hirebridge.errors import ValidationFailed

    return render_error(request, ValidationFailed(fields))


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHENTICATED", 403: "FORBIDDEN"}
    code = codes.get(exc.status_code, "HTTP_ERROR")
    if surface_of(request.url.path) == "ats" and exc.status_code == 404:
        code, message = "endpoint_not_found", f"There is no endpoint {request.url.path}."
    else:
        message = str(exc.detail) if exc.detail else code
    return render_error(request, AppError(code, message, exc.status_code))


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    # The traceback goes to the log with the request id; the client gets a stable code and the id to quote.
    log.exception("unhandled error rid=%s", request_id(request))
    code = "generic_internal_error" if surface_of(request.url.path) == "ats" else "INTERNAL_ERROR"
    return render_error(
        request,
        AppError(code, "Something went wrong on our side; quote the request id when reporting it.", 500),
    )
