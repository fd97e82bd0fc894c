"""A hire as an ADP Workforce Now ``applicant.onboard`` request (v2).

Source: ADP's "Applicant Onboarding v2" guide and its sample requests (``V2/success/InProgress-US-200.request.json``):
``{"applicantOnboarding": {"onboardingTemplateCode": {"code"}, "onboardingStatus": {"statusCode": {"code":
"inprogress"}}, "applicantPersonalProfile": {"birthName": {"givenName", "familyName"}, "communication": {"emails":
[{"emailUri"}], "mobiles": [{"formattedNumber"}]}}, "applicantWorkerProfile": {"hireDate"}}}``. Field ids in a
connection's ``field_mapping`` are dotted paths below ``applicantOnboarding`` (``applicantPayrollProfile.
payrollGroupCode``); ``personalEmail``, ``businessEmail`` and ``mobilePhone`` name ADP's list-shaped fields.
The template code is added by the connector when it sends (it may be learned from the meta endpoint).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hirebridge.connectors.base import Hire
from hirebridge.connectors.errors import RejectedError
from hirebridge.connectors.fieldmap import hire_values, map_fields

ROOT = "applicantOnboarding"
GIVEN = "applicantPersonalProfile.birthName.givenName"
FAMILY = "applicantPersonalProfile.birthName.familyName"
HIRE_DATE = "applicantWorkerProfile.hireDate"
PERSONAL_EMAILS = "applicantPersonalProfile.communication.emails"
BUSINESS_EMAILS = "applicantWorkerProfile.businessCommunication.emails"
MOBILES = "applicantPersonalProfile.communication.mobiles"

DEFAULT_TARGETS: dict[str, str | None] = {
    "first_name": GIVEN,
    "last_name": FAMILY,
    "email": "personalEmail",
    "phone": "mobilePhone",
    "start_date": HIRE_DATE,
    # ADP takes jobs, departments, locations and pay as codes of the company's code lists, not free text: they are
    # sent only when a field mapping names where (and the values are then the codes).
    "job_title": None,
    "department": None,
    "location": None,
    "employment_type": None,
    "salary": None,
    "salary_period": None,
    "pay_type": None,
}
_LISTS = {"personalEmail": (PERSONAL_EMAILS, "emailUri"), "businessEmail": (BUSINESS_EMAILS, "emailUri")}


def build_payload(hire: Hire, field_mapping: Mapping[str, Any]) -> dict[str, Any]:
    email = (hire.email or "").strip().lower() or None  # see connector: ADP's OData eq is exact
    values = hire_values(hire) | {"email": email}
    flat = map_fields(hire, values, DEFAULT_TARGETS, field_mapping)
    problems = []
    if not flat.get(GIVEN) or not flat.get(FAMILY):
        problems.append("a first and a last name (the candidate's name is incomplete)")
    if not flat.get(HIRE_DATE):
        problems.append("a hire date: set the offer's start date")
    if problems:
        raise RejectedError("ADP Workforce Now requires " + "; ".join(problems))
    for name, (path, key) in _LISTS.items():
        if name in flat:
            flat[path] = [{key: flat.pop(name)}]
    if "mobilePhone" in flat:
        flat[MOBILES] = [{"formattedNumber": flat.pop("mobilePhone")}]
    onboarding = nest(flat)
    onboarding["onboardingStatus"] = {"statusCode": {"code": "inprogress"}}
    return {ROOT: onboarding}


def with_template(payload: Mapping[str, Any], template_code: str) -> dict[str, Any]:
    """The request with its onboarding template; a template a field mapping set already is kept."""
    onboarding = dict(payload.get(ROOT) or {})
    onboarding.setdefault("onboardingTemplateCode", {"code": template_code})
    return {ROOT: {"onboardingTemplateCode": onboarding.pop("onboardingTemplateCode"), **onboarding}}


def emails_of(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(OData path of the workers filter, email)`` for each email the request sends."""
    onboarding = payload.get(ROOT) or {}
    found = []
    for path, odata in (
        (PERSONAL_EMAILS, "workers/person/communication/emails/emailUri"),
        (BUSINESS_EMAILS, "workers/businessCommunication/emails/emailUri"),
    ):
        node: Any = onboarding
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        for item in node if isinstance(node, list) else []:
            if isinstance(item, dict) and isinstance(item.get("emailUri"), str) and item["emailUri"].strip():
                found.append((odata, item["emailUri"].strip()))
    return found


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b": 1, "c": 2}`` -> ``{"a": {"b": 1}, "c": 2}``; a path that is both a value and a parent is refused."""
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        parts = path.split(".")
        node = nested
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise RejectedError(f"field_mapping puts {path!r} inside {part!r}, which is a value")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise RejectedError(f"field_mapping gives {path!r} a value, but other mapped fields sit inside it")
        node[parts[-1]] = value
    return nested
