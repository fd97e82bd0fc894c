"""The console over HTTP on a real socket: sign-in, cookie flags, CSRF refusals, scoping, retry, the pages."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from hirebridge.app import create_app
from hirebridge.console.models import ConsoleSession
from hirebridge.orgs.service import IssuedCredentials, create_organization
from hirebridge.runtime import Runtime
from hirebridge.settings import Settings
from tests.ats.hris_helpers import wait_for
from tests.console.helpers import PASSWORD, Console, FailedPush, console_user, csrf_of, new_email, sign_in, signed_in
from tests.support.servers import serve


def _other_org_console(service: str, runtime: Runtime) -> Console:
    with runtime.transaction() as session:
        other = create_organization(session, "Other Org")
    return signed_in(service, runtime, other.organization_id)


def test_signed_out_pages_send_you_to_sign_in(client: httpx.Client) -> None:
    answer = client.get("/console/pushes?state=failed", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fpushes%3Fstate%3Dfailed"


def test_sign_in_sets_a_hardened_cookie_stored_only_as_a_digest(
    service: str, runtime: Runtime, org: IssuedCredentials
) -> None:
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=service, timeout=30) as client:
        answer = sign_in(client, email)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/pushes"
        header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("hb_console="))
        flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
        assert {"httponly", "max-age", "path"} <= flags
        assert "samesite=lax" in header.lower()
        assert "secure" not in flags  # served over plain HTTP with an http public URL
        token = client.cookies["hb_console"]
    with runtime.sessions() as session:
        digests = session.scalars(select(ConsoleSession.token_sha256)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in digests
    assert token not in digests


def test_wrong_password_is_401_and_says_nothing_more(service: str, runtime: Runtime, org: IssuedCredentials) -> None:
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=service, timeout=30) as client:
        answer = sign_in(client, email, PASSWORD + "-wrong")
        assert answer.status_code == 401
        assert "The email or password is not right." in answer.text
        assert "hb_console" not in client.cookies


def _served(settings: Settings, **changes: object) -> Iterator[tuple[str, Runtime]]:
    runtime = Runtime.from_settings(settings.model_copy(update=changes))
    try:
        with serve(create_app(runtime)) as url:
            yield url, runtime
    finally:
        runtime.close()


@pytest.fixture
def strict_service(settings: Settings) -> Iterator[tuple[str, Runtime]]:
    """The service with a low per-email sign-in limit and an https public URL (as behind a TLS proxy). The
    per-address limit stays high: every test calls from 127.0.0.1, and the counts may be shared in the database."""
    yield from _served(
        settings, auth_failures_per_credential=3, auth_failures_per_address=100_000, public_url="https://hb.test"
    )


@pytest.fixture
def address_limited_service(settings: Settings) -> Iterator[tuple[str, Runtime]]:
    yield from _served(settings, auth_failures_per_credential=100_000, auth_failures_per_address=3)


def test_secure_cookie_when_the_public_url_is_https(
    strict_service: tuple[str, Runtime], org: IssuedCredentials
) -> None:
    url, runtime = strict_service
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/console/sign-in")
        pre = next(h for h in page.headers.get_list("set-cookie") if h.startswith("hb_console_pre="))
        assert "secure" in {part.strip().lower() for part in pre.split(";")}
        # The browser behind the TLS proxy sends the Secure cookie back; plain-HTTP httpx needs telling.
        answer = client.post(
            "/console/sign-in",
            data={"csrf": csrf_of(page.text), "email": email, "password": PASSWORD},
            headers={"Cookie": pre.split(";")[0]},
        )
    assert answer.status_code == 303, answer.text
    header = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("hb_console="))
    assert "secure" in {part.strip().lower() for part in header.split(";")}


def test_failed_sign_ins_are_limited_with_retry_after(
    strict_service: tuple[str, Runtime], org: IssuedCredentials
) -> None:
    url, runtime = strict_service
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(3):
            assert sign_in(client, email, "wrong password here").status_code == 401
        refused = sign_in(client, email)  # even the right password, until the window has passed
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in refused.text


def _random_loopback() -> str:
    """A source address of its own (any 127.x.y.z reaches the server on 127.0.0.1): no other test's failures count."""
    return f"127.{secrets.randbelow(200) + 20}.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def test_failed_sign_ins_from_one_address_are_limited_whatever_the_email(
    address_limited_service: tuple[str, Runtime], org: IssuedCredentials
) -> None:
    url, runtime = address_limited_service
    address, other_address = _random_loopback(), _random_loopback()
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address)) as client:
        for _ in range(3):
            assert sign_in(client, new_email(), "wrong password here").status_code == 401
        refused = sign_in(client, email)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    elsewhere = httpx.HTTPTransport(local_address=other_address)
    with httpx.Client(base_url=url, timeout=30, transport=elsewhere) as client:  # another address: signed in
        assert sign_in(client, email).status_code == 303


