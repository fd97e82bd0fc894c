"""Plumbing the ATS endpoint modules share: running database work off the event loop, writes under an
``Idempotency-Key``, and loading an organization's record by id (another organization's id is simply not found)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats import idempotency
from hirebridge.ats.auth import ApiCaller
from hirebridge.ats.envelope import not_found
from hirebridge.web import get_runtime

T = TypeVar("T")
IDEMPOTENCY_WAIT_SECONDS = 10.0


async def in_transaction(request: Request, work: Callable[[Session], T]) -> T:
    """``work`` in one database transaction, in a worker thread."""
    runtime = get_runtime(request)

    def run() -> T:
        with runtime.transaction() as session:
            return work(session)

    return await run_in_threadpool(run)


async def write(
    request: Request, caller: ApiCaller, endpoint: str, body: BaseModel, work: Callable[[Session], dict[str, Any]]
) -> Response:
    """A write endpoint's answer: ``work`` in a transaction, replayed for a repeated ``Idempotency-Key``."""
    runtime = get_runtime(request)

    def run() -> dict[str, Any]:
        with runtime.transaction() as session:
            return work(session)

    return await idempotency.respond(
        request,
        organization_id=caller.organization_id,
        endpoint=endpoint,
        body=body.model_dump(mode="json"),
        work=run,
        wait_seconds=IDEMPOTENCY_WAIT_SECONDS,
    )


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def get_owned(session: Session, model: type[T], organization_id: str, entity_id: str, what: str, field: str) -> T:
    """The organization's ``model`` row with this id, else ``<what>_not_found`` (for a malformed id too)."""
    row: Any = None
    if is_uuid(entity_id):
        entity: Any = model
        row = session.scalar(select(entity).where(entity.id == entity_id, entity.organization_id == organization_id))
    if row is None:
        raise not_found(what, entity_id, field=field)
    result: T = row
    return result
