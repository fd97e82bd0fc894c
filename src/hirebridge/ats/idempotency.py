"""``Idempotency-Key`` for ATS writes, with Stripe's semantics.

- The first request with a key claims it (a row with no answer yet); its answer, success or business error, is
  stored and replayed for 24 h to any later request with the same key and the same body, byte for byte the same
  JSON, with ``Idempotent-Replayed: true``.
- The same key with a different body, or on another endpoint, is refused (``idempotency_key_reused``).
- A request that arrives while the first is still running waits for its answer (bounded); if there is still none,
  it is refused with ``idempotency_key_in_progress`` and may be retried.
- As at Stripe, nothing is stored for a request that never began its work: invalid input is answered before the
  key is claimed, and an unexpected server error releases the key (retrying then is safe for pushes, which join
  the active push instead of creating another).
- Keys are scoped per organization. A claim whose request died without answering is taken over after
  ``ABANDONED_AFTER``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.models import IdempotencyRecord
from hirebridge.db.types import utcnow
from hirebridge.errors import AppError, FieldError, ValidationFailed
from hirebridge.runtime import Runtime
from hirebridge.web import ashby_error, get_runtime, request_id

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
ABANDONED_AFTER = timedelta(seconds=120)
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """Either this request owns the key (``record_id``) or it must replay ``replay``."""

    record_id: str | None = None
    replay: StoredAnswer | None = None


def validate_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            [FieldError(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters")],
            code="invalid_input",
        )
    return key


def fingerprint(body: Any) -> str:
    """SHA-256 of the body as canonical JSON, so key order and whitespace do not make two bodies differ."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reused_error(endpoint: str) -> AppError:
    return AppError(
        "idempotency_key_reused",
        f"This Idempotency-Key was already used with a different request body or endpoint (now {endpoint}); "
        "use a new key for a different request.",
        409,
    )


def in_progress_error() -> AppError:
    return AppError(
        "idempotency_key_in_progress",
        "A request with this Idempotency-Key is still being processed; retry it shortly to get its answer.",
        409,
    )


def claim(
    runtime: Runtime, *, organization_id: str, key: str, endpoint: str, request_sha256: str, wait_seconds: float
) -> Claim:
    """Claim the key, or find the answer to replay; waits up to ``wait_seconds`` for a request still running."""
    deadline = time.monotonic() + wait_seconds
    while True:
        outcome = _try_claim(runtime, organization_id, key, endpoint, request_sha256)
        if outcome is not None:
            return outcome
        if time.monotonic() >= deadline:
            raise in_progress_error()
        time.sleep(POLL_SECONDS)


def _try_claim(runtime: Runtime, organization_id: str, key: str, endpoint: str, request_sha256: str) -> Claim | None:
    now = utcnow()
    with runtime.transaction() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.expires_at < now
            )
        )
        record = _find(session, organization_id, key)
        if record is None:
            record = IdempotencyRecord(
                organization_id=organization_id,
                key=key,
                endpoint=endpoint,
                request_sha256=request_sha256,
                expires_at=now + KEY_TTL,
            )
            try:
                with session.begin_nested():
                    session.add(record)
            except IntegrityError:
                # A concurrent request with the same key inserted first; read its row.
                record = _find(session, organization_id, key)
                if record is None:
                    return None
            else:
                return Claim(record_id=record.id)
        if record.endpoint != endpoint or record.request_sha256 != request_sha256:
            raise reused_error(endpoint)
        if record.status_code is not None and record.response is not None:
            return Claim(replay=StoredAnswer(record.status_code, record.response))
        if record.updated_at < now - ABANDONED_AFTER:
            taken = session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record.id, IdempotencyRecord.updated_at == record.updated_at)
                .values(updated_at=now)
            )
            if getattr(taken, "rowcount", 0) == 1:
                return Claim(record_id=record.id)
        return None


def _find(session: Session, organization_id: str, key: str) -> IdempotencyRecord | None:
    record: IdempotencyRecord | None = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
        )
    ).first()
    return record


def store(runtime: Runtime, record_id: str, status_code: int, body: dict[str, Any]) -> None:
    """Keep the answer of the request that claimed the key."""
    with runtime.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status_code=status_code, response=body, updated_at=utcnow())
        )


def release(runtime: Runtime, record_id: str) -> None:
    """Forget a claim whose request never produced an answer worth replaying."""
    with runtime.transaction() as session:
        session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id, IdempotencyRecord.status_code.is_(None))
        )


def purge_expired(runtime: Runtime) -> int:
    """Delete every expired record (claims also purge their own organization's); returns how many went."""
    with runtime.transaction() as session:
        result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)


async def respond(
    request: Request,
    *,
    organization_id: str,
    endpoint: str,
    body: Any,
    work: Callable[[], dict[str, Any]],
    wait_seconds: float,
) -> Response:
    """Run ``work`` (sync, in a thread) under the request's Idempotency-Key, if it sent one.

    ``body`` is the validated request body (as JSON-able data) that a replay must match.
    """
    key = request.headers.get(HEADER)
    if key is None:
        return JSONResponse(await run_in_threadpool(work))
    runtime = get_runtime(request)
    claimed = await run_in_threadpool(
        claim,
        runtime,
        organization_id=organization_id,
        key=validate_key(key),
        endpoint=endpoint,
        request_sha256=fingerprint({"endpoint": endpoint, "body": body}),
        wait_seconds=wait_seconds,
    )
    if claimed.replay is not None:
        return JSONResponse(
            claimed.replay.body, status_code=claimed.replay.status_code, headers={REPLAYED_HEADER: "true"}
        )
    assert claimed.record_id is not None
    try:
        answer = await run_in_threadpool(work)
    except AppError as error:
        if isinstance(error, ValidationFailed) or error.http_status >= 500:
            await run_in_threadpool(release, runtime, claimed.record_id)
            raise
        response = ashby_error(error, request_id(request))
        await run_in_threadpool(
            store, runtime, claimed.record_id, response.status_code, json.loads(bytes(response.body))
        )
        return response
    except BaseException:
        await run_in_threadpool(release, runtime, claimed.record_id)
        raise
    await run_in_threadpool(store, runtime, claimed.record_id, 200, answer)
    return JSONResponse(answer)
