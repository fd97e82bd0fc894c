"""A completed assessment's results, in Pulsifi's score payload format.

``{"report_pdf_link", "report_profile_link", "scores": [{"score_format": 100, "score_type", "score_value"}]}``.
The profile report is an HTML page behind a link signed with the service's key (unguessable, no login, like
Pulsifi's report links); no PDF is produced, so ``report_pdf_link`` is null.

On completion the results leave through the delivery engine (durable, retried): a POST of the payload to the
organization's ``result_writeback_url`` (Pulsifi's "Workday to provide the upsert endpoint"), and the partner
webhook event ``candidate_application_result_ready`` to each subscriber.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from sqlalchemy.orm import Session

from hirebridge.assessments.models import Invitation
from hirebridge.core.external_ids import WORKDAY, external_id_of
from hirebridge.delivery.webhook import enqueue_webhook
from hirebridge.orgs.models import Organization
from hirebridge.runtime import Runtime


def report_signature(signing_key: str, invitation_id: str) -> str:
    return hmac.new(signing_key.encode(), f"report:{invitation_id}".encode(), hashlib.sha256).hexdigest()[:40]


def report_link(runtime: Runtime, invitation: Invitation) -> str:
    signature = report_signature(runtime.signing_key, invitation.id)
    return f"{runtime.public_url.rstrip('/')}/reports/{invitation.id}/{signature}"


def results_body(runtime: Runtime, invitation: Invitation) -> dict[str, Any]:
    return {
        "report_pdf_link": None,
        "report_profile_link": report_link(runtime, invitation),
        "scores": list(invitation.scores),
    }


def result_data(session: Session, runtime: Runtime, invitation: Invitation) -> dict[str, Any]:
    """The score payload plus the ids the receiver needs to file it (Pulsifi leaves these undocumented)."""
    application = invitation.application
    org = invitation.organization_id
    return {
        "candidate_id": invitation.id,
        "ext_job_id": external_id_of(session, org, WORKDAY, "job", application.job_id),
        "ext_candidate_id": external_id_of(session, org, WORKDAY, "candidate", application.candidate_id),
        "ext_application_id": external_id_of(session, org, WORKDAY, "application", application.id),
        "status": invitation.status.value,
        **results_body(runtime, invitation),
    }


def deliver_results(session: Session, runtime: Runtime, invitation: Invitation) -> None:
    """On completion, in the completing transaction: queue the write-back to the organization's ATS endpoint
    (when one is configured) and the ``candidate_application_result_ready`` webhooks."""
    from hirebridge.partner import webhook_events

    data = result_data(session, runtime, invitation)
    organization = session.get_one(Organization, invitation.organization_id)
    if organization.result_writeback_url:
        enqueue_webhook(
            session,
            organization_id=organization.id,
            url=organization.result_writeback_url,
            body=json.dumps(data, separators=(",", ":")),
            headers={"Content-Type": "application/json"},
            secret_headers_encrypted=organization.result_writeback_headers_encrypted,
            no_retry_statuses=webhook_events.NO_RETRY_STATUSES,
            subject_id=invitation.id,
            dedupe_key=f"result-writeback:{invitation.id}",
        )
    webhook_events.publish(session, runtime, organization.id, webhook_events.RESULT_READY, data, invitation.id)
