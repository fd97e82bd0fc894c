"""The ATS API's HRIS endpoints: ``candidate.pushToHris``, ``hrisPush.*`` and ``hrisConnection.*``.

Permissions: pushes need ``candidatesWrite`` (reads ``candidatesRead``); connections need ``organizationWrite``
(reads ``organizationRead``). ``candidate.pushToHris`` and ``hrisPush.retry`` honour ``Idempotency-Key``.
Database work runs in a thread so that a call waiting for an HRIS verdict never blocks the event loop.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats import idempotency, pushes
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import in_transaction
from hirebridge.ats.envelope import (
    AtsModel,
    ListParams,
    decode_cursor,
    encode_cursor,
    invalid_input,
    ok,
    page,
    read_body,
)
from hirebridge.hris import connections
from hirebridge.hris.models import PushState
from hirebridge.openapi import ats, error
from hirebridge.web import get_runtime

router = APIRouter(tags=["ATS: HRIS"])

IDEMPOTENT_WAIT_MARGIN_SECONDS = 5.0


def _requested_by(caller: ApiCaller) -> str:
    return f"apiKey:{caller.api_key_id}"


def _push_answer(verdict: pushes.Verdict) -> dict[str, Any]:
    if not verdict.still_running:
        return ok(verdict.push)
    return ok(
        verdict.push,
        warnings=[
            f"hris_push_in_progress: the HRIS has not answered yet; push {verdict.push['id']} is "
            f"{verdict.push['state']} and completes in the background (read it with hrisPush.info)"
        ],
    )


@router.post(
    "/candidate.pushToHris",
    openapi_extra=ats(
        pushes.PushToHrisBody,
        "HrisPush",
        idempotent=True,
        errors=[
            error("application_not_found", "Application not found."),
            error("candidate_hris_push_failed", "BambooHR did not accept the push: Invalid email address."),
        ],
    ),
)
async def candidate_push_to_hris(request: Request, caller: ApiCaller = Depends(require("candidatesWrite"))) -> Response:
    body = await read_body(request, pushes.PushToHrisBody)
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        verdict = pushes.push_to_hris(runtime, caller.organization_id, body, _requested_by(caller))
        return _push_answer(verdict)

    return await idempotency.respond(
        request,
        organization_id=caller.organization_id,
        endpoint="candidate.pushToHris",
        body=body.model_dump(mode="json"),
        work=work,
        wait_seconds=runtime.settings.push_wait_seconds + IDEMPOTENT_WAIT_MARGIN_SECONDS,
    )


@router.post(
    "/hrisPush.retry",
    openapi_extra=ats(
        pushes.PushRef, "HrisPush", idempotent=True, errors=[error("hris_push_not_retryable", "It succeeded.")]
    ),
)
async def hris_push_retry(request: Request, caller: ApiCaller = Depends(require("candidatesWrite"))) -> Response:
    body = await read_body(request, pushes.PushRef)
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        verdict = pushes.retry_push(runtime, caller.organization_id, str(body.pushId), _requested_by(caller))
        return _push_answer(verdict)

    return await idempotency.respond(
        request,
        organization_id=caller.organization_id,
        endpoint="hrisPush.retry",
        body=body.model_dump(mode="json"),
        work=work,
        wait_seconds=runtime.settings.push_wait_seconds + IDEMPOTENT_WAIT_MARGIN_SECONDS,
    )


@router.post(
    "/hrisPush.info",
    openapi_extra=ats(pushes.PushRef, "HrisPush", errors=[error("hris_push_not_found", "HRIS push not found.")]),
)
async def hris_push_info(request: Request, caller: ApiCaller = Depends(require("candidatesRead"))) -> Any:
    body = await read_body(request, pushes.PushRef)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.sessions() as session:
            push = pushes.get_push(session, caller.organization_id, str(body.pushId))
            return ok(pushes.push_json(session, push, with_attempts=True))

    return await run_in_threadpool(work)


class PushListBody(ListParams):
    applicationId: UUID | None = None
    state: PushState | None = None


def _list_scope(caller: ApiCaller, body: PushListBody) -> dict[str, Any]:
    """What a cursor is bound to: the organization and the filters it was issued for."""
    return {
        "o": caller.organization_id,
        "a": str(body.applicationId) if body.applicationId else None,
        "s": body.state.value if body.state else None,
    }


def _after(runtime_key: str, caller: ApiCaller, body: PushListBody) -> tuple[datetime, str] | None:
    if not body.cursor:
        return None
    data = decode_cursor(runtime_key, body.cursor, purpose="hrisPush.list")
    if data.get("scope") != _list_scope(caller, body):
        raise invalid_input("cursor", "was issued for other filters; send the same filters as the first page")
    try:
        return datetime.fromisoformat(str(data["c"])), str(data["i"])
    except (KeyError, ValueError):
        raise invalid_input("cursor", "is not a value this API issued") from None


@router.post(
    "/hrisPush.list",
    openapi_extra=ats(PushListBody, "HrisPush", many=True),
)
async def hris_push_list(request: Request, caller: ApiCaller = Depends(require("candidatesRead"))) -> Any:
    body = await read_body(request, PushListBody)
    runtime = get_runtime(request)
    after = _after(runtime.signing_key, caller, body)

    def work() -> Any:
        with runtime.sessions() as session:
            rows, more = pushes.list_pushes(
                session,
                caller.organization_id,
                application_id=str(body.applicationId) if body.applicationId else None,
                state=body.state,
                limit=body.limit,
                after=after,
            )
            items = [pushes.push_json(session, row) for row in rows]
        next_cursor = None
        if more and rows:
            last = {"scope": _list_scope(caller, body), "c": rows[-1].created_at.isoformat(), "i": rows[-1].id}
            next_cursor = encode_cursor(runtime.signing_key, last, purpose="hrisPush.list")
        return page(items, more=more, next_cursor=next_cursor)

    return await run_in_threadpool(work)


@router.post(
    "/hrisConnection.create",
    openapi_extra=ats(
        connections.ConnectionCreate, "HrisConnection", errors=[error("hris_connection_already_exists", "Update it.")]
    ),
)
async def hris_connection_create(request: Request, caller: ApiCaller = Depends(require("organizationWrite"))) -> Any:
    body = await read_body(request, connections.ConnectionCreate)
    runtime = get_runtime(request)

    def work(session: Session) -> Any:
        allow_private = runtime.settings.private_network_allowed
        connection = connections.create_connection(
            session, runtime.cipher, caller.organization_id, body, allow_private=allow_private
        )
        return ok(connections.connection_json(connection))

    return await in_transaction(request, work)


@router.post(
    "/hrisConnection.info",
    openapi_extra=ats(
        connections.ConnectionRef, "HrisConnection", errors=[error("hris_connection_not_found", "Not found.")]
    ),
)
async def hris_connection_info(request: Request, caller: ApiCaller = Depends(require("organizationRead"))) -> Any:
    body = await read_body(request, connections.ConnectionRef)

    def work(session: Session) -> Any:
        connection = connections.get_connection(session, caller.organization_id, str(body.hrisConnectionId))
        return ok(connections.connection_json(connection))

    return await in_transaction(request, work)


class ConnectionListBody(AtsModel):
    system: str | None = Field(default=None, min_length=1, max_length=40)


@router.post(
    "/hrisConnection.list",
    openapi_extra=ats(ConnectionListBody, "HrisConnection", many=True),
)
async def hris_connection_list(request: Request, caller: ApiCaller = Depends(require("organizationRead"))) -> Any:
    body = await read_body(request, ConnectionListBody)

    def work(session: Session) -> Any:
        rows = connections.list_connections(session, caller.organization_id, body.system)
        return page([connections.connection_json(c) for c in rows], more=False, next_cursor=None)

    return await in_transaction(request, work)


@router.post(
    "/hrisConnection.update",
    openapi_extra=ats(
        connections.ConnectionUpdate, "HrisConnection", errors=[error("hris_connection_not_found", "Not found.")]
    ),
)
async def hris_connection_update(request: Request, caller: ApiCaller = Depends(require("organizationWrite"))) -> Any:
    body = await read_body(request, connections.ConnectionUpdate)
    runtime = get_runtime(request)

    def work(session: Session) -> Any:
        allow_private = runtime.settings.private_network_allowed
        connection = connections.update_connection(
            session, runtime.cipher, caller.organization_id, body, allow_private=allow_private
        )
        return ok(connections.connection_json(connection))

    return await in_transaction(request, work)


@router.post(
    "/hrisConnection.delete",
    openapi_extra=ats(
        connections.ConnectionRef, "HrisConnectionDeleted", errors=[error("hris_connection_has_active_push", "Wait.")]
    ),
)
async def hris_connection_delete(request: Request, caller: ApiCaller = Depends(require("organizationWrite"))) -> Any:
    body = await read_body(request, connections.ConnectionRef)

    def work(session: Session) -> Any:
        connection = connections.delete_connection(session, caller.organization_id, str(body.hrisConnectionId))
        return ok({"hrisConnectionId": connection.id})

    return await in_transaction(request, work)
