"""The ATS API's routes, compatible with Ashby's public API (PRODUCT.md section 3). All are ``POST`` with a JSON body,
authenticated with the API key as the Basic username (``ats.auth``), answered in Ashby's envelope (``ats.envelope``).

    apiKey.info                 apiKeysRead        the calling key: title, createdAt, scopes (never the key)
    apiKey.create|list|revoke   apiKeysWrite / apiKeysRead  hirebridge extension (``ats.api_keys``)
    candidate.create|info|list|search              candidatesWrite / candidatesRead
    application.create|info|list                   candidatesWrite / candidatesRead
    application.changeStage     candidatesWrite    Ashby's stage move, within the default interview plan
    application.changeStatus    candidatesWrite    hirebridge extension: set the status directly
    job.create|info|list|setStatus                 jobsWrite / jobsRead
    offer.create|info|list      offersWrite / offersRead  (offer.create: Ashby's shape or a simple hirebridge one)
    offerProcess.start, offer.start                offersWrite (Ashby's offer flow, ``ats.offer_process``)
    interviewPlan.list, interviewStage.list        hiringProcessMetadataRead (the default plan)
    offer.setStatus             offersWrite        hirebridge extension

``candidate.pushToHris`` and the webhook endpoints live in their own modules (``ats.hris_api``, ``ats.webhooks_api``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from hirebridge.ats import api_keys, applications, candidates, interview_plans, jobs, offer_process, offers
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.common import in_transaction
from hirebridge.ats.envelope import AtsModel, ok, read_body
from hirebridge.ats.serializers import iso
from hirebridge.openapi import ats
from hirebridge.orgs.models import ApiKey

router = APIRouter()
router.include_router(candidates.router)
router.include_router(applications.router)
router.include_router(jobs.router)
router.include_router(offers.router)
router.include_router(offer_process.router)
router.include_router(interview_plans.router)
router.include_router(api_keys.router)

KeysRead = Annotated[ApiCaller, Depends(require("apiKeysRead"))]
_PERMISSION = re.compile(r"^([a-zA-Z]+?)(Read|Write)$")


def scope(permission: str) -> str:
    """Ashby's scope spelling of a permission: ``candidatesRead`` -> ``candidates:read``."""
    match = _PERMISSION.match(permission)
    if match is None:
        return permission
    return f"{match.group(1)}:{match.group(2).lower()}"


@router.post(
    "/apiKey.info",
    tags=["ats: api keys"],
    summary="The calling API key (apiKeysRead)",
    openapi_extra=ats(AtsModel, "ApiKeyInfo"),
)
async def api_key_info(
    request: Request, caller: Annotated[ApiCaller, Depends(require("apiKeysRead"))]
) -> dict[str, Any]:
    await read_body(request, AtsModel)

    def work(session: Any) -> dict[str, Any]:
        key = session.scalar(select(ApiKey).where(ApiKey.id == caller.api_key_id))
        permissions = sorted(caller.permissions)
        return ok(
            {
                "title": key.title,
                "createdAt": iso(key.created_at),
                "scopes": [scope(p) for p in permissions],
                "permissions": permissions,
            }
        )

    return await in_transaction(request, work)
