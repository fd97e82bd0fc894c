"""``hrisConnection.request`` and ``hrisConnection.requestLog`` (hirebridge extensions): one request sent to an HRIS
connection as the caller wrote it, for what the field mapping does not cover, and the record of such calls.

``hrisConnection.request`` ``{"hrisConnectionId", "method", "path", "body"?}`` needs the permission
``hrisPassthroughWrite`` (a key with every Ashby permission still cannot send arbitrary requests without it). The
call goes out as a push's calls do (``hris.passthrough``): the outbound address guard, the connection's rate limit,
the connector's own credentials, and a redacted record in the connection's request log. ``path`` is relative to the
vendor's API base and may not leave it; ``method`` is GET, POST, PUT, PATCH or DELETE (Workday: POST, with ``body``
the XML of a SOAP request element). The HRIS's answer, whatever its status, is the result:
``{"requestId", "hrisConnectionId", "system", "method", "url", "status", "headers", "bodyFormat", "body",
"bodyTruncated", "bodyBytes"}``; only headers safe to show are answered, and a body over ``MAX_ANSWER_BODY_BYTES``
is cut. A call that got no answer is an error: ``hris_request_failed`` (refused address, could not connect, no
answer in time) or ``hris_rate_limited``.

``hrisConnection.requestLog`` ``{"hrisConnectionId", "limit"?}`` (``organizationRead``): the latest calls, newest
first, each with its outcome and exchanges (credentials never recorded).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.envelope import AtsModel, invalid_input, ok, page, read_body
from hirebridge.connectors.base import PASSTHROUGH_METHODS, PassthroughRequest
from hirebridge.connectors.passthrough import MAX_BODY_BYTES, MAX_PATH_CHARS
from hirebridge.errors import AppError
from hirebridge.hris import passthrough
from hirebridge.hris.connections import get_connection, resolve_system
from hirebridge.hris.models import HrisConnection
from hirebridge.openapi import ats, error
from hirebridge.web import get_runtime

router = APIRouter(tags=["ATS: HRIS"])

MAX_ANSWER_BODY_BYTES = 1024 * 1024
MAX_HEADER_CHARS = 1000
# Headers that describe the answer and carry no credential or session (never Set-Cookie or WWW-Authenticate).
SAFE_HEADERS = (
    "content-type",
    "content-language",
    "content-disposition",
    "location",
    "retry-after",
    "etag",
    "last-modified",
    "link",
    "x-request-id",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-bamboohr-error-message",
    "x-bamboohr-error-messsage",
)
_TEXT_TYPES = ("text/", "application/xml", "application/soap+xml", "application/x-www-form-urlencoded")


class PassthroughBody(AtsModel):
    hrisConnectionId: UUID
    method: str = Field(min_length=1, max_length=10, description="GET, POST, PUT, PATCH or DELETE.")
    path: str = Field(
        min_length=1,
        max_length=MAX_PATH_CHARS,
        description="Relative to the HRIS's API base, e.g. /employees/123?fields=firstName (BambooHR), "
        "/people/search (Bob), /Human_Resources/v31.2 (Workday).",
    )
    body: Any = Field(
        default=None,
        description="A JSON value sent as JSON; for Workday the XML of the SOAP request element, as a string.",
    )


class RequestLogBody(AtsModel):
    hrisConnectionId: UUID
    limit: int = Field(20, ge=1, le=passthrough.MAX_LOG_ROWS)


@router.post(
    "/hrisConnection.request",
    openapi_extra=ats(
        PassthroughBody,
        "HrisRequestAnswer",
        errors=[
            error("hris_connection_not_found", "HRIS connection not found."),
            error("hris_request_failed", "could not connect to the HRIS: ConnectError: [Errno 111] refused"),
            error("hris_rate_limited", "the connection's rate limit has no free slot in the next 10 s"),
        ],
    ),
)
async def hris_connection_request(
    request: Request, caller: ApiCaller = Depends(require("hrisPassthroughWrite"))
) -> Any:
    body = await read_body(request, PassthroughBody, max_bytes=MAX_BODY_BYTES + 64 * 1024)
    runtime = get_runtime(request)
    method = body.method.upper()
    if method not in PASSTHROUGH_METHODS:
        raise invalid_input("method", f"must be one of {', '.join(PASSTHROUGH_METHODS)}")
    call = PassthroughRequest(method=method, path=body.path, body=body.body)

    def work() -> Any:
        with runtime.sessions() as session:
            connection = _usable_connection(get_connection(session, caller.organization_id, str(body.hrisConnectionId)))
            session.expunge(connection)
        try:
            answer = passthrough.send(runtime, connection, call, requested_by=f"apiKey:{caller.api_key_id}")
        except passthrough.RequestFailed as exc:
            if exc.code == "invalid_input":
                raise invalid_input(exc.field or "path", exc.message) from None
            raise AppError(exc.code, exc.message, meta={"requestId": exc.request_id}) from None
        return ok(_answer_json(connection, call, answer))

    return await run_in_threadpool(work)


@router.post(
    "/hrisConnection.requestLog",
    openapi_extra=ats(
        RequestLogBody, "HrisRequestLogEntry", many=True, errors=[error("hris_connection_not_found", "Not found.")]
    ),
)
async def hris_connection_request_log(
    request: Request, caller: ApiCaller = Depends(require("organizationRead"))
) -> Any:
    body = await read_body(request, RequestLogBody)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.sessions() as session:
            connection = get_connection(session, caller.organization_id, str(body.hrisConnectionId))
            entries = passthrough.request_log(session, connection.id, body.limit)
        return page(entries, more=False, next_cursor=None)

    return await run_in_threadpool(work)


def _usable_connection(connection: HrisConnection) -> HrisConnection:
    resolve_system(connection.system, "hrisConnectionId")  # a connection whose system lost its connector
    if not connection.is_enabled:
        raise AppError(
            "hris_connection_disabled",
            f"The {connection.system} connection '{connection.name}' is disabled; enable it with "
            "hrisConnection.update.",
            meta={"hrisConnectionId": connection.id},
        )
    return connection


def _answer_json(connection: HrisConnection, call: PassthroughRequest, answer: passthrough.Answer) -> dict[str, Any]:
    content = answer.content
    truncated = len(content) > MAX_ANSWER_BODY_BYTES
    content_type = answer.headers.get("content-type", "").lower()
    body_format, body = _body(content[:MAX_ANSWER_BODY_BYTES], content_type, truncated)
    return {
        "requestId": answer.request_id,
        "hrisConnectionId": connection.id,
        "system": connection.system,
        "method": call.method,
        "url": answer.url,
        "status": answer.status,
        "headers": {name: answer.headers[name][:MAX_HEADER_CHARS] for name in SAFE_HEADERS if name in answer.headers},
        "bodyFormat": body_format,
        "body": body,
        "bodyTruncated": truncated,
        "bodyBytes": len(content),
    }


def _body(content: bytes, content_type: str, truncated: bool) -> tuple[str, Any]:
    if not content:
        return "empty", None
    is_json = "json" in content_type
    if is_json and not truncated:
        try:
            return "json", json.loads(content)
        except ValueError:
            pass
    if is_json or not content_type or any(kind in content_type for kind in _TEXT_TYPES) or "+xml" in content_type:
        try:
            return "text", content.decode("utf-8")
        except UnicodeDecodeError:
            if truncated:  # cut inside a character
                return "text", content.decode("utf-8", errors="ignore")
    return "base64", base64.b64encode(content).decode("ascii")
