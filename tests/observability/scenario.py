"""A known set of pushes against a real BambooHR simulator, through a deployment's ATS API: an organization, its
connection, a pushToHRIS webhook to a local receiver, and hires that succeed or are refused by the HRIS."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, Hiring, make_application
from tests.hardening import sensitive
from tests.observability.support import wait_until
from tests.support.servers import serve

# A person no other test uses, so that a leak of these names in a log is unmistakable.
FIRST_NAME = "Zenobia"
LAST_NAME = "Quillfeather"


@dataclass
class Receiver:
    app: FastAPI = field(default_factory=FastAPI)
    received: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        @self.app.post("/hook")
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                self.received.append(body)
            return Response("ok")


@dataclass
class Scenario:
    runtime: Runtime
    org: IssuedCredentials
    ats: httpx.Client
    simulator_url: str
    receiver: Receiver
    emails: list[str] = field(default_factory=list)

    def hiring(self, email: str | None = None) -> Hiring:
        email = email or f"zq.{uuid.uuid4().hex[:10]}@example.com"
        self.emails.append(email)
        sensitive.SENSITIVE.add("email", email)
        return make_application(
            self.runtime, self.org.organization_id, first_name=FIRST_NAME, last_name=LAST_NAME, email=email
        )

    def push(self, hiring: Hiring, *, request_id: str | None = None) -> dict[str, Any]:
        """candidate.pushToHris, then the push once it has ended."""
        headers = {"X-Request-Id": request_id} if request_id else {}
        body = {"applicationId": hiring.application_id, "externalSystem": "bamboohr"}
        answer = self.ats.post("/candidate.pushToHris", json=body, headers=headers).json()
        push_id = answer["results"]["id"] if answer["success"] else answer["errorInfo"]["meta"]["pushId"]
        return self.finished(push_id)

    def finished(self, push_id: str) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            info: dict[str, Any] = self.ats.post("/hrisPush.info", json={"pushId": push_id}).json()["results"]
            return info if info["state"] in ("succeeded", "failed") else None

        result: dict[str, Any] = wait_until(ended, 60, f"push {push_id} ending")
        return result

    def webhooks_received(self, count: int) -> None:
        wait_until(lambda: len(self.receiver.received) >= count, 60, f"{count} webhooks received")


@contextmanager
def scenario(runtime: Runtime, api_url: str, *, rate_per_second: float = 50) -> Iterator[Scenario]:
    """An organization with a BambooHR connection (to a simulator) and a pushToHRIS webhook, on ``api_url``."""
    from hirebridge.sandbox.bamboohr.app import create_app

    with runtime.transaction() as session:
        org = create_organization(session, "Observed")
    sensitive.SENSITIVE.add("api key", org.api_key)
    sensitive.SENSITIVE.add("client secret", org.client_secret)
    receiver = Receiver()
    simulator = create_app(company_domain=BAMBOO_CREDENTIALS["companyDomain"], api_key=BAMBOO_CREDENTIALS["apiKey"])
    with (
        serve(simulator) as simulator_url,
        serve(receiver.app) as receiver_url,
        httpx.Client(base_url=api_url, auth=(org.api_key, ""), timeout=60) as ats,
    ):
        created = ats.post(
            "/hrisConnection.create",
            json={
                "system": "bamboohr",
                "name": "BambooHR sandbox",
                "baseUrl": simulator_url,
                "credentials": BAMBOO_CREDENTIALS,
                "rateLimitPerSecond": rate_per_second,
            },
        ).json()
        assert created["success"] is True, created
        hook = ats.post("/webhook.create", json={"webhookType": "pushToHRIS", "requestUrl": f"{receiver_url}/hook"})
        assert hook.json()["success"] is True, hook.text
        yield Scenario(runtime, org, ats, simulator_url, receiver)
