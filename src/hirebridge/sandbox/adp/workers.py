"""``GET /hr/v2/workers`` of the ADP simulator: onboarded applicants as ADP worker objects, and the OData subset ADP
documents for it (developers.adp.com "Introduction to ADP API Open Data Protocol": ``$filter`` with ``eq`` joined by
``and``, ``$select``, ``$top``, ``$skip``).

Worker shape: ``associateOID``, ``workerID.idValue``, ``person.legalName{givenName, middleName, familyName1,
formattedName}``, ``person.communication.emails[{emailUri, nameCode}]``, ``businessCommunication.emails``,
``workerDates.originalHireDate``, ``workerStatus.statusCode``, ``workAssignments[{primaryIndicator, hireDate,
assignmentStatus}]`` (ADP samples wfn/hr/workers-v2/success/*, run/hr/workers-v2/success/workers-filterResponse).
"""

from __future__ import annotations

import re
from typing import Any

from hirebridge.sandbox.adp.state import Applicant

MAX_TOP = 100  # Workforce Now's page size limit (research/hris.md section 4: lava.so and the ADP Job Aid, 3p)

# The filter paths the simulator evaluates. The first two are the ADP OData article's examples; the email paths
# follow the worker object's shape (filtering on them is UNCONFIRMED for Workforce Now).
FILTER_PATHS = (
    "workers/workAssignments/assignmentStatus/statusCode/codeValue",
    "workers/workAssignments/reportsTo/positionID",
    "workers/associateOID",
    "workers/workerID/idValue",
    "workers/person/legalName/givenName",
    "workers/person/legalName/familyName1",
    "workers/person/communication/emails/emailUri",
    "workers/businessCommunication/emails/emailUri",
    "workers/workerStatus/statusCode/codeValue",
)
_CLAUSE = re.compile(r"^\s*([A-Za-z0-9/]+)\s+eq\s+'((?:[^']|'')*)'\s*$")


class ODataError(Exception):
    """A ``$filter``/``$select``/``$top``/``$skip`` the simulator refuses (400, in ADP's confirm-message shape)."""


def worker(applicant: Applicant) -> dict[str, Any]:
    status = {"codeValue": "A", "shortName": "Active"}
    name = {
        "givenName": applicant.given_name,
        "familyName1": applicant.family_name,
        "formattedName": f"{applicant.family_name}, {applicant.given_name}"
        + (f" {applicant.middle_name}" if applicant.middle_name else ""),
    }
    if applicant.middle_name:
        name["middleName"] = applicant.middle_name
    return {
        "associateOID": applicant.associate_oid,
        "workerID": {"idValue": applicant.worker_id},
        "person": {
            "legalName": name,
            "communication": {
                "emails": [{"emailUri": e, "nameCode": {"codeValue": "Personal"}} for e in applicant.personal_emails]
            },
        },
        "businessCommunication": {
            "emails": [{"emailUri": e, "nameCode": {"codeValue": "Work"}} for e in applicant.business_emails]
        },
        "workerDates": {"originalHireDate": applicant.hire_date},
        "workerStatus": {"statusCode": status},
        "workAssignments": [
            {"primaryIndicator": True, "hireDate": applicant.hire_date, "assignmentStatus": {"statusCode": status}}
        ],
    }


def _values(node: Any, parts: list[str]) -> list[Any]:
    """Every value at a path, descending into lists (an ``eq`` on a collection matches when any item matches)."""
    if not parts:
        return node if isinstance(node, list) else [node]
    if isinstance(node, list):
        return [v for item in node for v in _values(item, parts)]
    if isinstance(node, dict) and parts[0] in node:
        return _values(node[parts[0]], parts[1:])
    return []


def parse_filter(expression: str) -> list[tuple[str, str]]:
    if len(expression) > 2000:
        raise ODataError("The $filter expression is too long.")
    clauses: list[tuple[str, str]] = []
    for raw in re.split(r"\s+and\s+", expression.strip()):
        match = _CLAUSE.match(raw)
        if match is None:
            raise ODataError(f"Invalid $filter expression: '{raw.strip()[:200]}'. Expected <path> eq '<value>'.")
        path, value = match.group(1), match.group(2).replace("''", "'")
        if path not in FILTER_PATHS:
            raise ODataError(f"Filtering on '{path[:200]}' is not supported.")
        clauses.append((path, value))
    return clauses


def matches(item: dict[str, Any], clauses: list[tuple[str, str]]) -> bool:
    # OData ``eq`` compares strings exactly (case-sensitive); ADP does not say otherwise.
    return all(value in _values(item, path.split("/")[1:]) for path, value in clauses)


def select(item: dict[str, Any], fields: str) -> dict[str, Any]:
    """``$select=workers/associateOID,workers/person/legalName``: keep those subtrees."""
    kept: dict[str, Any] = {}
    for raw in fields.split(","):
        parts = raw.strip().split("/")
        if len(parts) < 2 or parts[0] != "workers" or not all(parts):
            raise ODataError(f"Invalid $select path: '{raw.strip()[:200]}'.")
        source: Any = item
        target = kept
        for i, part in enumerate(parts[1:], start=1):
            if not isinstance(source, dict) or part not in source:
                break
            source = source[part]
            if i == len(parts) - 1:
                target[part] = source
            else:
                target = target.setdefault(part, {})
    return kept


def page_bounds(top: str | None, skip: str | None) -> tuple[int, int]:
    def number(raw: str | None, name: str, default: int) -> int:
        if raw is None:
            return default
        if not raw.isdigit() or len(raw) > 9:
            raise ODataError(f"{name} must be a non-negative integer.")
        return int(raw)

    top_n = number(top, "$top", MAX_TOP)
    if top_n > MAX_TOP:
        raise ODataError(f"$top must not exceed {MAX_TOP}.")
    return top_n, number(skip, "$skip", 0)
