"""Ashby's webhook settings endpoints: ``webhook.create``, ``.info``, ``.list``, ``.update``, ``.delete``.

One event type per webhook (``webhookType``), a ``requestUrl`` and an optional ``secretToken`` that signs every
payload (see ``ats.events``). Writes need ``apiKeysWrite`` and reads ``apiKeysRead``, as in Ashby. The secret is
stored encrypted; ``webhook.create`` and ``webhook.update`` answer ``secretToken`` as Ashby does, but only the token
that very request sent, never a stored one (``hasSecretToken``, an extension, says whether one is set).
``webhook.list`` is a hirebridge extension. Deleting keeps the row, marked
deleted, so the deliveries already made still name their subscription.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.envelope import ok, read_body
from hirebridge.ats.events import EMITTED_TYPES, SURFACE, WEBHOOK_TYPES
from hirebridge.egress import url_problem
from hirebridge.errors import AppError, FieldError, NotFound, ValidationFailed
from hirebridge.openapi import ats, error
from hirebridge.runtime import Runtime
from hirebridge.web import get_runtime
from hirebridge.webhooks.models import WebhookSubscription

router = APIRouter(tags=["ATS: webhooks"])

MAX_WEBHOOKS_PER_ORGANIZATION = 100


def _check_url(value: str) -> str:
    # Whether a private address is allowed depends on the service's settings: _callable checks that.
    problem = url_problem(value, allow_private=True)
    if problem is not None:
        raise ValueError(problem)
    return value


def _callable(runtime: Runtime, url: str | None) -> None:
    """Refuse a URL the outbound guard would never call, now rather than at every delivery."""
    if url is not None and (problem := url_problem(url, allow_private=runtime.settings.private_network_allowed)):
        raise ValidationFailed([FieldError("requestUrl", problem)], code="invalid_input")


def _check_type(value: str) -> str:
    if value not in WEBHOOK_TYPES:
        raise ValueError(f"must be one of: {', '.join(WEBHOOK_TYPES)}")
    return value


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    webhookType: str = Field(min_length=1, max_length=60)
    requestUrl: str = Field(min_length=1, max_length=2048)
    secretToken: str | None = Field(default=None, min_length=1, max_length=512)
    enabled: bool = True

    @field_validator("webhookType")
    @classmethod
    def _type(cls, value: str) -> str:
        return _check_type(value)

    @field_validator("requestUrl")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)


class WebhookRef(BaseModel):
    webhookId: UUID = Field(validation_alias=AliasChoices("webhookId", "id"))


class WebhookUpdate(WebhookRef):
    requestUrl: str | None = Field(default=None, min_length=1, max_length=2048)
    secretToken: str | None = Field(default=None, min_length=1, max_length=512)
    enabled: bool | None = None

    @field_validator("requestUrl")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value) if value is not None else None


def webhook_json(subscription: WebhookSubscription, sent_secret: str | None = None) -> dict[str, Any]:
    """The webhook setting; ``sent_secret`` is the token the request being answered sent, if it sent one."""
    body: dict[str, Any] = {
        "id": subscription.id,
        "enabled": subscription.is_active,
        "requestUrl": subscription.url,
        "webhookType": (subscription.events or [""])[0],
        "hasSecretToken": subscription.secret_encrypted is not None,
    }
    if sent_secret is not None:
        body["secretToken"] = sent_secret
    return body


def _get(session: Session, organization_id: str, webhook_id: UUID) -> WebhookSubscription:
    row = session.get(WebhookSubscription, str(webhook_id))
    if row is None or row.organization_id != organization_id or row.surface != SURFACE or row.is_deleted:
        raise NotFound("Webhook not found.", code="webhook_not_found")
    return row


@router.post(
    "/webhook.create",
    openapi_extra=ats(
        WebhookCreate, "WebhookSettingWithSecret", errors=[error("webhook_limit_reached", "At most 100 webhooks.")]
    ),
)
async def webhook_create(request: Request, caller: ApiCaller = Depends(require("apiKeysWrite"))) -> Any:
    body = await read_body(request, WebhookCreate)
    runtime = get_runtime(request)
    _callable(runtime, body.requestUrl)

    def work() -> Any:
        with runtime.transaction() as session:
            count = session.scalar(
                select(func.count())
                .select_from(WebhookSubscription)
                .where(
                    WebhookSubscription.organization_id == caller.organization_id,
                    WebhookSubscription.surface == SURFACE,
                    WebhookSubscription.is_deleted.is_(False),
                )
            )
            if (count or 0) >= MAX_WEBHOOKS_PER_ORGANIZATION:
                limit = MAX_WEBHOOKS_PER_ORGANIZATION
                raise AppError("webhook_limit_reached", f"An organization can have at most {limit} webhooks.")
            row = WebhookSubscription(
                organization_id=caller.organization_id,
                surface=SURFACE,
                name=body.webhookType,
                url=body.requestUrl,
                events=[body.webhookType],
                secret_encrypted=runtime.cipher.encrypt_str(body.secretToken) if body.secretToken else None,
                is_active=body.enabled,
                is_deleted=False,
                created_by=f"apiKey:{caller.api_key_id}"[:100],
                extra={},
            )
            session.add(row)
            session.flush()
            answer = webhook_json(row, body.secretToken)
        warnings = (
            None
            if body.webhookType in EMITTED_TYPES
            else [f"webhook_type_not_emitted: this service does not emit {body.webhookType} events yet"]
        )
        return ok(answer, warnings=warnings)

    return await run_in_threadpool(work)


@router.post(
    "/webhook.info",
    openapi_extra=ats(WebhookRef, "WebhookSetting", errors=[error("webhook_not_found", "Webhook not found.")]),
)
async def webhook_info(request: Request, caller: ApiCaller = Depends(require("apiKeysRead"))) -> Any:
    body = await read_body(request, WebhookRef)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.sessions() as session:
            return ok(webhook_json(_get(session, caller.organization_id, body.webhookId)))

    return await run_in_threadpool(work)


@router.post(
    "/webhook.list",
    openapi_extra=ats(None, "WebhookSetting", many=True),
)
async def webhook_list(request: Request, caller: ApiCaller = Depends(require("apiKeysRead"))) -> Any:
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.sessions() as session:
            rows = session.scalars(
                select(WebhookSubscription)
                .where(
                    WebhookSubscription.organization_id == caller.organization_id,
                    WebhookSubscription.surface == SURFACE,
                    WebhookSubscription.is_deleted.is_(False),
                )
                .order_by(WebhookSubscription.created_at, WebhookSubscription.id)
            )
            return ok([webhook_json(row) for row in rows])

    return await run_in_threadpool(work)


@router.post(
    "/webhook.update",
    openapi_extra=ats(
        WebhookUpdate, "WebhookSettingWithSecret", errors=[error("webhook_not_found", "Webhook not found.")]
    ),
)
async def webhook_update(request: Request, caller: ApiCaller = Depends(require("apiKeysWrite"))) -> Any:
    body = await read_body(request, WebhookUpdate)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.transaction() as session:
            row = _get(session, caller.organization_id, body.webhookId)
            if body.requestUrl is not None:
                _callable(runtime, body.requestUrl)
                row.url = body.requestUrl
            if body.secretToken is not None:
                row.secret_encrypted = runtime.cipher.encrypt_str(body.secretToken)
            if body.enabled is not None:
                row.is_active = body.enabled
            session.flush()
            return ok(webhook_json(row, body.secretToken))

    return await run_in_threadpool(work)


@router.post(
    "/webhook.delete",
    openapi_extra=ats(WebhookRef, "WebhookDeleted", errors=[error("webhook_not_found", "Webhook not found.")]),
)
async def webhook_delete(request: Request, caller: ApiCaller = Depends(require("apiKeysWrite"))) -> Any:
    body = await read_body(request, WebhookRef)
    runtime = get_runtime(request)

    def work() -> Any:
        with runtime.transaction() as session:
            row = _get(session, caller.organization_id, body.webhookId)
            row.is_deleted = True
            row.is_active = False
            return ok({"webhookId": row.id})

    return await run_in_threadpool(work)
