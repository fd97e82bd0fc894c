"""Every Ashby-shaped answer and webhook payload the ATS tests produce, checked against Ashby's published schemas
(``hirebridge/ats/ashby_schemas.json``, JSON Schema draft 2020-12, formats checked).

``conforming_client`` makes an httpx client whose response hook validates each ``success: true`` answer of an
operation in the schema map (``results`` and the envelope's paging fields), and each ``success: false`` one against
Ashby's error response, and raises on the first violation, so a test that produces a non-conforming object fails
where it called. ``check_webhook`` does the same for a delivered
webhook body. ``CHECKED`` counts what was validated, per operation and per ``webhook:<action>``.

One documented deviation: ``webhook.create`` and ``webhook.update`` answer ``secretToken`` only when the request sent
one (hirebridge never answers a stored secret; Ashby's create requires one, hirebridge also makes unsigned webhooks),
so such an answer to a request without one is checked against ``WebhookSetting``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

from hirebridge.ats import ashby_schemas

CHECKED: Counter[str] = Counter()
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

FORMATS = FormatChecker()


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    return True


for _name in ("uuid", "date", "email"):
    FORMATS.checkers[_name] = Draft202012Validator.FORMAT_CHECKER.checkers[_name]


@cache
def _validator(name: str) -> Draft202012Validator:
    doc = ashby_schemas.document()
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    return Draft202012Validator(schema, format_checker=FORMATS)


def violations(name: str, instance: Any) -> list[str]:
    """Each way ``instance`` breaks the schema ``name``, as '<json path>: <message>'."""
    return [f"{error.json_path}: {error.message}" for error in _validator(name).iter_errors(instance)]


def operation_of(request: httpx.Request) -> str:
    return request.url.path.rsplit("/", 1)[-1]


def check_answer(operation: str, request_body: Any, body: Any) -> None:
    """Raise AssertionError when a successful answer of ``operation`` breaks Ashby's schema."""
    entry = ashby_schemas.document()["operations"][operation]
    results_name = entry["results"]
    if operation in ("webhook.create", "webhook.update") and not (
        isinstance(request_body, dict) and request_body.get("secretToken")
    ):
        results_name = "WebhookSetting"
    problems = violations(entry["envelope"], body) + violations(results_name, body.get("results"))
    if problems:
        raise AssertionError(f"{operation} answered outside Ashby's schema {results_name}:\n" + "\n".join(problems))
    CHECKED[operation] += 1


def check_response(response: httpx.Response) -> None:
    """httpx response hook: validate the answer if it is a successful one of an operation in the map."""
    request = response.request
    operation = operation_of(request)
    if request.method != "POST" or operation not in ashby_schemas.document()["operations"]:
        return
    response.read()
    if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
        return
    body = response.json()
    if isinstance(body, dict) and body.get("success") is False:
        problems = violations("ErrorResponse", body)
        if problems:
            raise AssertionError(f"{operation} answered an error outside Ashby's schema:\n" + "\n".join(problems))
        CHECKED["error envelope"] += 1
        return
    if not isinstance(body, dict) or body.get("success") is not True:
        return
    try:
        request_body = json.loads(request.content) if request.content else {}
    except ValueError:
        request_body = {}
    check_answer(operation, request_body, body)


def check_webhook(raw: bytes) -> dict[str, Any]:
    """Validate a webhook delivery's body for an action we emit; returns the parsed payload."""
    payload: dict[str, Any] = json.loads(raw)
    action = payload.get("action")
    name = ashby_schemas.document()["webhooks"].get(action)
    if name is not None:
        problems = violations(name, payload)
        if problems:
            raise AssertionError(f"{action} webhook payload outside Ashby's schema {name}:\n" + "\n".join(problems))
        CHECKED[f"webhook:{action}"] += 1
    return payload


def conforming_client(base_url: str, api_key: str, *, timeout: float = 30) -> httpx.Client:
    """An ATS API client (key as the Basic username) whose every successful Ashby answer is schema-checked."""
    return httpx.Client(
        base_url=base_url, auth=(api_key, ""), timeout=timeout, event_hooks={"response": [check_response]}
    )
