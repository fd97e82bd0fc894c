"""Helpers for the Workday tests: the pinned schemas, a client that keeps every request sent, the demo tenant."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from hirebridge.connectors.registry import make_connector
from hirebridge.connectors.transport import make_http_client
from hirebridge.connectors.workday import WorkdayConnector

SPECS = Path(__file__).resolve().parents[2] / "src" / "hirebridge" / "specs" / "workday" / "v31.2"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WORKDAY_CREDENTIALS = {"tenant": "demo", "username": "ISU_HIREBRIDGE", "password": "sandbox-password"}
HIRE_SETTINGS = {
    "hireOnPush": True,
    "positionId": "P-00101",
    "hireReasonId": "Hire_Employee_New_Hire_Fill_Vacancy",
    "employeeTypeId": "Regular",
}


@cache
def staffing_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPECS / "Staffing.xsd")))


@cache
def envelope_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SPECS / "soap-envelope.xsd")))


def schema_errors(body: bytes) -> list[str]:
    """What the pinned XSDs say about one request: the envelope (SOAP 1.1 + WS-Security), then the Body's child."""
    env = etree.fromstring(body)
    errors: list[str] = []
    if not envelope_schema().validate(env):
        errors += [str(e) for e in envelope_schema().error_log]
    children = [c for c in env.find(f"{{{SOAP_ENV}}}Body") if isinstance(c.tag, str)]
    if len(children) != 1:
        return [*errors, f"the Body holds {len(children)} elements"]
    request = etree.fromstring(etree.tostring(children[0]))
    if not staffing_schema().validate(request):
        errors += [str(e) for e in staffing_schema().error_log]
    return errors


@dataclass
class Recorder:
    """Every request body sent through the clients it made, as sent (before any redaction)."""

    bodies: list[bytes] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, timeout: float = 10.0) -> httpx.Client:
        http = make_http_client(timeout=timeout, on_exchange=None, allow_private_network=True)
        http.event_hooks["request"].append(self._keep)
        self.clients.append(http)
        return http

    def close(self) -> None:
        for http in self.clients:
            http.close()

    def _keep(self, request: httpx.Request) -> None:
        self.bodies.append(request.read())
        self.urls.append(str(request.url))

    def operations(self) -> list[str]:
        names = []
        for body in self.bodies:
            child = next(c for c in etree.fromstring(body).find(f"{{{SOAP_ENV}}}Body") if isinstance(c.tag, str))
            names.append(etree.QName(child).localname)
        return names


def connector(
    base_url: str,
    recorder: Recorder,
    *,
    settings: dict[str, Any] | None = None,
    credentials: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> tuple[WorkdayConnector, httpx.Client]:
    http = recorder.client(timeout)
    made = make_connector(
        "workday",
        base_url=base_url,
        credentials=credentials or WORKDAY_CREDENTIALS,
        field_mapping={},
        settings=settings or {},
        http=http,
    )
    assert isinstance(made, WorkdayConnector)
    return made, http


def records(base_url: str, kind: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.get(f"{base_url}/_sandbox/records", timeout=10).json()["records"]
    return [r for r in found if kind is None or r["kind"] == kind]
