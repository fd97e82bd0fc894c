"""``interviewPlan.list`` and ``interviewStage.list``: the default interview plan every organization has, and its
stages in order (see ``ats.hiring_process``), so Ashby clients can resolve an application's ``currentInterviewStage``
and a job's ``defaultInterviewPlanId``, and place applications with ``application.create``'s ``interviewStageId``.

Both need ``hiringProcessMetadataRead`` (Ashby: ``interviewsRead``, a permission hirebridge does not have). The plan
list is one page: ``cursor`` and ``syncToken`` are not accepted (there is nothing to page or sync); ``createdAfter``
filters it like every list.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from hirebridge.ats import hiring_process
from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.envelope import AtsModel, ListParams, invalid_input, not_found, page, read_body
from hirebridge.ats.listing import after_ms
from hirebridge.openapi import EXAMPLE_ID, ats

router = APIRouter(tags=["ats: interview plans"])
Read = Annotated[ApiCaller, Depends(require("hiringProcessMetadataRead"))]


class InterviewPlanList(ListParams):
    includeArchived: bool = False


class InterviewStageList(AtsModel):
    interviewPlanId: UUID


@router.post(
    "/interviewPlan.list",
    summary="The interview plans: the default one (hiringProcessMetadataRead)",
    openapi_extra=ats(InterviewPlanList, "InterviewPlan", many=True),
)
async def interview_plan_list(request: Request, caller: Read) -> dict[str, Any]:
    params = await read_body(request, InterviewPlanList)
    for name in ("cursor", "syncToken"):
        if getattr(params, name) is not None:
            raise invalid_input(name, "is not accepted: the plan list is a single page with nothing to sync")
    plan = hiring_process.plan_json(caller.organization_id)
    after = after_ms(params.createdAfter)
    plans = [plan] if after is None or after <= hiring_process.PLAN_CREATED_AT else []
    return page(plans[: params.limit], more=False, next_cursor=None)


@router.post(
    "/interviewStage.list",
    summary="The stages of an interview plan, in order (hiringProcessMetadataRead)",
    openapi_extra=ats(
        InterviewStageList,
        "InterviewStage",
        many=True,
        errors=[not_found("interview_plan", EXAMPLE_ID, field="interviewPlanId")],
    ),
)
async def interview_stage_list(request: Request, caller: Read) -> dict[str, Any]:
    data = await read_body(request, InterviewStageList)
    if str(data.interviewPlanId) != hiring_process.plan_id(caller.organization_id):
        raise not_found("interview_plan", str(data.interviewPlanId), field="interviewPlanId")
    return page(hiring_process.stages_json(caller.organization_id), more=False, next_cursor=None)
