"""What the console tests share: console users, signing in over HTTP, reading a page's CSRF token, a failed push."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from hirebridge.console.users import create_user
from hirebridge.runtime import Runtime
from tests.ats.hris_helpers import BAMBOO_CREDENTIALS, call, make_application
from tests.hardening import sensitive

PASSWORD = "console-password-0123"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def new_email() -> str:
    return f"operator.{uuid.uuid4().hex[:10]}@example.com"


def console_user(runtime: Runtime, organization_id: str, password: str = PASSWORD) -> str:
    """A console user of the organization; returns its email. The password is registered as sensitive."""
    email = new_email()
    with runtime.transaction() as session:
        create_user(session, organization_id, email, password)
    sensitive.SENSITIVE.add("console password", password)
    sensitive.SENSITIVE.add("email", email)
    return email


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """Open the sign-in page and send its form, as a browser would; returns the answer to the POST."""
    page = client.get("/console/sign-in")
    assert page.status_code == 200, page.text
    # The pre-session cookie is sent back explicitly: it is Secure when the public URL is https, and these tests
    # talk plain HTTP to the socket (as a TLS proxy would).
    pre = next(h for h in page.headers.get_list("set-cookie") if h.startswith("hb_console_pre="))
    answer = client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), "email": email, "password": password, "next": ""},
        headers={"Cookie": pre.split(";")[0]},
    )
    session_cookie = client.cookies.get("hb_console")
    if session_cookie:
        sensitive.SENSITIVE.add("console session cookie", session_cookie)
    return answer


@dataclass
class Console:
    """A signed-in console client of one organization."""

    client: httpx.Client
    email: str

    def csrf(self, path: str = "/console/pushes") -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        return csrf_of(page.text)


def signed_in(base_url: str, runtime: Runtime, organization_id: str) -> Console:
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    email = console_user(runtime, organization_id)
    answer = sign_in(client, email)
    assert answer.status_code == 303, answer.text
    return Console(client, email)


@dataclass
class FailedPush:
    push_id: str
    connection_id: str
    candidate_id: str
    application_id: str
    bamboo_url: str


def make_failed_push(
    ats: httpx.Client, runtime: Runtime, organization_id: str, simulator: Callable[[Any], str]
) -> FailedPush:
    """A BambooHR simulator, a connection to it with an API key it refuses, and the push that failed on it (401)."""
    from hirebridge.sandbox.bamboohr.app import create_app

    domain, key = BAMBOO_CREDENTIALS["companyDomain"], BAMBOO_CREDENTIALS["apiKey"]
    url = simulator(create_app(company_domain=domain, api_key=key))
    wrong = {**BAMBOO_CREDENTIALS, "apiKey": "not-the-right-key-000000"}
    answer = call(
        ats,
        "hrisConnection.create",
        {"system": "bamboohr", "name": "BambooHR", "baseUrl": url, "credentials": wrong, "rateLimitPerSecond": 50},
    )
    assert answer["success"] is True, answer
    hiring = make_application(runtime, organization_id)
    pushed = call(ats, "candidate.pushToHris", {"applicationId": hiring.application_id, "externalSystem": "bamboohr"})
    assert pushed["success"] is False, pushed
    push_id = pushed["errorInfo"]["meta"]["pushId"]
    return FailedPush(push_id, answer["results"]["id"], hiring.candidate_id, hiring.application_id, url)
