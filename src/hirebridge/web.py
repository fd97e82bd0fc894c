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
import traceback
import uuid
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hirebridge.errors import AppError, FieldError, ValidationFailed
from hirebridge.http import field_path, reason_for, text_problem
from hirebridge.observability import context as log_context
from hirebridge.observability import metrics
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
    """Assigns a request id (or keeps a well-formed incoming one), echoes it on every response, writes one
    access-log line, refuses unusable text in the path and query string, and answers any exception nothing else
    handled as the surface's 500 envelope, logged once (``log_unhandled``) and never re-raised: re-raising would
    make uvicorn log the traceback a second time and drop the keep-alive connection."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        reset_log_context = log_context.bind(request_id=rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            refusal = _unusable_url(scope)
            if refusal is not None:
                await render_error(Request(scope), refusal)(scope, receive, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = 499  # the client went away while its request was read: no one to answer, nothing to log
        except Exception as exc:
            log_unhandled(exc, scope, rid)
            if not response_started:
                await internal_error(Request(scope))(scope, receive, send_with_id)
            # else: the status line is gone; returning lets the server close the connection.
        finally:
            organization = scope["state"].get("organization_id")  # set by the API's authentication, when it passed
            reset_organization = log_context.bind(organization_id=organization) if organization else None
            log.info(
                "%s %s %s %.1fms rid=%s%s",
                scope["method"],
                _route_template(scope),
                status,
                (time.perf_counter() - started) * 1000,
                rid,
                f" org={organization}" if organization else "",
            )
            if reset_organization is not None:
                reset_organization()
            metrics.observe_request(scope["method"], _route_template(scope), status, time.perf_counter() - started)
            reset_log_context()


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    return str(getattr(route, "path", None) or "<unmatched>")


def _unusable_url(scope: Scope) -> AppError | None:
    """A 404 for a path, or a field error for a query parameter, holding U+0000 (or a lone surrogate): no route
    may look such a value up, as PostgreSQL refuses it."""
    if text_problem(scope.get("path", "")) is not None:
        return AppError("NOT_FOUND", "There is nothing at this path.", 404)
    query = scope.get("query_string", b"")
    if b"%00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            reason = text_problem(name) or text_problem(value)
            if reason is not None:
                return ValidationFailed([FieldError(f"query.{name.replace(chr(0), '')[:64]}", reason)])
    return None


def log_unhandled(exc: BaseException, scope: Scope, rid: str) -> None:
    """One ERROR record for an exception no handler answered: the request id, the route and the stack, with every
    exception's message withheld, since messages can quote stored values (a database's ``DETAIL: Key (email)=...``,
    a validator's input). A database error keeps its SQL text (parameters are hidden by the engine) and SQLSTATE."""
    log.error(
        "unhandled error rid=%s %s %s\n%s",
        rid,
        scope.get("method", "-"),
        _route_template(scope),
        safe_traceback(exc),
    )


def safe_traceback(exc: BaseException) -> str:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    parts: list[str] = []
    for error in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{_describe(error)}")
    return "\n\nwhich led to\n\n".join(parts)


def _describe(error: BaseException) -> str:
    name = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, DBAPIError):
        orig = error.orig
        sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None) or "-"
        statement = " ".join(str(error.statement or "").split())[:2000]
        return f"{name} ({type(orig).__name__}, SQLSTATE {sqlstate}; message withheld) [SQL: {statement}]"
    return f"{name} (message withheld: it may quote personal data)"


def surface_of(path: str) -> str:
    if path.startswith("/partner/"):
        return "partner"
    if ATS_PATH.match(path):
        return "ats"
    return "other"


def render_error(request: Request, error: AppError) -> Response:
    response = _render_error(request, error)
    retry_after = error.meta.get("retryAfterSeconds")
    if error.http_status == 429 and isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


def _render_error(request: Request, error: AppError) -> Response:
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


def internal_error(request: Request) -> Response:
    """The surface's 500 envelope (``generic_internal_error`` for the ATS API) with the request id to quote."""
    code = "generic_internal_error" if surface_of(request.url.path) == "ats" else "INTERNAL_ERROR"
    return render_error(
        request,
        AppError(code, "Something went wrong on our side; quote the request id when reporting it.", 500),
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette's last resort, outside ``RequestContextMiddleware``, so it sees only errors of middleware itself
    (the middleware answers everything raised inside it). Starlette re-raises after this answer and the server logs
    the error, so this handler does not log it too."""
    return internal_error(request)
