"""``apiKey.create``, ``apiKey.list`` and ``apiKey.revoke``: hirebridge extensions beside Ashby's ``apiKey.info``,
in Ashby's envelope and spelling (``orgs.credentials`` does the work).

- ``apiKey.create`` (apiKeysWrite) {title, permissions}: a new key with exactly those permissions. A key can grant
  only permissions it holds itself (else ``invalid_input`` naming ``permissions``). The key is in this answer only
  (``results.key``): it is stored as a digest, so the call is not replayed for an ``Idempotency-Key`` (a replay would
  have to store the key); a repeated call makes another key.
- ``apiKey.list`` (apiKeysRead) {includeRevoked = true}: every key of the organization, oldest first, with the first
  characters of each (``keyPrefix``), never a key.
- ``apiKey.revoke`` (apiKeysWrite) {apiKeyId, revokeSelf = false}: the key is refused from its next call on. The key
  making the call revokes itself only with ``revokeSelf: true`` (else ``api_key_revoke_self``), so a script cannot
  lock itself out by a wrong id. Revoking a revoked key answers it as it is.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from sqlalchemy.orm import Session

from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import in_transaction
from hirebridge.ats.envelope import AtsModel, invalid_fields, ok, page, read_body
from hirebridge.errors import ValidationFailed
from hirebridge.openapi import ats, error
from hirebridge.orgs import credentials

router = APIRouter(tags=["ats: api keys"])

KeysRead = Annotated[ApiCaller, Depends(require("apiKeysRead"))]
KeysWrite = Annotated[ApiCaller, Depends(require("apiKeysWrite"))]
MAX_PERMISSIONS = 50


class ApiKeyCreate(AtsModel):
    title: str = Field(min_length=1, max_length=255)
    permissions: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=MAX_PERMISSIONS
    )


class ApiKeyList(AtsModel):
    includeRevoked: bool = True


class ApiKeyRevoke(AtsModel):
    apiKeyId: UUID
    revokeSelf: bool = False


def key_json(info: credentials.ApiKeyInfo) -> dict[str, Any]:
    from hirebridge.ats.api import scope

    return {**info.as_json(), "scopes": [scope(p) for p in info.permissions]}


@router.post(
    "/apiKey.create",
    summary="Create an API key with chosen permissions (apiKeysWrite; hirebridge extension)",
    openapi_extra=ats(
        ApiKeyCreate,
        "ApiKeyCreated",
        errors=[error("invalid_input", "permissions: the calling key does not hold offersWrite, so cannot grant it")],
    ),
)
async def api_key_create(request: Request, caller: KeysWrite) -> dict[str, Any]:
    body = await read_body(request, ApiKeyCreate)

    def work(session: Session) -> dict[str, Any]:
        try:
            issued = credentials.create_api_key(
                session, caller.organization_id, body.title, body.permissions, granted_by=caller.permissions
            )
        except ValidationFailed as exc:
            raise invalid_fields(exc.fields) from None
        return ok({**key_json(issued.info), "key": issued.key})

    return await in_transaction(request, work)


@router.post(
    "/apiKey.list",
    summary="The organization's API keys, never the keys themselves (apiKeysRead; hirebridge extension)",
    openapi_extra=ats(ApiKeyList, "ApiKey", many=True),
)
async def api_key_list(request: Request, caller: KeysRead) -> dict[str, Any]:
    body = await read_body(request, ApiKeyList)

    def work(session: Session) -> dict[str, Any]:
        keys = credentials.list_api_keys(session, caller.organization_id, include_revoked=body.includeRevoked)
        return page([key_json(k) for k in keys], more=False, next_cursor=None)

    return await in_transaction(request, work)


@router.post(
    "/apiKey.revoke",
    summary="Revoke an API key (apiKeysWrite; hirebridge extension)",
    openapi_extra=ats(
        ApiKeyRevoke,
        "ApiKey",
        errors=[
            error("api_key_not_found", "API key not found."),
            error("api_key_revoke_self", "This is the key making the call; send revokeSelf: true to revoke it."),
        ],
    ),
)
async def api_key_revoke(request: Request, caller: KeysWrite) -> dict[str, Any]:
    body = await read_body(request, ApiKeyRevoke)

    def work(session: Session) -> dict[str, Any]:
        info = credentials.revoke_api_key(
            session,
            caller.organization_id,
            str(body.apiKeyId),
            caller_key_id=caller.api_key_id,
            allow_self=body.revokeSelf,
        )
        return ok(key_json(info))

    return await in_transaction(request, work)
