"""Ashby-style webhook events: one delivery job per matching subscription, signed, rendered once.

``emit`` renders ``{"webhookActionId", "action", "data"}`` once, with a ``webhookActionId`` fixed at that moment
and shared by every subscription to the event (Ashby: the receiver's dedupe key), signs it per subscription
(``Ashby-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>``) and enqueues a ``webhook`` delivery job in the
caller's transaction, so a retry resends the very same bytes. Schedule as Ashby documents: 10 attempts, delays of
(2^n - 1) x 10 s, no retry on 401, 403, 404, 405, 410.

Call sites: ``candidate_hired`` when an application becomes Hired, ``offer_updated`` when an offer's status changes,
each in the transaction that made the change. ``push_finished`` subscribes to ``hris.events`` (the push domain
announces a push reaching succeeded or failed, in the transaction that records it, and never imports this module);
``delivery.handlers.HANDLER_MODULES`` lists this module so that every worker process subscribes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirebridge.ats.pushes import push_json
from hirebridge.ats.serializers import application_json, offer_json
from hirebridge.core.models import Application, Offer, OfferStatus
from hirebridge.delivery.backoff import Backoff
from hirebridge.delivery.models import DeliveryJob
from hirebridge.delivery.webhook import enqueue_webhook
from hirebridge.hris import events as hris_events
from hirebridge.hris.models import HrisPush
from hirebridge.runtime import Runtime
from hirebridge.webhooks.models import WebhookSubscription

SURFACE = "ats"
SIGNATURE_HEADER = "Ashby-Signature"
NO_RETRY_STATUSES = (401, 403, 404, 405, 410)
MAX_ATTEMPTS = 10

# Ashby's webhook.create enum (its OpenAPI document; see ats/ashby_schemas.json, WebhookType): the types a webhook
# setting can have. Its payload catalog has a few more (jobCreate, jobUpdate, openingCreate, signatureRequestUpdate)
# that webhook.create does not accept.
WEBHOOK_TYPES = (
    "applicationSubmit",
    "applicationUpdate",
    "candidateHire",
    "candidateStageChange",
    "candidateDelete",
    "candidateMerge",
    "interviewPlanTransition",
    "interviewScheduleCreate",
    "interviewScheduleUpdate",
    "jobPostingUpdate",
    "jobPostingPublish",
    "jobPostingUnpublish",
    "offerCreate",
    "offerUpdate",
    "offerDelete",
    "pushToHRIS",
    "surveySubmit",
)
# The events this service emits today; the others can be subscribed to but never fire.
EMITTED_TYPES = frozenset({"candidateHire", "offerUpdate", "pushToHRIS"})


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def subscriptions(session: Session, organization_id: str, action: str) -> list[WebhookSubscription]:
    rows = session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.organization_id == organization_id,
            WebhookSubscription.surface == SURFACE,
            WebhookSubscription.is_active.is_(True),
            WebhookSubscription.is_deleted.is_(False),
        )
        .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
    )
    return [row for row in rows if action in (row.events or [])]


def emit(
    runtime: Runtime,
    session: Session,
    *,
    organization_id: str,
    action: str,
    data: Callable[[], dict[str, Any] | None],
) -> list[DeliveryJob]:
    """Queue the event to every active subscription of the organization to ``action``; returns the jobs.

    ``data`` builds the payload, and is called only when someone subscribed: the outcome of every push passes
    through here, and serialising an application costs more than the push's own bookkeeping.
    """
    targets = subscriptions(session, organization_id, action)
    if not targets:
        return []
    payload = data()
    if payload is None:
        return []
    envelope = {"webhookActionId": str(uuid.uuid4()), "action": action, "data": payload}
    body = json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str)
    raw = body.encode()
    jobs = []
    for subscription in targets:
        headers = {"Content-Type": "application/json", "User-Agent": "hirebridge-webhooks"}
        if subscription.secret_encrypted:
            headers[SIGNATURE_HEADER] = sign(runtime.cipher.decrypt_str(subscription.secret_encrypted), raw)
        jobs.append(
            enqueue_webhook(
                session,
                organization_id=organization_id,
                url=subscription.url,
                body=body,
                headers=headers,
                no_retry_statuses=NO_RETRY_STATUSES,
                subject_id=subscription.id,
                max_attempts=MAX_ATTEMPTS,
                backoff=Backoff.ashby(),
            )
        )
    return jobs


def _application_data(session: Session, application_id: str) -> dict[str, Any] | None:
    application = session.get(Application, application_id)
    return application_json(application) if application is not None else None


def push_finished(runtime: Runtime, session: Session, organization_id: str, push_id: str) -> list[DeliveryJob]:
    """``pushToHRIS``: Ashby's payload is ``{"application"}``; ``hrisPush`` adds the push's outcome.

    Takes the push's id: the push is loaded (from the session if it is there) only when someone subscribed.
    """

    def data() -> dict[str, Any] | None:
        push = session.get(HrisPush, push_id)
        if push is None:
            return None
        application = _application_data(session, push.application_id)
        if application is None:
            return None
        return {"application": application, "hrisPush": push_json(session, push)}

    return emit(runtime, session, organization_id=organization_id, action="pushToHRIS", data=data)


def candidate_hired(runtime: Runtime, session: Session, application: Application) -> list[DeliveryJob]:
    """``candidateHire``: the application and its most recent accepted offer, if one exists."""

    def data() -> dict[str, Any]:
        payload: dict[str, Any] = {"application": application_json(application)}
        offer = session.scalars(
            select(Offer)
            .where(Offer.application_id == application.id, Offer.status == OfferStatus.CANDIDATE_ACCEPTED)
            .order_by(Offer.created_at.desc(), Offer.id.desc())
        ).first()
        if offer is not None:
            payload["offer"] = offer_json(offer)
        return payload

    return emit(runtime, session, organization_id=application.organization_id, action="candidateHire", data=data)


def offer_updated(runtime: Runtime, session: Session, offer: Offer) -> list[DeliveryJob]:
    """``offerUpdate``: the offer as ``offer.info`` answers it."""
    return emit(
        runtime,
        session,
        organization_id=offer.organization_id,
        action="offerUpdate",
        data=lambda: {"offer": offer_json(offer)},
    )


hris_events.on_push_finished(push_finished)
