"""Partner webhook events: the signed payload and its queueing on the delivery engine.

Signing (documented for receivers in docs/partner-webhooks.md): with a subscription secret, the request carries
``X-Hirebridge-Timestamp: <unix seconds>`` and ``X-Hirebridge-Signature: sha256=<hex>``, the HMAC-SHA256 under the
secret of ``f"{timestamp}.{raw_body}"``. ``X-Hirebridge-Event-Id`` is the same on every retry (the receiver's
dedupe key), and a retry resends the very bytes first signed, timestamp included.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.db.types import utcnow
from hirebridge.delivery.models import DeliveryJob
from hirebridge.delivery.webhook import enqueue_webhook
from hirebridge.partner.wire import utc
from hirebridge.runtime import Runtime
from hirebridge.webhooks.models import WebhookSubscription

RESULT_READY = "candidate_application_result_ready"
JOB_RECOMMENDATION_READY = "candidate_job_recommendation_result_ready"
EVENTS = (RESULT_READY, JOB_RECOMMENDATION_READY)
SURFACE = "partner"
# Receivers answering these will never accept the delivery: stop instead of retrying (as Ashby does).
NO_RETRY_STATUSES = (401, 403, 404, 405, 410)


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_envelope(event: str, data: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {"event": event, "event_id": event_id or str(uuid.uuid4()), "created_at": utc(utcnow()), "data": data}


def signed_request(
    runtime: Runtime, subscription: WebhookSubscription, envelope: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    body = json.dumps(envelope, separators=(",", ":"), sort_keys=True)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "hirebridge-webhooks",
        "X-Hirebridge-Event": str(envelope["event"]),
        "X-Hirebridge-Event-Id": str(envelope["event_id"]),
        "X-Hirebridge-Timestamp": timestamp,
    }
    if subscription.secret_encrypted:
        headers["X-Hirebridge-Signature"] = signature(
            runtime.cipher.decrypt_str(subscription.secret_encrypted), timestamp, body
        )
    return body, headers


def enqueue_event(
    session: Session,
    runtime: Runtime,
    subscription: WebhookSubscription,
    envelope: dict[str, Any],
    subject_id: str | None,
) -> DeliveryJob:
    body, headers = signed_request(runtime, subscription, envelope)
    return enqueue_webhook(
        session,
        organization_id=subscription.organization_id,
        url=subscription.url,
        body=body,
        headers=headers,
        no_retry_statuses=NO_RETRY_STATUSES,
        subject_id=subject_id,
        dedupe_key=f"partner-webhook:{subscription.id}:{envelope['event_id']}",
    )


def subscribers(session: Session, organization_id: str, event: str) -> list[WebhookSubscription]:
    rows = session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.organization_id == organization_id,
            WebhookSubscription.surface == SURFACE,
            WebhookSubscription.is_active.is_(True),
            WebhookSubscription.is_deleted.is_(False),
        )
    ).all()
    return [row for row in rows if event in (row.events or [])]


def publish(
    session: Session, runtime: Runtime, organization_id: str, event: str, data: dict[str, Any], subject_id: str | None
) -> int:
    """Queue ``event`` to every active subscriber, in the caller's transaction; the number queued."""
    queued = 0
    for subscription in subscribers(session, organization_id, event):
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hirebridge:{event}:{subject_id}")) if subject_id else None
        enqueue_event(session, runtime, subscription, event_envelope(event, data, event_id), subject_id)
        queued += 1
    return queued
