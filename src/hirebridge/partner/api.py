"""The partner API's routes, compatible with Pulsifi's Workday connector (see PRODUCT.md section 2).

    POST /partner/oauth2/token                         access token (also /partner/v1.0/partner/oauth2/token)
    POST /partner/v1.0/workday/jobs                    create, or update while draft
    GET  /partner/v1.0/workday/jobs/{ext_job_id}       extension
    POST /partner/v1.0/workday/jobs/{ext_job_id}/publish   extension: draft -> active
    POST /partner/v1.0/workday/jobs/{ext_job_id}/close     extension: -> closed
    POST /partner/v1.0/workday/candidates              invite a candidate (seed 001)
    GET  /partner/v1.0/workday/candidates/{candidate_id}   extension: status and results
    GET  /partner/v1.0/standard/candidates/{candidate_id}  Pulsifi's standard-connector read, same body

Errors are ``{"error_code", "message", "errors": [{"field", "reason"}], "request_id"}`` (see ``hirebridge.web``).
"""

from __future__ import annotations

from fastapi import APIRouter

from hirebridge.partner import auth, candidates, jobs

router = APIRouter()
router.include_router(auth.router)
router.include_router(jobs.router)
router.include_router(candidates.router)
