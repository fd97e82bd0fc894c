"""``hrisConnection.test`` (organizationWrite, like the other hrisConnection writes; hirebridge extension).

{hrisConnectionId}: one harmless authenticated read from the connection's HRIS through its connector
(``hris.connection_check``: BambooHR's field list, Bob's named lists, one worker of ADP or Personio, one Workday
applicant reference), with fresh credentials. What the HRIS answered is the result, a refusal included
(``ok: false``, ``category``, the HRIS's ``message``): the test ran. Only an unknown connection is an error
(``hris_connection_not_found``). The result is recorded (``hris.connection_check.last_test``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from hirebridge.ats.auth import ApiCaller, require
from hirebridge.ats.envelope import ok, read_body
from hirebridge.hris import connection_check
from hirebridge.hris.connections import ConnectionRef
from hirebridge.openapi import ats, error
from hirebridge.web import get_runtime

router = APIRouter(tags=["ATS: HRIS"])

Write = Annotated[ApiCaller, Depends(require("organizationWrite"))]


@router.post(
    "/hrisConnection.test",
    summary="Test a connection with one harmless authenticated call to its HRIS (organizationWrite)",
    openapi_extra=ats(
        ConnectionRef,
        "HrisConnectionTest",
        errors=[error("hris_connection_not_found", "HRIS connection not found.")],
    ),
)
async def hris_connection_test(request: Request, caller: Write) -> dict[str, Any]:
    body = await read_body(request, ConnectionRef)
    runtime = get_runtime(request)

    def work() -> dict[str, Any]:
        result = connection_check.test_connection(runtime, caller.organization_id, str(body.hrisConnectionId))
        return ok(result.as_json())

    return await run_in_threadpool(work)
