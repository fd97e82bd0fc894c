"""``applicant.onboard`` v2 for the ADP simulator: the meta document, the request checks and their messages, and the
two confirm-message bodies ADP's samples show.

Sources ("samples" = adpllc/marketplace-sample-payloads, ADP's own request/response pairs for Workforce Now):
- success: ``{"_confirmMessage": {..., "requestStatus": "success", "messages": [{"resourceID": <applicantID>,
  "messageCode": "applicantID"}, {"resourceID": <AOID>, "messageCode": "AssociateOID"}]}}`` (samples
  wfn/staffing/applicant-onboard/V2/success/InProgress-US-200.response.json and NEXTGEN/SUCCESS/inprogress_response);
- errors, "v03": ``confirmMessage.resourceMessages[].processMessages[].userMessage.messageTxt`` (samples V2/errors/**,
  and the API spec's 400 = confirm-message-schema_v03); "nextgen": ``_confirmMessage.messages[].messageText``
  (samples V2/NEXTGEN/SUCCESS/*-400-response, V2/errors/employment/*);
- message texts: "First Name is required.", "Last Name is required.", "Hire Date is required.", "Onboarding Template
  Code is invalid.", "Company Code is required.", "Legal Address - Address 1 is required", "Birth Date is required.",
  "The new hire's file number must be unique within the company.", and the pre-hire minimum-fields message (samples).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from hirebridge.sandbox.adp.state import LABELS, PAYROLL_GROUPS, TEMPLATES, AdpState, Applicant, Template

ONBOARD_PATH = "hcm/v2/applicant.onboard"
# The meta response's hireDate pattern (sample applicant-meta-200.response.json).
HIRE_DATE = re.compile(r"^(((19|20|21)\d\d)-(0?[1-9]|1[012])-(0?[1-9]|[12]\d|3[01]))?$")
PRE_HIRE_MINIMUM = (
    "You cannot ask the new hire until you complete these minimum required fields: "
    "Associate ID,Hire Date,First Name,Personal Email,Company Code,Last Name"
)
COMPLETE_REQUIRED = (  # extra fields a "complete" hire needs, with the samples' texts
    ("applicantPersonalProfile/legalAddress/lineOne", "Legal Address - Address 1 is required"),
    ("applicantPersonalProfile/legalAddress/cityName", "Legal Address - City is required"),
    ("applicantPersonalProfile/legalAddress/postalCode", "Legal Address - Zip/Postal Code is required"),
    ("applicantPersonalProfile/legalAddress/countryCode", "Legal Address - Country is required"),
    ("applicantPersonalProfile/birthDate", "Birth Date is required."),
    ("applicantPayrollProfile/payrollGroupCode", "Company Code is required."),
)


class OnboardRefused(Exception):
    """A 400 with one process message per problem, in ADP's words."""

    def __init__(self, messages: list[tuple[str, str]]) -> None:  # (processMessageID, text)
        super().__init__(messages[0][1])
        self.messages = messages


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def dig(node: Any, path: str) -> Any:
    """The value at a slash path of nested objects, or None."""
    for part in path.split("/"):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _text(node: Any, path: str) -> str:
    value = dig(node, path)
    if isinstance(value, dict):
        value = value.get("code")
    return value.strip() if isinstance(value, str) else ""


def _emails(node: Any, path: str) -> list[str]:
    items = dig(node, path)
    if not isinstance(items, list):
        return []
    return [e["emailUri"].strip() for e in items if isinstance(e, dict) and isinstance(e.get("emailUri"), str)]


# meta --------------------------------------------------------------------------------------------------------------


def _field(label: str, sequence: float, optional: bool = False) -> dict[str, Any]:
    return {"readOnly": False, "optional": optional, "hidden": False, "sequence": sequence, "shortLabelName": label}


def meta(template_code: str | None) -> dict[str, Any]:
    """``GET /hcm/v2/applicant.onboard/meta``: the templates as a code list, and the required fields (of one template
    when a ``$filter`` names it, else of the union), shaped like the sample meta response."""
    chosen = [t for t in TEMPLATES if template_code is None or t.code == template_code]
    required = {path for t in chosen for path in t.required}
    document: dict[str, Any] = {
        "/applicantOnboarding/onboardingTemplateCode": {
            "codeList": {"listItems": [{"itemID": t.code, "code": t.code, "name": t.name} for t in chosen]},
            "readOnly": False,
            "optional": False,
            "hidden": False,
        },
    }
    for sequence, (path, label) in enumerate(LABELS.items(), start=1):
        entry = _field(label, float(sequence), optional=path not in required)
        if path.endswith("hireDate"):
            entry.update({"minLength": 0.0, "maxLength": 10.0, "pattern": HIRE_DATE.pattern})
        if path.endswith("payrollGroupCode"):
            entry["codeList"] = {"codeListTitle": label, "listItems": [{"codeValue": c} for c in PAYROLL_GROUPS]}
        document[f"/applicantOnboarding/{path}"] = entry
    return {"meta": document}


GIVEN = "applicantPersonalProfile/birthName/givenName"
FAMILY = "applicantPersonalProfile/birthName/familyName"
META_FILTER = re.compile(r"^\s*meta/applicantOnboarding/onboardingTemplateCode/code\s+eq\s+'([^']{1,64})'\s*$")


# onboarding ---------------------------------------------------------------------------------------------------------