def test_forms_without_the_session_csrf_token_are_refused(console: Console, failed_push: FailedPush) -> None:
    path = f"/console/pushes/{failed_push.push_id}/retry"
    assert console.client.post(path, data={"nothing": "here"}).status_code == 403
    assert console.client.post(path, data={"csrf": "forged"}).status_code == 403
    token = console.csrf(f"/console/pushes/{failed_push.push_id}")
    cross_site = console.client.post(path, data={"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403
    foreign = console.client.post(path, data={"csrf": token}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    # Nothing was retried by any of them.
    page = console.client.get(f"/console/pushes/{failed_push.push_id}")
    assert "Retry push" in page.text


def test_sign_in_form_needs_its_own_token(service: str, runtime: Runtime, org: IssuedCredentials) -> None:
    email = console_user(runtime, org.organization_id)
    with httpx.Client(base_url=service, timeout=30) as client:
        answer = client.post("/console/sign-in", data={"email": email, "password": PASSWORD, "csrf": "x"})
        assert answer.status_code == 403
        assert "hb_console" not in client.cookies


def test_another_organizations_records_answer_404(service: str, runtime: Runtime, failed_push: FailedPush) -> None:
    other = _other_org_console(service, runtime)
    try:
        for path in (
            f"/console/pushes/{failed_push.push_id}",
            f"/console/connections/{failed_push.connection_id}",
            f"/console/candidates/{failed_push.candidate_id}",
        ):
            assert other.client.get(path).status_code == 404, path
        token = other.csrf()
        assert (
            other.client.post(f"/console/pushes/{failed_push.push_id}/retry", data={"csrf": token}).status_code == 404
        )
        listed = other.client.get("/console/pushes")
        assert failed_push.push_id not in listed.text
    finally:
        other.client.close()


def test_pages_show_the_failed_push_and_retry_after_fixing_credentials(
    console: Console, failed_push: FailedPush
) -> None:
    listed = console.client.get("/console/pushes", params={"state": "failed"})
    assert failed_push.push_id in listed.text
    page = console.client.get(f"/console/pushes/{failed_push.push_id}")
    assert page.status_code == 200
    assert "401" in page.text
    connection = f"/console/connections/{failed_push.connection_id}"
    form = console.client.get(connection).text
    assert "not-the-right-key" not in form  # credentials are write-only
    saved = console.client.post(
        connection,
        data={
            "csrf": csrf_of(form),
            "name": "BambooHR",
            "baseUrl": failed_push.bamboo_url,
            "rateLimitPerSecond": "50",
            "isEnabled": "on",
            "requiresAcceptedOffer": "on",
            "credentials.apiKey": "bamboo-sandbox-key-0123456789",
            "fieldMapping": "{}",
            "settings": "{}",
        },
    )
    assert saved.status_code == 303, saved.text
    tested = console.client.post(f"{connection}/test", data={"csrf": console.csrf(connection)})
    assert tested.status_code == 303
    assert "Connection works" in console.client.get(connection).text
    retried = console.client.post(
        f"/console/pushes/{failed_push.push_id}/retry",
        data={"csrf": console.csrf(f"/console/pushes/{failed_push.push_id}")},
    )
    assert retried.status_code == 303
    new_page = retried.headers["location"].split("?")[0]
    assert new_page != f"/console/pushes/{failed_push.push_id}"
    wait_for(lambda: "state-succeeded" in console.client.get(new_page).text, timeout=30)


def test_bad_settings_name_the_field(console: Console, failed_push: FailedPush) -> None:
    connection = f"/console/connections/{failed_push.connection_id}"
    answer = console.client.post(
        connection,
        data={
            "csrf": console.csrf(connection),
            "name": "BambooHR",
            "baseUrl": failed_push.bamboo_url,
            "rateLimitPerSecond": "fast",
            "fieldMapping": "{not json",
            "settings": "{}",
        },
    )
    assert answer.status_code == 400
    assert "rateLimitPerSecond" in answer.text
    assert "is not valid JSON" in answer.text


def test_every_page_renders(console: Console, failed_push: FailedPush) -> None:
    for path in (
        "/console/pushes",
        "/console/pushes?state=failed&system=bamboohr&since=2020-01-01&until=2099-01-01&candidate=ada",
        f"/console/candidates/{failed_push.candidate_id}",
        "/console/connections",
        f"/console/connections/{failed_push.connection_id}?application={failed_push.application_id}",
        "/console/invitations",
        "/console/charts",
    ):
        answer = console.client.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        assert answer.headers["x-frame-options"] == "DENY"


def test_sign_out_ends_the_session(console: Console) -> None:
    answer = console.client.post("/console/sign-out", data={"csrf": console.csrf()})
    assert answer.status_code == 303
    assert console.client.get("/console/pushes").status_code == 303


def test_console_passwords_and_session_cookies_are_watched_in_the_log(
    service: str, runtime: Runtime, org: IssuedCredentials
) -> None:
    """The log-grep test (tests/hardening) looks for what the console's forms and cookies carried."""
    from tests.hardening.sensitive import SENSITIVE

    email = console_user(runtime, org.organization_id, password="another-console-pass-1")
    with httpx.Client(base_url=service, timeout=30) as client:
        assert sign_in(client, email, "another-console-pass-1").status_code == 303
        cookie = client.cookies["hb_console"]
    watched = dict(SENSITIVE.items())
    assert watched.get("another-console-pass-1") in {"console password", "form password"}
    assert watched.get(cookie) == "session cookie"


def test_ids_that_are_not_ids_answer_404_not_500(console: Console) -> None:
    for path in (
        "/console/pushes/not-an-id",
        "/console/connections/12345",
        "/console/candidates/%27%20OR%201=1",
        "/console/pushes/" + "9" * 200,
    ):
        assert console.client.get(path).status_code == 404, path
    token = console.csrf()
    assert console.client.post("/console/invitations/nope/resend", data={"csrf": token}).status_code == 404
    assert console.client.post("/console/pushes/nope/retry", data={"csrf": token}).status_code == 404
    listed = console.client.get("/console/pushes", params={"connection": "nope", "after": "garbage"})
    assert listed.status_code == 200
    assert "Connection: not one of the listed connections" in listed.text


def test_an_unknown_console_address_is_the_consoles_404_page(console: Console, client: httpx.Client) -> None:
    answer = console.client.get("/console/no-such-page")
    assert answer.status_code == 404
    assert "Sign out" in answer.text  # the console's page, with its navigation
    assert client.get("/console/static/console.css").headers["content-type"].startswith("text/css")
