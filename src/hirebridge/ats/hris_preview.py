"""``hrisPush.preview``: the exact request a push of an application would send to an HRIS connection, not sent.

Body ``{"applicationId", "externalSystem" | "hrisConnectionId", "integrationPartnerId"?}``; permission
``candidatesRead`` (it shows the hire's data as the HRIS would receive it, nothing more). The connection is chosen
as ``candidate.pushToHris`` chooses it, or named by id; the hire is built from the same records; and the connector's
own ``preview`` builds the request with the code that sends it (a create, or the update of the record an earlier
push made). The connector is given an HTTP client that cannot send, so a preview never reaches the HRIS. Secrets
are redacted by the connector, and any credential-bearing header is redacted here again.

Answer: ``{"hrisConnectionId", "system", "operation": "create" | "update" | "none", "remoteId",
"request": {"method", "url", "path", "headers", "body"} | null}`` (``none``: the update would send nothing).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.envelope import AtsModel, ok, read_body
from hirebridge.connectors.base import REDACTED, PreparedRequest
from hirebridge.connectors.errors import AuthError, RejectedError
from hirebridge.errors import AppError, NotFound
from hirebridge.hris.clients import connector_for
from hirebridge.hris.connections import invalid, resolve_system
from hirebridge.hris.hire import HireDataMissing, build_hire
from hirebridge.hris.models import HrisConnection, RemoteRecord
from hirebridge.hris.start import find_application, find_connection
from hirebridge.openapi import ats, error
from hirebridge.runtime import Runtime
from hirebridge.security import DecryptionError
from hirebridge.web import get_runtime

router = APIRouter(tags=["ATS: HRIS"])

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"})


class PreviewBody(AtsModel):
    applicationId: UUID
    externalSystem: str | None = Field(default=None, min_length=1, max_length=40)
    hrisConnectionId: UUID | None = None
    integrationPartnerId: UUID | None = None

    @model_validator(mode="after")
    def _one_target(self) -> PreviewBody:
        if (self.externalSystem is None) == (self.hrisConnectionId is None):
            raise ValueError("send either externalSystem or hrisConnectionId (exactly one)")
        return self


class _NoNetwork(httpx.BaseTransport):
    """A preview builds requests; it must never send one."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("hrisPush.preview must not reach the HRIS")


@router.post(
    "/hrisPush.preview",
    openapi_extra=ats(
        PreviewBody,
        "HrisPushPreview",
        errors=[
            error("application_not_found", "Application not found."),
            error("hris_connection_not_found", "HRIS connection not found."),
            error("hris_push_data_invalid", "Bob requires a start date (work.startDate): set the offer's start date"),
        ],
    ),
)
async def hris_push_preview(request: Request, caller: ApiCaller = Depends(require("candidatesRead"))) -> Any:
    body = await read_body(request, PreviewBody)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.sessions() as session:
            return ok(preview(session, runtime, caller.organization_id, body))

    return await run_in_threadpool(work)


def preview(session: Session, runtime: Runtime, organization_id: str, body: PreviewBody) -> dict[str, Any]:
    application = find_application(session, organization_id, str(body.applicationId))
    connection = _connection(session, organization_id, body)
    try:
        hire = build_hire(session, application.id)
    except HireDataMissing as exc:
        raise AppError("hris_push_data_invalid", str(exc)) from None
    remote = session.scalars(
        select(RemoteRecord).where(
            RemoteRecord.connection_id == connection.id, RemoteRecord.candidate_id == application.candidate_id
        )
    ).first()
    remote_id = remote.remote_id if remote is not None else None
    try:
        credentials = runtime.cipher.decrypt_json(connection.credentials_encrypted)
    except DecryptionError as exc:
        raise AppError("hris_connection_credentials_invalid", str(exc)) from None
    with httpx.Client(transport=_NoNetwork()) as http:
        connector = connector_for(connection, credentials, http)
        try:
            prepared = connector.preview(hire, remote_id)
        except AuthError as exc:
            raise AppError("hris_connection_credentials_invalid", exc.message) from None
        except RejectedError as exc:
            raise AppError("hris_push_data_invalid", exc.message) from None
    operation = "create" if remote_id is None else ("update" if prepared is not None else "none")
    return {
        "hrisConnectionId": connection.id,
        "system": connection.system,
        "operation": operation,
        "remoteId": remote_id,
        "request": _request_json(prepared) if prepared is not None else None,
    }


def _connection(session: Session, organization_id: str, body: PreviewBody) -> HrisConnection:
    if body.hrisConnectionId is not None:
        connection = session.get(HrisConnection, str(body.hrisConnectionId))
        if connection is None or connection.organization_id != organization_id:
            raise NotFound("HRIS connection not found.", code="hris_connection_not_found")
        resolve_system(connection.system, "hrisConnectionId")  # a connection whose system lost its connector
        return connection
    if body.externalSystem is None:  # the validator requires one of the two
        raise invalid("externalSystem", "is required")
    system = resolve_system(body.externalSystem, "externalSystem").system
    partner_id = str(body.integrationPartnerId) if body.integrationPartnerId else None
    return find_connection(session, organization_id, system, partner_id)


def _request_json(prepared: PreparedRequest) -> dict[str, Any]:
    headers = {
        name: (REDACTED if name.lower() in SECRET_HEADERS and not value.endswith(REDACTED) else value)
        for name, value in prepared.headers.items()
    }
    return {
        "method": prepared.method,
        "url": prepared.url,
        "path": prepared.path,
        "headers": headers,
        "body": prepared.body,
    }