def _template(code: str) -> Template | None:
    return next((t for t in TEMPLATES if t.code == code), None)


def onboard(state: AdpState, body: Any) -> Applicant:
    """Check an ``applicant.onboard`` request and add the applicant, or raise OnboardRefused."""
    data = body.get("applicantOnboarding") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data:
        raise OnboardRefused([("Required", "Applicant Onboarding Data is required.")])
    template = _template(_text(data, "onboardingTemplateCode"))
    if template is None:
        raise OnboardRefused([("errors.invalid", "Onboarding Template Code is invalid.")])
    status = _text(data, "onboardingStatus/statusCode").lower()
    problems: list[tuple[str, str]] = []
    if status not in ("inprogress", "complete"):
        problems.append(("errors.invalid", "Onboarding Status Code is invalid."))
    for path in template.required:
        if not _text(data, path):
            problems.append(("Required", f"{LABELS[path]} is required."))
    if status == "complete":
        for path, message in COMPLETE_REQUIRED:
            if not _text(data, path) and ("Required", message) not in problems:
                problems.append(("Required", message))
    hire_date = _text(data, "applicantWorkerProfile/hireDate")
    if hire_date and not (HIRE_DATE.match(hire_date) and _real_date(hire_date)):
        problems.append(("errors.invalid", "Hire Date is invalid."))
    payroll_group = _text(data, "applicantPayrollProfile/payrollGroupCode") or None
    if payroll_group and payroll_group not in PAYROLL_GROUPS:
        problems.append(("errors.invalid", "Company Code is invalid."))
    personal = _emails(data, "applicantPersonalProfile/communication/emails")
    business = _emails(data, "applicantWorkerProfile/businessCommunication/emails")
    if any("@" not in e or len(e) > 254 for e in personal + business):
        problems.append(("errors.invalid", "Email is invalid."))
    worker_id = _text(data, "workerID/id")
    pre_hire = data.get("preHireIndicator") is True
    if pre_hire and not all((worker_id, hire_date, personal, payroll_group, _text(data, GIVEN), _text(data, FAMILY))):
        problems.append(("errors.invalid", PRE_HIRE_MINIMUM))
    if problems:
        raise OnboardRefused(problems)
    with state.lock():
        if worker_id and any(a.worker_id == worker_id for a in state.applicants):
            raise OnboardRefused([("errors.invalid", "The new hire's file number must be unique within the company.")])
        return state.add_applicant(
            worker_id=worker_id or None,
            template_code=template.code,
            status=status,
            pre_hire=pre_hire,
            given_name=_text(data, GIVEN),
            family_name=_text(data, FAMILY),
            middle_name=_text(data, "applicantPersonalProfile/birthName/middleName"),
            hire_date=hire_date,
            personal_emails=personal,
            business_emails=business,
            payroll_group=payroll_group,
            body=data,
        )


def _real_date(value: str) -> bool:
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        return False
    return True


# confirm messages -----------------------------------------------------------------------------------------------------


def confirm_success(applicant: Applicant) -> dict[str, Any]:
    return {
        "_confirmMessage": {
            "messageID": str(uuid.uuid4()),
            "messageDateTime": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "requestStatus": "success",
            "messages": [
                {"resourceID": applicant.applicant_id, "messageCode": "applicantID"},
                {"resourceID": applicant.associate_oid, "messageCode": "AssociateOID"},
            ],
        }
    }


def confirm_error_v03(status: int, messages: list[tuple[str, str]], method: str, resource: str) -> dict[str, Any]:
    """The confirm-message v03 body of ADP's 2019 Workforce Now samples."""
    now = _now()
    return {
        "confirmMessage": {
            "confirmMessageID": {
                "idValue": str(uuid.uuid4()).upper(),
                "schemeName": "confirmMessageID",
                "schemeAgencyName": "WFN",
            },
            "createDateTime": now,
            "requestReceiptDateTime": now,
            "protocolStatusCode": {"codeValue": str(status), "shortName": str(status)},
            "requestStatusCode": {"codeValue": "failed"},
            "requestMethodCode": {"codeValue": method},
            "processMessages": [],
            "resourceMessages": [
                {
                    "resourceMessageID": {
                        "idValue": resource,
                        "schemeName": "resourceMessageID",
                        "schemeAgencyName": "WFN",
                    },
                    "processMessages": [
                        {
                            "processMessageID": {
                                "idValue": message_id,
                                "schemeName": "processMessageID",
                                "schemeAgencyName": "WFN",
                            },
                            "messageTypeCode": {"codeValue": "error"},
                            "userMessage": {"messageTxt": text},
                        }
                        for message_id, text in messages
                    ],
                }
            ],
        }
    }


def confirm_error_nextgen(messages: list[tuple[str, str]], resource: str) -> dict[str, Any]:
    """The ``_confirmMessage`` error body of ADP's 2020-2021 (NEXTGEN) Workforce Now samples."""
    return {
        "_confirmMessage": {
            "messageID": str(uuid.uuid4()).upper(),
            "messageDateTime": datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y"),
            "requestID": str(uuid.uuid4()),
            "processingStatus": None,
            "requestStatus": "failed",
            "applicationID": None,
            "messages": [
                {
                    "messageCode": None,
                    "messageTypeCode": "error",
                    "messageText": text,
                    "resourceID": resource,
                    "resourceReference": None,
                    "resourceStatus": None,
                }
                for _, text in messages
            ],
        }
    }
