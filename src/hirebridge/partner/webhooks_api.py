"""Partner webhooks, as Pulsifi documents them (``/partner/v1.0/webhooks``), delivered by the delivery engine.

    POST   /partner/v1.0/webhooks                        {name, url, events[], secret?}
    GET    /partner/v1.0/webhooks?page&page_size&sort_by&status&q   -> {total_count, result[]}
    GET    /partner/v1.0/webhooks/{webhook_id}
    PUT    /partner/v1.0/webhooks/{webhook_id}           same body as POST (secret: absent keeps, null removes)
    DELETE /partner/v1.0/webhooks/{webhook_id}           soft delete (is_deleted: true)
    PUT    /partner/v1.0/webhooks/{webhook_id}/status    {"status": "active" | "inactive"}
    POST   /partner/v1.0/webhooks/test                   {"event", "webhook_id"?}: queue a sample event (PUT too,
                                                         as the docs' curl example sends it)

Secrets are stored encrypted (``runtime.cipher``) and never answered. Signing and payloads: docs/partner-webhooks.md.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.egress import url_problem
from hirebridge.errors import FieldError, NotFound, ValidationFailed
from hirebridge.http import parse_model, read_json_body
from hirebridge.openapi import partner
from hirebridge.partner import webhook_events
from hirebridge.partner.auth import Partner
from hirebridge.partner.wire import utc
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime
from hirebridge.webhooks.models import WebhookSubscription

router = APIRouter(prefix="/partner/v1.0/webhooks", tags=["partner: webhooks"])
MAX_BODY_BYTES = 16 * 1024
Event = Literal["candidate_application_result_ready", "candidate_job_recommendation_result_ready"]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    url: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]
    events: Annotated[list[Event], Field(min_length=1, max_length=len(webhook_events.EVENTS))]
    secret: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        # Whether a private address is allowed depends on the service's settings: _apply checks that.
        problem = url_problem(value, allow_private=True)
        if problem is not None:
            raise PydanticCustomError("url", problem)
        return value


class StatusIn(BaseModel):
    status: Literal["active", "inactive"]


class TestEventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: Event
    webhook_id: uuid.UUID | None = None


def webhook_body(row: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": row.id,
        "partner_id": row.organization_id,
        "name": row.name,
        "url": row.url,
        "events": list(row.events),
        "status": "active" if row.is_active else "inactive",
        "has_secret": row.secret_encrypted is not None,
        "is_deleted": row.is_deleted,
        "created_at": utc(row.created_at),
        "created_by": row.created_by,
        "updated_at": utc(row.updated_at),
    }


def _get(session: Session, organization_id: str, webhook_id: str) -> WebhookSubscription:
    try:
        uuid.UUID(webhook_id)
    except ValueError:
        raise NotFound(f"No webhook with id '{webhook_id[:64]}'.", code="WEBHOOK_NOT_FOUND") from None
    row = session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id,
            WebhookSubscription.organization_id == organization_id,
            WebhookSubscription.surface == webhook_events.SURFACE,
            WebhookSubscription.is_deleted.is_(False),
        )
    )
    if row is None:
        raise NotFound(f"No webhook with id '{webhook_id}'.", code="WEBHOOK_NOT_FOUND")
    return row


def _apply(runtime: Runtime, row: WebhookSubscription, data: WebhookIn, *, secret_sent: bool) -> None:
    problem = url_problem(data.url, allow_private=runtime.settings.private_network_allowed)
    if problem is not None:
        raise ValidationFailed([FieldError("url", problem)])
    row.name, row.url, row.events = data.name, data.url, list(dict.fromkeys(data.events))
    if secret_sent:
        row.secret_encrypted = runtime.cipher.encrypt_str(data.secret) if data.secret is not None else None


@router.post(
    "",
    summary="Create a webhook",
    openapi_extra=partner(WebhookIn, "PartnerWebhook"),
)
async def create_webhook(request: Request, partner: Partner) -> dict[str, Any]:
    runtime = get_runtime(request)
    data = parse_model(WebhookIn, await read_json_body(request, MAX_BODY_BYTES))

    def work() -> dict[str, Any]:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            row = WebhookSubscription(
                organization_id=partner.organization_id, surface=webhook_events.SURFACE, created_by=partner.client_id
            )
            _apply(runtime, row, data, secret_sent=True)
            session.add(row)
            session.flush()
            return webhook_body(row)

    return await run_in_threadpool(work)


@router.get(
    "",
    summary="List webhooks",
    openapi_extra=partner(None, "PartnerWebhookList"),
)
def list_webhooks(
    request: Request,
    partner: Partner,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
    sort_by: Literal["created_at", "name", "updated_at"] = "created_at",
    status: Literal["active", "inactive"] | None = None,
    q: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    conditions = [
        WebhookSubscription.organization_id == partner.organization_id,
        WebhookSubscription.surface == webhook_events.SURFACE,
        WebhookSubscription.is_deleted.is_(False),
    ]
    if status is not None:
        conditions.append(WebhookSubscription.is_active.is_(status == "active"))
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                WebhookSubscription.name.ilike(pattern, escape="\\"),
                WebhookSubscription.url.ilike(pattern, escape="\\"),
            )
        )
    order = getattr(WebhookSubscription, sort_by)
    with get_runtime(request).transaction() as session:
        total = session.scalar(select(func.count()).select_from(WebhookSubscription).where(*conditions)) or 0
        rows = session.scalars(
            select(WebhookSubscription)
            .where(*conditions)
            .order_by(order, WebhookSubscription.id)
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        return {"total_count": total, "result": [webhook_body(row) for row in rows]}


async def _send_test(request: Request, partner: Partner) -> dict[str, Any]:
    runtime = get_runtime(request)
    data = parse_model(TestEventIn, await read_json_body(request, MAX_BODY_BYTES))

    def work() -> dict[str, Any]:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            if data.webhook_id is not None:
                targets = [_get(session, partner.organization_id, str(data.webhook_id))]
            else:
                targets = webhook_events.subscribers(session, partner.organization_id, data.event)
            envelope = webhook_events.event_envelope(data.event, _sample(data.event))
            envelope["test"] = True
            deliveries = [
                {
                    "webhook_id": row.id,
                    "delivery_id": webhook_events.enqueue_event(session, runtime, row, envelope, None).id,
                }
                for row in targets
            ]
            return {"event": data.event, "event_id": envelope["event_id"], "deliveries": deliveries}

    return await run_in_threadpool(work)


def _sample(event: str) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "candidate_id": "00000000-0000-4000-8000-000000000000",
        "ext_job_id": "TEST-JOB",
        "ext_candidate_id": "TEST-CANDIDATE",
        "ext_application_id": "TEST-APPLICATION",
        "status": "completed",
    }
    if event == webhook_events.RESULT_READY:
        sample.update(
            report_pdf_link=None,
            report_profile_link=None,
            scores=[
                {"score_format": 100, "score_type": "role_fit", "score_value": 85},
                {"score_format": 100, "score_type": "organizational_fit", "score_value": 90},
            ],
        )
    return sample


router.add_api_route(
    "/test",
    _send_test,
    methods=["POST"],
    summary="Send a test event",
    openapi_extra=partner(
        TestEventIn, "PartnerTestEvent", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)
router.add_api_route(
    "/test",
    _send_test,
    methods=["PUT"],
    summary="Send a test event (the docs' curl verb)",
    openapi_extra=partner(
        TestEventIn, "PartnerTestEvent", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)


@router.get(
    "/{webhook_id}",
    summary="Get a webhook",
    openapi_extra=partner(
        None, "PartnerWebhook", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)
def get_webhook(request: Request, partner: Partner, webhook_id: str) -> dict[str, Any]:
    with get_runtime(request).transaction() as session:
        return webhook_body(_get(session, partner.organization_id, webhook_id))


@router.put(
    "/{webhook_id}",
    summary="Update a webhook",
    openapi_extra=partner(
        WebhookIn, "PartnerWebhook", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)
async def update_webhook(request: Request, partner: Partner, webhook_id: str) -> dict[str, Any]:
    runtime = get_runtime(request)
    raw = await read_json_body(request, MAX_BODY_BYTES)
    data = parse_model(WebhookIn, raw)

    def work() -> dict[str, Any]:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            row = _get(session, partner.organization_id, webhook_id)
            _apply(runtime, row, data, secret_sent="secret" in raw)
            session.flush()
            return webhook_body(row)

    return await run_in_threadpool(work)


@router.delete(
    "/{webhook_id}",
    summary="Delete a webhook",
    openapi_extra=partner(
        None, "PartnerWebhook", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)
def delete_webhook(request: Request, partner: Partner, webhook_id: str) -> dict[str, Any]:
    with get_runtime(request).transaction() as session:
        row = _get(session, partner.organization_id, webhook_id)
        row.is_deleted, row.is_active = True, False
        session.flush()
        return webhook_body(row)


@router.put(
    "/{webhook_id}/status",
    summary="Activate or deactivate a webhook",
    openapi_extra=partner(
        StatusIn, "PartnerWebhook", errors=[NotFound("No webhook with id 'x'.", code="WEBHOOK_NOT_FOUND")]
    ),
)
async def set_status(request: Request, partner: Partner, webhook_id: str) -> dict[str, Any]:
    runtime = get_runtime(request)
    data = parse_model(StatusIn, await read_json_body(request, MAX_BODY_BYTES))

    def work() -> dict[str, Any]:  # in a worker thread: no database work on the event loop
        with runtime.transaction() as session:
            row = _get(session, partner.organization_id, webhook_id)
            row.is_active = data.status == "active"
            session.flush()
            return webhook_body(row)

    return await run_in_threadpool(work)
