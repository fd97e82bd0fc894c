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
- Keys are scoped per organization.

A request that died without answering (its API process was killed) is noticed by its lease: the claim holds a
``LEASE_SECONDS`` lease that the live request renews every ``RENEW_SECONDS`` while it works, so a lease that ran out
means the owner is gone, and the next request with the key takes the claim over (a compare-and-set on ``owner``).
A push started under the key is linked to the claim (``link``) in the transaction that creates or joins it, so
the new owner answers from *that* push (``started``) instead of starting another, and a push that was never
committed was never started. Everything the owner writes afterwards (the link, the answer) is fenced by ``owner``:
a request that lost its claim writes nothing, so there is one push and one stored answer per key, whoever gave it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.models import IdempotencyRecord
from hirebridge.db.types import utcnow
from hirebridge.errors import AppError, FieldError, ValidationFailed
from hirebridge.runtime import Runtime
from hirebridge.web import ashby_error, get_runtime, request_id

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
LEASE_SECONDS = 8.0  # a claim whose lease ran out belongs to a request that died ...
RENEW_SECONDS = 2.0  # ... because a live one renews it this often
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """Either this request owns the key (``record_id``, as ``owner``) or it must replay ``replay``.

    ``subject_id``: the push an earlier owner of the key started before it died, which this request answers from.
    """

    record_id: str | None = None
    replay: StoredAnswer | None = None
    owner: str | None = None
    subject_id: str | None = None


@dataclass(frozen=True)
class _Held:
    record_id: str
    owner: str
    subject_id: str | None


_HELD: ContextVar[_Held | None] = ContextVar("hirebridge_idempotency_claim", default=None)


def _new_owner() -> str:
    """A token for one claim: the process (host and pid, for people reading the row) and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(6)}"


def started() -> str | None:
    """In the work of a request that took over a dead request's key: the push that request started, else None."""
    held = _HELD.get()
    return held.subject_id if held is not None else None


def link(session: Session, subject_id: str) -> None:
    """Record, in the caller's transaction (the one that starts or joins the push), what the request holding the
    key started. Raises ``idempotency_key_in_progress`` (rolling that transaction back) if the claim was taken over
    meanwhile: the new owner answers. Does nothing outside a request with an ``Idempotency-Key``."""
    held = _HELD.get()
    if held is None:
        return
    linked = session.execute(
        update(IdempotencyRecord)
        .where(
            IdempotencyRecord.id == held.record_id,
            IdempotencyRecord.owner == held.owner,
            IdempotencyRecord.status_code.is_(None),
        )
        .values(subject_id=subject_id, lease_expires_at=utcnow() + timedelta(seconds=LEASE_SECONDS))
    )
    if getattr(linked, "rowcount", 0) != 1:
        raise in_progress_error()


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
        lease = now + timedelta(seconds=LEASE_SECONDS)
        owner = _new_owner()
        if record is None:
            record = IdempotencyRecord(
                organization_id=organization_id,
                key=key,
                endpoint=endpoint,
                request_sha256=request_sha256,
                expires_at=now + KEY_TTL,
                owner=owner,
                lease_expires_at=lease,
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
                return Claim(record_id=record.id, owner=owner)
        if record.endpoint != endpoint or record.request_sha256 != request_sha256:
            raise reused_error(endpoint)
        if record.status_code is not None and record.response is not None:
            return Claim(replay=StoredAnswer(record.status_code, record.response))
        if record.lease_expires_at is None or record.lease_expires_at <= now:
            # Its owner stopped renewing: the request died (or gave the claim back). Take it over, once.
            same_owner = (
                IdempotencyRecord.owner.is_(None) if record.owner is None else IdempotencyRecord.owner == record.owner
            )
            lapsed = or_(IdempotencyRecord.lease_expires_at.is_(None), IdempotencyRecord.lease_expires_at <= now)
            taken = session.execute(  # re-checked on the row as it is now: a renewal that just landed wins
                update(IdempotencyRecord)
                .where(IdempotencyRecord.id == record.id, same_owner, lapsed, IdempotencyRecord.status_code.is_(None))
                .values(owner=owner, lease_expires_at=lease)
            )
            if getattr(taken, "rowcount", 0) == 1:
                log.info(
                    "idempotency claim %s taken over from a request that stopped answering%s",
                    record.id,
                    f"; answering from push {record.subject_id}" if record.subject_id else "; it had started nothing",
                )
                return Claim(record_id=record.id, owner=owner, subject_id=record.subject_id)
        return None


def _find(session: Session, organization_id: str, key: str) -> IdempotencyRecord | None:
    record: IdempotencyRecord | None = session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
        )
    ).first()
    return record


def _renew(runtime: Runtime, held: _Held) -> None:
    """Extend the live request's lease; a failure to is only logged (the claim may then be taken over, safely)."""
    try:
        with runtime.transaction() as session:
            session.execute(
                update(IdempotencyRecord)
                .where(
                    IdempotencyRecord.id == held.record_id,
                    IdempotencyRecord.owner == held.owner,
                    IdempotencyRecord.status_code.is_(None),
                )
                .values(lease_expires_at=utcnow() + timedelta(seconds=LEASE_SECONDS))
            )
    except SQLAlchemyError as exc:
        log.warning("could not renew idempotency claim %s: %s", held.record_id, type(exc).__name__)


def store(runtime: Runtime, held: _Held, status_code: int, body: dict[str, Any]) -> None:
    """Keep the answer of the request that holds the key (nothing, if another took the claim over)."""
    with runtime.transaction() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == held.record_id, IdempotencyRecord.owner == held.owner)
            .values(status_code=status_code, response=body, owner=None, lease_expires_at=None, updated_at=utcnow())
        )


def release(runtime: Runtime, held: _Held) -> None:
    """Give back a claim whose request produced no answer worth replaying: forget it if it started nothing, else
    let the next request with the key take it over at once and answer from what was started."""
    mine = (
        IdempotencyRecord.id == held.record_id,
        IdempotencyRecord.owner == held.owner,
        IdempotencyRecord.status_code.is_(None),
    )
    with runtime.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(*mine, IdempotencyRecord.subject_id.is_(None)))
        session.execute(update(IdempotencyRecord).where(*mine).values(owner=None, lease_expires_at=utcnow()))


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
    assert claimed.owner is not None
    held = _Held(claimed.record_id, claimed.owner, claimed.subject_id)
    try:
        answer = await _run_holding(runtime, held, work)
    except AppError as error:
        if isinstance(error, ValidationFailed) or error.http_status >= 500:
            await run_in_threadpool(release, runtime, held)
            raise
        response = ashby_error(error, request_id(request))
        await run_in_threadpool(store, runtime, held, response.status_code, json.loads(bytes(response.body)))
        return response
    except BaseException:
        await run_in_threadpool(release, runtime, held)
        raise
    await run_in_threadpool(store, runtime, held, 200, answer)
    return JSONResponse(answer)


async def _run_holding(runtime: Runtime, held: _Held, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``work`` in a thread, holding the claim (``started``/``link`` see it), its lease renewed while it runs."""

    def run() -> dict[str, Any]:
        token = _HELD.set(held)
        try:
            return work()
        finally:
            _HELD.reset(token)

    async def renew() -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await run_in_threadpool(_renew, runtime, held)

    renewer = asyncio.create_task(renew())
    try:
        return await run_in_threadpool(run)
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
